"""`--engine ray`: the same outputs as the local engine, and the faults it must survive.

One local Ray cluster (`ray.init(num_cpus=2)`) serves the whole test session; the tests that kill a worker
or the driver are few and bounded. Skipped, with the reason, when the ray extra is not installed.
"""

from __future__ import annotations

import functools
import io
import json
import logging
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from fastner import SequenceTagger
from fastner.apps import distributed, documents
from fastner.apps.distributed import ModelFiles, RayEngine, RayOptions
from fastner.apps.pipeline import Settings, run_collection
from fastner.apps.runs import STATE_DIR
from fastner.apps.tag import load_model
from fastner.cli import main
from fastner.synth.decisions import generate_documents
from fastner.synth.labels import LABELS
from tests.kill import kill_midway
from tests.stub import LexiconTagger

REPO = Path(__file__).resolve().parents[1]
LEXICON = {"Jean Dupont": "PERS", "Brigitte Simon": "PERS", "Lyon": "ADDRESS"}


def test_the_core_never_imports_ray() -> None:
    code = ("import sys, fastner, fastner.cli, fastner.apps.cli, fastner.apps.pipeline, fastner.apps.distributed, "
            "fastner.apps.scale_ray; sys.exit('ray' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code], cwd=REPO, timeout=120).returncode == 0


@pytest.fixture(scope="session")
def ray_tmp(tmp_path_factory) -> Path:
    """The temporary directory of the session's Ray workers (their TMPDIR): another test run on the same machine
    has its own, so one run's killed workers are never taken for the other's."""
    return tmp_path_factory.mktemp("ray-workers")


@pytest.fixture(scope="session")
def ray_address(ray_tmp: Path) -> str:
    """The test session's Ray cluster: started once, two CPUs, shared by every test here."""
    ray = pytest.importorskip("ray", reason="the ray extra is not installed (pip install 'fastner[ray]')")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level=logging.ERROR,
             runtime_env={"env_vars": {"TMPDIR": str(ray_tmp)}})
    yield ray.get_runtime_context().gcs_address
    ray.shutdown()


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("model") / "tiny"
    SequenceTagger.random("tiny", tag_types=list(LABELS), seed=0).save(path)
    return path


def documents_dir(root: Path, n: int, sentences: int = 3, extra: dict[str, str] | None = None) -> Path:
    """`n` short generated decisions (`dNNN.txt`), plus `extra` texts by name."""
    root.mkdir(parents=True)
    for i, doc in enumerate(generate_documents(n, 0, split="test")):
        text = "\n".join(doc.text[a:b] for a, b in doc.sentences[:sentences]) + "\n"
        (root / f"d{i:03d}.txt").write_text(text, encoding="utf-8")
    for name, text in (extra or {}).items():
        (root / f"{name}.txt").write_text(text, encoding="utf-8")
    return root


def output_files(out: Path) -> dict[str, bytes]:
    """Every file of an output directory but the run's own state and its timing (summary.json)."""
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file() and STATE_DIR not in p.parts and p.name not in ("summary.json", "errors.jsonl")}


def errors(out: Path) -> list[dict]:
    return sorted((json.loads(line) for line in (out / "errors.jsonl").read_text().splitlines()),
                  key=lambda r: r["id"])


def summary_without_times(out: Path) -> dict:
    summary = json.loads((out / "summary.json").read_text())
    for key in ("seconds", "documents_per_s", "tokens_per_s"):
        summary.pop(key)
    return summary


def manifest_ids(out: Path) -> list[str]:
    """The ids of the manifest's finished documents (not its `pending` lines), once per entry."""
    entries = [json.loads(line) for line in (out / STATE_DIR / "manifest.jsonl").read_text().splitlines() if line]
    return sorted(entry["id"] for entry in entries if "key" in entry)


def assert_same_run(local: Path, remote: Path) -> None:
    assert output_files(remote) == output_files(local)
    assert errors(remote) == errors(local)
    assert summary_without_times(remote) == summary_without_times(local)
    assert manifest_ids(remote) == manifest_ids(local)
    assert not list((remote / STATE_DIR).glob("tmp/*")) and not list(remote.rglob("*.tmp"))


