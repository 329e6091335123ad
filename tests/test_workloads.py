"""Benchmark workloads: bundled files, loading from files and directories, and statistics."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest

from fastner.perf.workloads import Workload, load_workload, write_bundled_workloads
from fastner.synth.decisions import generate_documents
from fastner.synth.news import conll_like_sentences


@pytest.mark.parametrize("name", ["legal", "conll"])
def test_bundled_files_are_what_the_generator_writes(name: str, tmp_path: Path) -> None:
    write_bundled_workloads(tmp_path)
    bundled = resources.files("fastner.perf").joinpath("data", f"{name}.txt").read_bytes()
    assert (tmp_path / f"{name}.txt").read_bytes() == bundled


def test_bundled_legal_is_whole_documents_of_seed_0() -> None:
    workload = load_workload("legal")
    n_docs = len(workload.documents)
    docs = generate_documents(n_docs, seed=0)
    assert workload.documents == tuple(tuple(d.text[s:e] for s, e in d.sentences) for d in docs)
    assert len(workload.sentences) >= 400 > len(workload.sentences) - len(workload.documents[-1])


def test_bundled_conll_is_1000_sentences_of_seed_0() -> None:
    workload = load_workload("conll")
    assert list(workload.sentences) == conll_like_sentences(1000, seed=0)
    assert len(workload.documents) > 1
    assert load_workload("conll", limit=30).sentences == workload.sentences[:30]


def test_file_is_one_document_of_non_blank_lines(tmp_path: Path) -> None:
    path = tmp_path / "sentences.txt"
    path.write_text("Première phrase.\n\n  Deuxième phrase.  \r\n\n", encoding="utf-8")
    workload = load_workload(str(path))
    assert workload.documents == (("Première phrase.", "Deuxième phrase."),)
    assert workload.name == str(path)


def test_directory_is_one_document_per_txt_file_in_sorted_order(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "b.txt").write_text("b1\nb2\n", encoding="utf-8")
    (tmp_path / "a.txt").write_text("a1\n", encoding="utf-8")
    (tmp_path / "sub" / "c.txt").write_text("c1\n\nc2", encoding="utf-8")
    (tmp_path / "empty.txt").write_text("\n\n", encoding="utf-8")
    (tmp_path / "notes.md").write_text("ignored\n", encoding="utf-8")
    workload = load_workload(str(tmp_path))
    assert workload.documents == (("a1",), ("b1", "b2"), ("c1", "c2"))
    assert workload.sentences == ("a1", "b1", "b2", "c1", "c2")
    assert load_workload(str(tmp_path), limit=2).documents == (("a1",), ("b1",))


def test_bad_paths_give_clear_errors(tmp_path: Path) -> None:
    missing = tmp_path / "missing.txt"
    with pytest.raises(FileNotFoundError, match=r"missing\.txt"):
        load_workload(str(missing))
    bad = tmp_path / "latin1.txt"
    bad.write_bytes("déjà vu\n".encode("latin-1"))
    with pytest.raises(ValueError, match=r"latin1\.txt.*UTF-8"):
        load_workload(str(bad))
    with pytest.raises(ValueError, match=r"latin1\.txt"):
        load_workload(str(tmp_path))
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ValueError, match="no sentences"):
        load_workload(str(empty))
    with pytest.raises(ValueError, match="limit"):
        load_workload("legal", limit=0)


def test_stats_on_a_tiny_workload() -> None:
    tokens = [3, 2, 11, 150, 10]
    sentences = tuple(" ".join(["w"] * n) for n in tokens)
    workload = Workload("tiny", (sentences[:2], sentences[2:]))
    stats = workload.stats(str.split)
    assert {k: stats[k] for k in ("n_documents", "n_sentences", "n_tokens", "n_chars")} == {
        "n_documents": 2, "n_sentences": 5, "n_tokens": 176, "n_chars": 176 * 2 - 5}
    lengths = stats["sentence_tokens"]
    assert (lengths["min"], lengths["p50"], lengths["max"]) == (2, 10, 150)
    assert lengths["mean"] == pytest.approx(35.2)
    assert lengths["p95"] == pytest.approx(11 + 0.8 * (150 - 11))  # rank 3.8 of 0..4
    histogram = lengths["histogram"]
    assert len(histogram) == 16 and histogram[0] == (0, 10, 2) and histogram[-1] == (150, None, 1)
    assert histogram[1] == (10, 20, 2) and sum(count for _, _, count in histogram) == 5
    assert [lo for lo, _, _ in histogram] == list(range(0, 151, 10))
