"""`fastner tag` / `fastner anonymize` end to end: outputs, errors and exit codes, resuming, kills, overhead."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from fastner import SequenceTagger
from fastner.apps import tag as tag_module
from fastner.apps.pipeline import Settings, process_texts, run_collection
from fastner.apps.runs import STATE_DIR, RunDir, UsageError
from fastner.apps.tag import ModelNotFound, load_model
from fastner.apps.tag_overhead import measure_tag_overhead
from fastner.cli import main
from fastner.synth.decisions import generate_documents
from fastner.synth.labels import LABELS
from tests.kill import kill_midway
from tests.stub import LexiconTagger

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("model") / "tiny"
    SequenceTagger.random("tiny", tag_types=list(LABELS), seed=0).save(path)
    return path


def short_documents(n: int, sentences: int = 3, seed: int = 0) -> list[str]:
    """The first sentences of generated decisions: small documents, quick to tag."""
    out = []
    for doc in generate_documents(n, seed, split="test"):
        out.append("\n".join(doc.text[a:b] for a, b in doc.sentences[:sentences]) + "\n")
    return out


@pytest.fixture
def collection(tmp_path) -> Path:
    root = tmp_path / "in"
    (root / "sub").mkdir(parents=True)
    for i, text in enumerate(short_documents(4)):
        (root / ("sub" if i == 3 else "") / f"doc{i}.txt").write_text(text, encoding="utf-8")
    (root / "bad.txt").write_bytes(b"Caf\xe9 au lait")
    (root / "nul.txt").write_bytes(b"PK\x03\x04\x00\x00")
    (root / "empty.txt").write_bytes(b"")
    return root


def read_jsonl_record(path: Path) -> dict:
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1
    return json.loads(lines[0])


def test_tag_writes_offsets_into_the_original(collection: Path, model_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    code = main(["tag", str(collection), "--out", str(out), "--model", str(model_dir), "--quiet", "--html"])
    assert code == 1  # three unreadable documents
    errors = [json.loads(line) for line in (out / "errors.jsonl").read_text().splitlines()]
    assert {(e["id"], e["reason"]) for e in errors} == {("bad", "invalid_utf8"), ("nul", "binary"), ("empty", "empty")}
    tagger, _ = load_model(model_dir)
    for i, rel in enumerate(["doc0", "doc1", "doc2", "sub/doc3"]):
        text = (collection / f"{rel}.txt").read_text(encoding="utf-8")
        record = read_jsonl_record(out / f"{rel}.jsonl")
        assert record["id"] == rel and record["n_chars"] == len(text)
        sentences = [text[s["start"]:s["end"]] for s in record["sentences"]]
        assert sentences == [line for line in text.splitlines() if line.strip()]
        expected = tagger.predict(sentences)
        for s, want in zip(record["sentences"], expected):
            got = [(sp["start"] - s["start"], sp["end"] - s["start"], sp["label"]) for sp in s["spans"]]
            assert got == [(sp.start, sp.end, sp.label) for sp in want.spans]
            for sp in s["spans"]:
                assert text[sp["start"]:sp["end"]] == sp["text"]
        review = json.loads((out / f"{rel}.review.json").read_text(encoding="utf-8"))
        assert review["id"] == rel and set(review["counts"]) >= {"low_confidence", "near_identical"}
        html = (out / f"{rel}.html").read_text(encoding="utf-8")
        assert html.startswith("<!DOCTYPE html>") and html.endswith("</html>\n")
        assert "http" not in html and "src=" not in html and "<script" not in html
        assert i >= 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["documents"] == {"total": 7, "done": 4, "skipped": 0, "failed": 3}


def test_conll_and_html_escaping(tmp_path: Path) -> None:
    text = "Le <b>juge</b> & M. Jean Dupont.\nFin."
    tagger = LexiconTagger({"Jean Dupont": "PERS"})
    result, = process_texts([text], tagger, Settings(format="conll", html=True))
    conll = result.files[".conll"]
    assert "# sentence = 0 32\n" in conll
    assert "Jean\tB-PERS\t0.9500\t20\t24\n" in conll and "Dupont\tE-PERS\t0.9500\t25\t31\n" in conll
    html = result.files[".html"]
    assert "Le &lt;b&gt;juge&lt;/b&gt; &amp; M. <mark class=\"t-PERS\"" in html and "<b>" not in html


def test_resume_skips_finished_documents(collection: Path, tmp_path: Path) -> None:
    tagger = LexiconTagger({"Madame": "PERS"})
    out = tmp_path / "out"
    first = run_collection([str(collection)], out, tagger, "stub-1", Settings(), quiet=True)
    assert (first.done, first.skipped, first.failed) == (4, 0, 3)
    again = run_collection([str(collection)], out, tagger, "stub-1", Settings(), quiet=True)
    assert (again.done, again.skipped, again.failed) == (0, 4, 3)
    (collection / "doc1.txt").write_text("Changé.\n", encoding="utf-8")
    (out / "doc2.review.json").unlink()
    changed = run_collection([str(collection)], out, tagger, "stub-1", Settings(), quiet=True)
    assert (changed.done, changed.skipped) == (2, 2)  # doc1 changed, doc2 lost a file
    other_model = run_collection([str(collection)], out, tagger, "stub-2", Settings(), quiet=True)
    assert (other_model.done, other_model.skipped) == (4, 0)
    other_settings = run_collection([str(collection)], out, tagger, "stub-2", Settings(format="conll"), quiet=True)
    assert other_settings.done == 4 and (out / "doc0.conll").exists()
    assert not list((out / STATE_DIR / "tmp").glob("*")) if (out / STATE_DIR / "tmp").exists() else True


def test_anonymize_command_and_usage_errors(collection: Path, model_dir: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "anon"
    code = main(["anonymize", str(collection / "doc0.txt"), str(collection / "sub"), "--out", str(out),
                 "--model", str(model_dir), "--strategy", "cassation", "--types", "PERS,ADDRESS,JUDGE_CLERK"])
    assert code == 0
    assert (out / "doc0.txt").exists() and (out / "doc3.txt").exists() and (out / "doc0.review.json").exists()
    err = capsys.readouterr().err
    assert "anonymize: 2 document(s) pseudonymized" in err
    usage = [
        ["anonymize", str(collection), "--out", str(tmp_path / "x"), "--model", str(model_dir), "--types", "NOPE"],
        ["tag", str(collection), "--out", str(tmp_path / "x"), "--model", str(tmp_path / "no-model")],
        ["tag", str(collection), "--out", str(collection), "--model", str(model_dir)],
        ["tag", str(collection), "--out", str(collection / "doc0.txt"), "--model", str(model_dir)],
        ["tag", str(collection), "--out", str(tmp_path / "x"), "--model", str(model_dir), "--preset", "nope"],
    ]
    for argv in usage:
        assert main(argv) == 2, argv
    with pytest.raises(SystemExit) as exit_info:
        main(["tag", "--out", str(tmp_path / "x")])
    assert exit_info.value.code == 2


def test_one_run_per_output_directory(tmp_path: Path) -> None:
    with RunDir(tmp_path / "out"), pytest.raises(UsageError, match="another fastner run"), RunDir(tmp_path / "out"):
        pass


def test_stdin_input(tmp_path: Path) -> None:
    text = "Madame Jeanne Martin, demeurant 3 rue Haute.\n"
    tagger = LexiconTagger({"Jeanne Martin": "PERS", "3 rue Haute": "ADDRESS"})
    report = run_collection(["-"], tmp_path / "o", tagger, "stub", Settings(mode="anonymize"), quiet=True,
                            stdin=io.BytesIO(text.encode()))
    assert report.done == 1
    assert (tmp_path / "o" / "stdin.txt").read_text(encoding="utf-8") == "Madame [PERS], demeurant [ADDRESS].\n"


def test_default_model_lookup(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setattr(tag_module, "default_model_path", lambda: tmp_path / "default")
    with pytest.raises(ModelNotFound, match="bundled model is not installed"):
        load_model()
    assert main(["tag", str(tmp_path), "--out", str(tmp_path / "out")]) == 2


def test_chunks_across_documents_give_the_same_outputs(tmp_path: Path) -> None:
    texts = short_documents(5, sentences=4)
    tagger = SequenceTagger.random("tiny", tag_types=list(LABELS), seed=1)
    small = process_texts(texts, tagger, Settings(chunk_sentences=3, review=False))
    large = process_texts(texts, tagger, Settings(chunk_sentences=1000, review=False))
    for a, b in zip(small, large):
        assert [(s, e, label) for s, e, label, _ in a.spans] == [(s, e, label) for s, e, label, _ in b.spans]


def test_a_document_the_tagger_cannot_take_fails_alone(tmp_path: Path) -> None:
    texts = ["Bonjour M. Jean Dupont.", "Un POISON ici.", "Au revoir Jean Dupont."]
    tagger = LexiconTagger({"Jean Dupont": "PERS"}, fail_on="POISON")
    for i, text in enumerate(texts):
        (tmp_path / f"d{i}.txt").write_text(text, encoding="utf-8")
    report = run_collection([str(tmp_path / f"d{i}.txt") for i in range(3)], tmp_path / "out", tagger, "stub",
                            Settings(), quiet=True)
    assert (report.done, report.failed) == (2, 1) and report.failures["tagging_failed"] == 1
    assert not (tmp_path / "out" / "d1.jsonl").exists() and (tmp_path / "out" / "d2.jsonl").exists()


def _check_complete(inputs: Path, out: Path) -> None:
    """Every input has exactly one complete set of outputs, and nothing else is there."""
    expected = set()
    for path in sorted(inputs.glob("*.txt")):
        doc_id = path.stem
        text = path.read_text(encoding="utf-8")
        record = read_jsonl_record(out / f"{doc_id}.jsonl")
        assert record["id"] == doc_id and record["n_chars"] == len(text)
        assert record["n_sentences"] == len(record["sentences"])
        json.loads((out / f"{doc_id}.review.json").read_text(encoding="utf-8"))
        assert (out / f"{doc_id}.html").read_text(encoding="utf-8").endswith("</html>\n")
        expected |= {f"{doc_id}.jsonl", f"{doc_id}.review.json", f"{doc_id}.html"}
    present = {p.name for p in out.iterdir() if p.name != STATE_DIR}
    assert present == expected | {"errors.jsonl", "summary.json"}
    manifest = [json.loads(line) for line in (out / STATE_DIR / "manifest.jsonl").read_text().splitlines() if line]
    assert {m["id"] for m in manifest} == {p.stem for p in inputs.glob("*.txt")}


def test_killed_run_resumes_without_loss(model_dir: Path, tmp_path: Path) -> None:
    inputs = tmp_path / "in"
    inputs.mkdir()
    for i, text in enumerate(short_documents(150, sentences=2)):
        (inputs / f"d{i:03d}.txt").write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    command = [sys.executable, "-m", "fastner.cli", "tag", str(inputs), "--out", str(out), "--model",
               str(model_dir), "--quiet", "--html", "--chunk-sentences", "4"]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    manifest = out / STATE_DIR / "manifest.jsonl"
    kill_midway(command, manifest, 10, '"key"', 120, env=env)
    done_before = manifest.read_text().count('"key"')  # finished documents (not the "pending" lines)
    assert 10 <= done_before < 150
    for path in out.glob("*.jsonl"):  # whatever is in place is complete
        if path.name != "errors.jsonl":
            read_jsonl_record(path)
    resumed = subprocess.run(command, env=env, capture_output=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr.decode()
    summary = json.loads((out / "summary.json").read_text())
    assert summary["documents"]["skipped"] >= done_before - 1
    assert summary["documents"]["done"] + summary["documents"]["skipped"] == 150
    _check_complete(inputs, out)


def test_measure_tag_overhead_runs() -> None:
    tagger = SequenceTagger.random("tiny", tag_types=list(LABELS), seed=0)
    result = measure_tag_overhead(tagger, short_documents(3), repeats=1)
    assert result["documents"] == 3 and result["tokens"] > 0
    assert result["predict_s"] > 0 and result["pipeline_s"] > 0
    assert REPO.exists()


def test_spill_file(tmp_path: Path) -> None:
    from fastner.apps.runs import SpillFile

    small = SpillFile(tmp_path / "small", limit=10)
    small.write("abc")
    assert not small.path.exists()
    small.close()
    assert small.path.read_text() == "abc"
    big = SpillFile(tmp_path / "big", limit=10)
    big.write("0123456789")
    assert big.path.exists()
    big.write("é")
    big.close(fsync=True)
    assert big.path.read_text(encoding="utf-8") == "0123456789é"
    gone = SpillFile(tmp_path / "gone", limit=1)
    gone.write("xy")
    gone.discard()
    assert not gone.path.exists()