def test_same_outputs_as_the_local_engine(ray_address, model_dir: Path, tmp_path: Path, monkeypatch) -> None:
    inputs = documents_dir(tmp_path / "in", 7, extra={"long": "\n".join(
        d.text for d in generate_documents(2, 3, split="test")) * 4})
    (inputs / "bad.txt").write_bytes(b"Caf\xe9 au lait")
    (inputs / "empty.txt").write_bytes(b"")
    (inputs / "nul.txt").write_bytes(b"PK\x03\x04\x00\x00")
    tagger, model = load_model(model_dir)
    torch.set_num_threads(1)  # as the workers (2 threads on a busy 2-core machine can be 10x slower)
    runs = [Settings(mode="tag", html=True, chunk_sentences=5), Settings(mode="tag", format="conll"),
            Settings(mode="anonymize", strategy="numbered", html=True)]
    # small pieces and blocks: outputs come back in pieces, documents go through the object store in blocks
    monkeypatch.setattr(documents, "KEEP_BYTES", 2000)
    monkeypatch.setattr(distributed, "OBJECT_BLOCK", 3000)
    options = RayOptions(workers=2, batch_docs=3, spill_chars=4000)
    with RayEngine(ModelFiles.read(model_dir), model, options, quiet=True) as engine:
        for i, settings in enumerate(runs):
            sources = [str(inputs), str(tmp_path / "missing.txt")]
            local = run_collection(sources, tmp_path / f"local{i}", tagger, model, settings, quiet=True)
            remote = engine.run(sources, tmp_path / f"ray{i}", settings)
            assert (remote.done, remote.failed) == (local.done, local.failed) == (8, 4)
            assert_same_run(tmp_path / f"local{i}", tmp_path / f"ray{i}")
            assert engine.stats["last_run"]["batches"] >= 4  # three small batches and the long document alone
            assert engine.stats["last_run"]["streamed_docs"] >= 1 and engine.stats["last_run"]["blocks_put"] >= 2


def test_a_document_the_tagger_cannot_take_fails_alone(ray_address, tmp_path: Path) -> None:
    inputs = documents_dir(tmp_path / "in", 4, extra={"poison": "Bonjour Jean Dupont.\nUn POISON ici.\n"})
    load = functools.partial(LexiconTagger, LEXICON, fail_on="POISON")
    settings = Settings(mode="anonymize")
    stdin = "Madame Brigitte Simon demeure à Lyon.\n".encode()  # and standard input as a document too
    run_collection([str(inputs), "-"], tmp_path / "local", load(), "stub", settings, quiet=True,
                   stdin=io.BytesIO(stdin))
    with RayEngine(load, "stub", RayOptions(workers=1, batch_docs=10), quiet=True) as engine:
        remote = engine.run([str(inputs), "-"], tmp_path / "ray", settings, stdin=io.BytesIO(stdin))
        assert engine.stats["last_run"]["batches"] == 1  # the bad document was in the batch of the others
    assert (remote.done, remote.failed, dict(remote.failures)) == (5, 1, {"tagging_failed": 1})
    assert_same_run(tmp_path / "local", tmp_path / "ray")
    assert errors(tmp_path / "ray")[0]["detail"] == "RuntimeError: cannot tag 'POISON'"


class DyingTagger(LexiconTagger):
    """Kills its own process (SIGKILL, as the OOM killer would) on a sentence with `KILL_ONCE` while the file
    `marker` exists (it removes it first), and on every sentence with `KILL_ALWAYS`."""

    def __init__(self, marker: str) -> None:
        super().__init__(LEXICON)
        self.marker = Path(marker)

    def predict(self, inputs, mini_batch_size=32, switches=None):
        for sentence in inputs:
            text = sentence if isinstance(sentence, str) else sentence.text
            if "KILL_ALWAYS" in text or ("KILL_ONCE" in text and self.marker.exists()):
                self.marker.unlink(missing_ok=True)
                os.kill(os.getpid(), signal.SIGKILL)
        return super().predict(inputs, mini_batch_size, switches)


def test_a_worker_killed_in_the_middle_of_a_batch(ray_address, ray_tmp: Path, tmp_path: Path) -> None:
    extra = {"d002": "Jean Dupont.\nKILL_ONCE ici.\nFin.\n", "d009": "Brigitte Simon.\nKILL_ALWAYS ici.\n"}
    inputs = documents_dir(tmp_path / "in", 12, sentences=2, extra=extra)
    marker = tmp_path / "kill-once"
    marker.touch()
    options = RayOptions(workers=2, batch_docs=4)
    with RayEngine(functools.partial(DyingTagger, str(marker)), "stub", options, quiet=True) as engine:
        report = engine.run([str(inputs)], tmp_path / "ray", Settings(html=True, chunk_sentences=2))
        stats = engine.stats["last_run"]
        assert list(ray_tmp.glob(f"{distributed.WORKER_DIR}*"))  # the live workers' directories are there
    assert not marker.exists()  # the worker did die on d002, after the batch's first document was done
    assert not distributed.orphan_dirs(ray_tmp)  # those of killed workers were removed
    assert (report.done, report.failed, dict(report.failures)) == (11, 1, {"worker_died": 1})
    assert stats["worker_deaths"] == 4  # once for d002, max_attempts times for d009
    out = tmp_path / "ray"
    assert [r["id"] for r in errors(out)] == ["d009"] and "3 attempts" in errors(out)[0]["detail"]
    done = [f"d{i:03d}" for i in range(12) if i != 9]
    assert manifest_ids(out) == done  # each document recorded once
    assert sorted(output_files(out)) == sorted(f"{d}{s}" for d in done for s in (".html", ".jsonl", ".review.json"))
    assert not list((out / STATE_DIR).glob("tmp/*")) and not list(out.rglob("*.tmp"))
    local = tmp_path / "local"  # complete, and what the local engine writes
    run_collection([str(inputs)], local, LexiconTagger(LEXICON), "stub", Settings(html=True), quiet=True)
    assert output_files(out) == {k: v for k, v in output_files(local).items() if not k.startswith("d009.")}


