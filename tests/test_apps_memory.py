"""Memory stays bounded: one huge document and very many small ones are streamed.

The fast tests compare traced peaks at two sizes (the peak must not grow with the input); the slow ones
run the real scale (a 50 MB document, 100,000 documents) in a subprocess and bound its resident memory.
A stub tagger keeps the model's cost out: what is measured is the pipeline.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import tracemalloc
from pathlib import Path

import pytest

from fastner.apps import documents, runs
from fastner.apps.pipeline import Settings, run_collection
from fastner.synth.decisions import generate_documents
from tests.stub import LexiconTagger

ROOT = Path(__file__).resolve().parents[1]
TAGGER = {"Brigitte Simon": "PERS", "Madame": "PERS", "Monsieur": "PERS", "avenue": "ADDRESS"}


def traced_peak(inputs: list[str], out: Path, settings: Settings) -> tuple[int, object]:
    tracemalloc.start()
    try:
        report = run_collection(inputs, out, LexiconTagger(TAGGER), "stub", settings, quiet=True)
        return tracemalloc.get_traced_memory()[1], report
    finally:
        tracemalloc.stop()


def test_one_long_document_in_bounded_memory(tmp_path: Path, monkeypatch) -> None:
    # the real sizes scaled down (blocks of 256 KiB, pieces of 256 K characters...) so that a small document
    # is already many blocks long; the slow test below runs the real sizes on 50 MB
    monkeypatch.setattr(documents, "BLOCK", 4096)
    monkeypatch.setattr(documents, "PIECE_CHARS", 4096)
    monkeypatch.setattr(documents, "SEGMENT_CHARS", 2048)
    monkeypatch.setattr(documents, "LINE_LIMIT", 8192)
    monkeypatch.setattr(documents, "KEEP_BYTES", 0)
    monkeypatch.setattr(runs, "SPILL_CHARS", 4096)
    text = "\n".join(d.text for d in generate_documents(2, 7, split="test")) + "\n"
    peaks = []
    for copies in (3, 9):  # about 70 and 210 KB
        path = tmp_path / f"long{copies}.txt"
        path.write_text(text * copies, encoding="utf-8")
        peak, report = traced_peak([str(path)], tmp_path / f"out{copies}", Settings(mode="anonymize",
                                                                                   chunk_sentences=20))
        assert report.done == 1
        peaks.append(peak)
        out = (tmp_path / f"out{copies}" / f"long{copies}.txt").read_text(encoding="utf-8")
        assert out.count("[PERS]") >= copies and "Brigitte Simon" not in out
    assert peaks[1] < 1.15 * peaks[0] + 30_000, peaks  # 3x the text, the same peak (spans: 25 bytes each)


def test_many_documents_in_bounded_memory(tmp_path: Path) -> None:
    texts = [f"Madame Brigitte Simon, pièce {i}. Monsieur le juge statue.\n" for i in range(800)]
    peaks = []
    for n in (200, 800):
        root = tmp_path / f"in{n}"
        root.mkdir()
        for i, text in enumerate(texts[:n]):
            (root / f"d{i:05d}.txt").write_text(text, encoding="utf-8")
        peak, report = traced_peak([str(root)], tmp_path / f"out{n}", Settings(chunk_sentences=200))
        assert report.done == n
        peaks.append(peak)
    # what grows is the sorted directory listing and the set of ids (about 400 bytes a document), not documents
    assert peaks[1] < peaks[0] + 600 * 600, peaks


SCRIPT = textwrap.dedent("""
    import json, resource, sys
    from pathlib import Path
    from fastner.apps.pipeline import Settings, run_collection
    from tests.stub import LexiconTagger
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    settings = Settings(mode=sys.argv[3], chunk_sentences=500)
    tagger = LexiconTagger({"Brigitte Simon": "PERS", "Madame": "PERS", "avenue": "ADDRESS"})
    report = run_collection([sys.argv[1]], Path(sys.argv[2]), tagger, "stub", settings, quiet=True)
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"done": report.done, "failed": report.failed, "before_kb": before, "after_kb": after}))
""")


def run_measured(inputs: Path, out: Path, mode: str) -> dict:
    proc = subprocess.run([sys.executable, "-c", SCRIPT, str(inputs), str(out), mode], capture_output=True,
                          text=True, timeout=3600, check=True, cwd=ROOT)  # ROOT on sys.path: `tests.stub`
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_a_50_megabyte_document(tmp_path: Path) -> None:
    text = "\n".join(d.text for d in generate_documents(3, 7, split="test")) + "\n"
    path = tmp_path / "huge.txt"
    with open(path, "w", encoding="utf-8") as f:
        while f.tell() < 50 * 1024 * 1024:
            f.write(text)
    result = run_measured(path, tmp_path / "out", "anonymize")
    assert result["done"] == 1
    growth_mb = (result["after_kb"] - result["before_kb"]) / 1024
    assert growth_mb < 100, result  # the document alone is 50 MB (and about 100 MB as a str)
    out = tmp_path / "out" / "huge.txt"
    assert out.stat().st_size > 45 * 1024 * 1024


@pytest.mark.slow
def test_100000_documents(tmp_path: Path) -> None:
    root = tmp_path / "in"
    for i in range(100_000):
        folder = root / f"{i // 1000:03d}"
        if i % 1000 == 0:
            folder.mkdir(parents=True)
        (folder / f"d{i:06d}.txt").write_text(f"Madame Brigitte Simon, pièce {i}.\n", encoding="utf-8")
    result = run_measured(root, tmp_path / "out", "tag")
    assert result["done"] == 100_000 and result["failed"] == 0
    growth_mb = (result["after_kb"] - result["before_kb"]) / 1024
    assert growth_mb < 150, result
