"""End to end: a tiny bench in a subprocess (as `fastner bench` runs it), then the report rendered from its
JSON; the tables are checked, and rendering twice gives byte-identical markdown."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from fastner.cli import main
from fastner.perf.ladder import load_patches


@pytest.fixture(scope="module")
def bench_json(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench")
    code = subprocess.call([sys.executable, "-m", "fastner.cli", "bench", "--size", "tiny", "--limit", "6",
                            "--mode", "all", "--rounds", "1", "--out", str(out)])
    assert code == 0
    path = out / "cpu-tiny-legal-all.json"
    assert path.is_file()
    return path


def test_bench_json_records_everything(bench_json):
    data = json.loads(bench_json.read_text())
    env = data["machine_info"]["fastner"]
    assert {"torch", "numpy", "python", "torch_threads", "cpu_model", "git_commit"} <= set(env)
    meta = data["fastner"]
    assert meta["options"]["size"] == "tiny" and meta["workload_stats"]["n_sentences"] == 6
    configs = [b for b in data["benchmarks"] if b["extra_info"]["kind"] == "config"]
    assert all(b["extra_info"]["outputs_checked"] for b in configs)
    assert all(b["extra_info"]["switches"] for b in configs)
    ladder = [b for b in configs if b["extra_info"]["mode"] == "ladder"]
    assert len(ladder) == len(load_patches())
    assert all("counters" in b["extra_info"] for b in ladder)
    assert {b["extra_info"]["name"] for b in data["benchmarks"] if b["extra_info"]["kind"] == "floor"} == \
        {"floor-unpadded", "floor-folded", "floor-padded"}
    serving = {b["extra_info"]["name"]: b["extra_info"] for b in data["benchmarks"]
               if b["extra_info"]["kind"] == "serving"}
    assert set(serving) == {"baseline", "flair-0.4.4", "fastest"}
    for info in serving.values():  # one latency per non-empty sentence; memory read on Linux
        assert len(info["latencies"]) == info["n_sentences"] > 0 and min(info["latencies"]) > 0
        assert info["peak_memory_mb"] is not None and info["peak_memory_mb"] >= 0
    load = [b for b in data["benchmarks"] if b["extra_info"]["kind"] == "load"]
    assert len(load) == 1 and load[0]["stats"]["rounds"] == 3 and load[0]["extra_info"]["model_mb"] > 0


def test_report_renders_every_table_deterministically(bench_json, tmp_path):
    assert main(["report", str(bench_json), "--out", str(tmp_path / "a")]) == 0
    assert main(["report", str(bench_json), "--out", str(tmp_path / "b")]) == 0
    first = (tmp_path / "a" / "cpu-tiny-legal-all.md").read_text()
    assert first == (tmp_path / "b" / "cpu-tiny-legal-all.md").read_text()
    assert (tmp_path / "a" / "cpu-tiny-legal-all-ladder.png").stat().st_size > 1000
    for heading in ("## The ladder", "## Throughput, latency, memory, load time", "## What each step removed",
                    "## The compute floor", "## One-on", "## Leave-one-out", "## Machine and versions",
                    "## Workload and model", "## Why the CPU gains are smaller"):
        assert heading in first
    data = json.loads(bench_json.read_text())
    by_name = {b["extra_info"]["name"]: b for b in data["benchmarks"] if b["extra_info"].get("mode") == "ladder"}
    for patch in load_patches():
        row = next(line for line in first.splitlines() if line.startswith(f"| {patch.id}") or
                   line.startswith(f"| **{patch.id}**"))
        assert f"{by_name[patch.id]['stats']['median']:.3f}" in row  # the figure comes from the JSON


def test_report_rejects_foreign_json(tmp_path):
    bad = tmp_path / "x.json"
    bad.write_text(json.dumps({"benchmarks": []}))
    with pytest.raises(SystemExit, match="not a fastner report JSON"):
        main(["report", str(bad), "--out", str(tmp_path)])


def test_profile_writes_prof_top_and_line_reports(tmp_path):
    import pstats

    assert main(["profile", "--step", "09-no-clone", "--size", "tiny", "--limit", "5", "--out", str(tmp_path)]) == 0
    assert pstats.Stats(str(tmp_path / "09-no-clone.prof")).total_calls > 100
    top = json.loads((tmp_path / "09-no-clone-top.json").read_text())
    assert top["top"] and top["switches"]["clone_policy"] == "none"
    lines = (tmp_path / "09-no-clone-lines.txt").read_text()
    assert "Timer unit" in lines and "embed_tokens" in lines
    with pytest.raises(SystemExit, match="unknown step"):
        main(["profile", "--step", "99-nothing", "--size", "tiny", "--out", str(tmp_path)])


def test_tag_overhead_report(tmp_path):
    assert main(["tag-overhead", "--size", "tiny", "--repeats", "1", "--out", str(tmp_path)]) == 0
    text = (tmp_path / "tag-overhead-cpu-tiny.md").read_text()
    assert "| fastner tag (files in, JSONL + review out) |" in text and "Overhead" in text


def test_every_committed_report_re_renders_byte_identical(tmp_path, capsys):
    """`fastner report reports/data/*.json --out reports`, on a copy: every kind, every committed markdown."""
    import shutil
    from pathlib import Path

    reports = Path(__file__).resolve().parents[1] / "reports"
    copy = tmp_path / "reports"
    shutil.copytree(reports, copy)
    jsons = sorted(str(p) for p in (copy / "data").glob("*.json"))
    assert main(["report", *jsons, "--out", str(copy)]) == 0
    written = {Path(line.split(" ", 1)[1]).name for line in capsys.readouterr().out.splitlines()
               if line.startswith("wrote ")}
    committed = {p.name for p in reports.glob("*.md")}
    assert committed == written & committed
    for name in committed & written:
        assert (copy / name).read_bytes() == (reports / name).read_bytes(), name