def test_killed_driver_resumes(ray_address, model_dir: Path, tmp_path: Path) -> None:
    inputs = documents_dir(tmp_path / "in", 120, sentences=2)
    out = tmp_path / "out"
    command = [sys.executable, "-m", "fastner.cli", "tag", str(inputs), "--out", str(out), "--model",
               str(model_dir), "--quiet", "--engine", "ray", "--address", ray_address, "--workers", "2"]
    manifest = out / STATE_DIR / "manifest.jsonl"
    kill_midway(command, manifest, 10, "\n", 180, cwd=REPO)
    done_before = len(manifest_ids(out))
    assert 5 <= done_before < 120
    resumed = subprocess.run(command, cwd=REPO, capture_output=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr.decode()
    summary = json.loads((out / "summary.json").read_text())
    assert summary["documents"]["skipped"] >= done_before
    assert summary["documents"]["done"] + summary["documents"]["skipped"] == 120
    assert manifest_ids(out) == sorted(set(manifest_ids(out))) == [f"d{i:03d}" for i in range(120)]
    assert sorted(output_files(out)) == sorted(f"d{i:03d}{s}" for i in range(120) for s in (".jsonl", ".review.json"))
    assert not list((out / STATE_DIR).glob("tmp/*")) and not list(out.rglob("*.tmp"))


def test_unreachable_cluster_and_usage_errors(ray_address, tmp_path: Path, capsys, monkeypatch) -> None:
    inputs = documents_dir(tmp_path / "in", 1)
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    out = tmp_path / "out"
    assert main(["tag", str(inputs), "--out", str(out), "--engine", "ray", "--address", f"127.0.0.1:{port}"]) == 2
    assert "cannot reach a Ray cluster there" in capsys.readouterr().err
    assert not out.exists()  # refused before anything was written
    assert main(["tag", str(inputs), "--out", str(out), "--engine", "ray", "--address", "nowhere"]) == 2
    assert "expected HOST:PORT" in capsys.readouterr().err
    assert main(["tag", str(inputs), "--out", str(out), "--workers", "2"]) == 2
    assert "--workers needs --engine ray" in capsys.readouterr().err
    assert main(["tag", str(inputs), "--out", str(out), "--engine", "ray", "--workers", "3"]) == 2
    assert "3 worker(s) need 3 CPUs and the Ray cluster has 2" in capsys.readouterr().err
    monkeypatch.setitem(sys.modules, "ray", None)  # as if the extra were not installed
    assert main(["tag", str(inputs), "--out", str(out), "--engine", "ray"]) == 2
    assert "pip install 'fastner[ray]'" in capsys.readouterr().err


@pytest.mark.slow
def test_a_50_megabyte_document_on_a_worker(ray_address, tmp_path: Path) -> None:
    text = "\n".join(d.text for d in generate_documents(3, 7, split="test")) + "\n"
    path = tmp_path / "huge.txt"
    with open(path, "w", encoding="utf-8") as f:
        while f.tell() < 50 * 1024 * 1024:
            f.write(text)
    load = functools.partial(LexiconTagger, {"Brigitte Simon": "PERS", "Madame": "PERS", "avenue": "ADDRESS"})
    with RayEngine(load, "stub", RayOptions(workers=1), quiet=True) as engine:
        before_kb = engine.workers[0]["private_kb"]
        report = engine.run([str(path)], tmp_path / "out", Settings(mode="anonymize", chunk_sentences=500))
        peak_kb = engine.stats["last_run"]["worker_peak_private_kb"]
    assert (report.done, report.failed) == (1, 0)
    # the worker's own memory (not the object store's pages it maps): the document alone is 50 MB, 100 as a str
    assert (peak_kb - before_kb) / 1024 < 100, (before_kb, peak_kb)
    assert (tmp_path / "out" / "huge.txt").stat().st_size > 45 * 1024 * 1024
