"""`fastner serve-bench`: the instrument end to end on a tiny model (servers, clients, checks, overload), and
its report rendered from the JSON only."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("fastapi", reason="needs the serve extra")
pytest.importorskip("uvicorn", reason="needs the serve extra")

from fastner import SequenceTagger
from fastner.serve.bench import _difference, measure, render, write
from fastner.serve.options import BenchSettings
from fastner.synth.labels import LABELS

WORKLOAD = ("M. Jean Dupont demeure 3 rue des Lilas à Lyon.\nLa cour confirme le jugement.\n"
            "Attendu que Mme Claire Martin a interjeté appel le 3 mars 2019.\n")


@pytest.fixture(scope="module")
def bench_data(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("bench")
    SequenceTagger.random("tiny", tag_types=list(LABELS), seed=0).save(root / "model")
    (root / "workload").mkdir()
    for i in range(2):
        (root / "workload" / f"doc{i}.txt").write_text(WORKLOAD, encoding="utf-8")
    settings = BenchSettings(duration_s=0.3, warmup_s=0.1, rounds=2, clients=(1, 3), doc_requests=2,
                             compare_sentences=3, overload_clients=12, overload_queue=2, overload_s=0.8,
                             workload=str(root / "workload"), model=str(root / "model"))
    return measure(settings)


def test_bench_checks_every_answer_and_measures_both_servers(bench_data):
    data = bench_data
    assert data["kind"] == "serve"
    assert data["checks"]["passed"] and data["checks"]["mismatches"] == 0
    assert data["checks"]["responses_checked"] > 10
    for kind in ("sentences", "documents"):
        for label in ("batched", "max-batch-1"):
            rows = data["runs"][kind][label]
            assert [r["clients"] for r in rows] == [1, 3]
            for r in rows:
                # the server's CPU time comes from /proc in 10 ms ticks: a short window of few answers may read 0
                assert r["failed"] == 0 and r["requests"] > 0 and r["server_cpu_ms_per_request"] >= 0
                assert r["windows"] == (2 if kind == "sentences" else 1)
                assert r["latency"]["p50_ms"] <= r["latency"]["p95_ms"] <= r["latency"]["p99_ms"]
        assert {c: len(w) for c, w in data["speedup_windows"][kind].items()} == (
            {"1": 2, "3": 2} if kind == "sentences" else {"1": 1, "3": 1})
    assert sum(r["server_cpu_ms_per_request"] * r["requests"] for runs in data["runs"].values()
               for rows in runs.values() for r in rows) > 0
    assert {r["mean_batch_sentences"] for r in data["runs"]["sentences"]["max-batch-1"]} == {1.0}
    docs = data["runs"]["documents"]["batched"]
    assert [r["requests"] for r in docs] == [2, 3]  # max(clients, doc_requests)
    assert data["one_client"]["sentences"] == 3 and data["one_client"]["ratio_median"] > 0
    overload = data["overload"]
    assert overload["only_200_and_429"] and overload["server_errors"] == 0
    assert overload["statuses"].get("429", 0) > 0 and overload["statuses"].get("200", 0) > 0
    assert data["environment"]["torch_threads"] == 1 and "avx512_bf16" in data["environment"]["cpu_flags"]
    assert all(len(v) == 3 for v in data["loadavg"].values())


def test_report_is_rendered_from_the_json_only(bench_data, tmp_path):
    stored = json.loads(json.dumps(bench_data))
    markdown = render(stored)
    assert markdown == render(bench_data) == render(json.loads(json.dumps(stored)))
    for heading in ("## Goals", "## Single sentences", "## Whole documents", "## One client", "## Overload",
                    "## Machine and settings"):
        assert heading in markdown
    assert "AVX512-BF16" in markdown and "nan" not in markdown
    assert f"`{bench_data['command']}`" in markdown
    json_path, md_path = write(bench_data, tmp_path)
    assert json_path == tmp_path / "data" / "serve-cpu.json" and md_path == tmp_path / "serve-cpu.md"
    assert md_path.read_text(encoding="utf-8") == render(json.loads(json_path.read_text(encoding="utf-8")))


def test_answer_check_tolerates_rounded_scores_only():
    want = {"sentences": [{"start": 0, "spans": [{"label": "PERS", "score": 0.9, "text": "Dupont"}]}]}
    near = {"sentences": [{"start": 0, "spans": [{"label": "PERS", "score": 0.9001, "text": "Dupont"}]}]}
    assert _difference(near, want) is None
    for changed in ({"label": "ADDRESS"}, {"score": 0.91}, {"text": "Dupond"}):
        got = json.loads(json.dumps(want))
        got["sentences"][0]["spans"][0].update(changed)
        assert _difference(got, want) is not None
    assert _difference({"sentences": []}, want) is not None
