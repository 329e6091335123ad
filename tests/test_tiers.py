"""The tiers benchmark end to end on a tiny saved model, its agreement measure, its report, the trained
benchmark model's cache, and Flair 0.15.1 built from fastner weights."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fastner.perf import tiers
from fastner.perf.tiers import Output, agreement, render
from fastner.train import benchmodel
from tests.conftest import SENTENCES, make_tagger


def test_agreement_counts_tags_spans_and_confidence_gaps():
    want = [Output(["S-PERS", "O", "O"], [0.9, 0.8, 0.7], [(0, 0, "PERS", 0, 3)]),
            Output(["B-ADDRESS", "E-ADDRESS"], [0.6, 0.5], [(0, 1, "ADDRESS", 0, 9)])]
    got = [Output(["S-PERS", "O", "O"], [0.9, 0.8, 0.75], [(0, 0, "PERS", 0, 3)]),
           Output(["S-ADDRESS", "O"], [0.6, 0.5], [(0, 0, "ADDRESS", 0, 4)])]
    a = agreement(got, want, [3, 2])
    assert a["identical_tags"] == pytest.approx(3 / 5) and a["tags_changed"] == 2
    assert a["span_precision"] == 0.5 and a["span_recall"] == 0.5 and a["span_f1"] == 0.5
    assert a["max_confidence_gap"] == pytest.approx(0.05) and a["tags_from"] == "raw tags"
    spans_only = [Output(None, None, o.spans) for o in want]  # Flair: tags rebuilt from spans
    b = agreement(spans_only, want, [3, 2])
    assert b["identical_tags"] == 1.0 and b["span_f1"] == 1.0 and b["max_confidence_gap"] is None
    assert agreement([], [], [])["identical_tags"] == 1.0


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    model = tmp_path_factory.mktemp("model") / "tiny"
    make_tagger(4).save(model)
    return tiers.run(tiers.TiersOptions(rounds=2, batch_size=4, limit=6, model=str(model)))


def test_tiers_measures_every_available_row_and_renders_deterministically(tiny_run, tmp_path):
    data = json.loads(json.dumps(tiny_run))  # what the JSON file holds
    rows = {r["name"]: r for r in data["rows"]}
    assert data["kind"] == "tiers" and tiers.FP32 in rows and tiers.FLOOR in rows
    for row in data["rows"]:
        assert (row["times"] is None) == (row["missing"] is not None)
        if row["times"]:
            assert len(row["times"]) == 2 and all(t > 0 for t in row["times"])
    ref = rows[tiers.FP32]["agreement"]
    assert ref["identical_tags"] == 1.0 and ref["span_f1"] == 1.0 and ref["max_confidence_gap"] == 0.0
    if rows[tiers.FLAIR]["times"]:
        assert rows[tiers.FLAIR]["agreement"]["span_f1"] == 1.0  # same weights, same spans
    onnx_row = rows["onnxruntime fp32"]
    if onnx_row["times"]:
        assert onnx_row["agreement"]["identical_tags"] == 1.0
        assert onnx_row["agreement"]["max_confidence_gap"] <= 1e-4
        assert data["profiles"]["onnxruntime fp32"]["nodes"]["char LM LSTMs"] > 0
    assert data["environment"]["cpu"]["flags_read"] in (True, False)
    text = render(data)
    assert text == render(json.loads(json.dumps(data)))  # same JSON, same bytes
    assert "| fastner fastest fp32 |" in text and "## Goals" in text and "## CPU capabilities" in text
    assert "Given with `--model" in text  # no training record for a model given by path
    json_path, md_path = tiers.write(data, tmp_path)
    assert json_path.name == "tiers-cpu-legal.json" and md_path.name == "tiers-cpu-legal.md"
    assert md_path.read_text() == render(json.loads(json_path.read_text()))


def test_a_row_whose_setup_is_missing_says_why(tiny_run):
    data = json.loads(json.dumps(tiny_run))
    bf16 = next(r for r in data["rows"] if r["name"] == "fastner fastest bf16")
    bf16.update(times=None, agreement=None, test=None, missing="precision='bf16' needs a CPU with bf16 support")
    text = render(data)
    assert "| fastner fastest bf16 | not run: precision='bf16' needs a CPU with bf16 support |" in text
    assert "Not measured: precision='bf16' needs" in text


def test_stems():
    assert tiers.file_stem("cpu", "legal") == "tiers-cpu-legal"
    assert tiers.file_stem("cuda", "/data/my corpus.txt") == "tiers-cuda-my_corpus"
    assert tiers.stem({"device": "cpu", "workload": "conll"}) == "tiers-cpu-conll"


def test_fastner_report_renders_the_tiers_json(tiny_run, tmp_path):
    from fastner.reports import render_all

    json_path, md_path = tiers.write(tiny_run, tmp_path / "first")
    written = render_all([json_path], tmp_path / "again")
    assert [p.name for p in written] == ["tiers-cpu-legal.md"]
    assert written[0].read_text() == md_path.read_text()


def test_bench_model_cache_layout_and_command(tmp_path, monkeypatch):
    monkeypatch.setenv("FASTNER_CACHE", str(tmp_path / "env-cache"))
    assert benchmodel.bench_dir("cpu") == tmp_path / "env-cache" / "bench-models" / "cpu"
    assert benchmodel.bench_dir("cpu", tmp_path / "c") == tmp_path / "c" / "bench-models" / "cpu"
    assert benchmodel.load_summary("cpu", tmp_path / "c") is None
    assert benchmodel.command("cpu") == "fastner train-bench-model --size cpu"
    with pytest.raises(ValueError, match="no benchmark-model recipe for size 'tiny'"):
        benchmodel.bench_dir("tiny")


def test_bench_model_is_trained_once_unless_unfinished_or_forced(tmp_path, monkeypatch):
    runs = []

    def fake_recipe(args):  # what run_recipe leaves behind: the model, then summary.json last
        runs.append(args)
        Path(args.model_out).mkdir(parents=True, exist_ok=True)
        Path(args.work).mkdir(parents=True, exist_ok=True)
        (Path(args.work) / "summary.json").write_text(json.dumps({"command": args.command_line}))
        return 0

    monkeypatch.setattr("fastner.train.recipe.run_recipe", fake_recipe)
    model = benchmodel.ensure_bench_model("cpu", tmp_path)
    assert model == tmp_path / "bench-models" / "cpu" / "model" and len(runs) == 1
    assert runs[0].lm_hidden == 512 and runs[0].hidden_size == 256 and runs[0].word_dim == 300  # the cpu size
    assert benchmodel.ensure_bench_model("cpu", tmp_path) == model and len(runs) == 1  # cached
    (tmp_path / "bench-models" / "cpu" / "work" / "summary.json").unlink()  # an interrupted run
    benchmodel.ensure_bench_model("cpu", tmp_path)
    assert len(runs) == 2
    benchmodel.ensure_bench_model("cpu", tmp_path, force=True)
    assert len(runs) == 3
    monkeypatch.setattr("fastner.train.recipe.run_recipe", lambda args: 1)
    with pytest.raises(RuntimeError, match="training the cpu benchmark model failed"):
        benchmodel.ensure_bench_model("cpu", tmp_path, force=True)


def test_bench_model_is_trained_once_then_cached(tmp_path, monkeypatch):
    tiny_recipe = ["--train-docs", "2", "--dev-docs", "1", "--test-docs", "1", "--lm-docs", "1", "--lm-hidden", "8",
                   "--lm-embedding", "4", "--lm-epochs", "1", "--word-dim", "8", "--hidden", "8", "--epochs", "1",
                   "--spacy-vectors", "", "--no-spacy"]
    monkeypatch.setitem(benchmodel.RECIPES, "cpu", tiny_recipe)
    model = benchmodel.ensure_bench_model("cpu", tmp_path)
    summary = benchmodel.load_summary("cpu", tmp_path)
    assert (model / "config.json").is_file() and summary["recipe"]["lm_hidden"] == 8
    assert summary["train_wall_s"] > 0 and 0.0 <= summary["test"]["micro"]["f1"] <= 1.0
    assert summary["command"] == f"fastner train-bench-model --size cpu --cache {tmp_path}"
    stamp = (model / "model.safetensors").stat().st_mtime_ns
    monkeypatch.setattr("fastner.train.recipe.run_recipe", lambda args: pytest.fail("trained again"))
    assert benchmodel.ensure_bench_model("cpu", tmp_path) == model
    assert (model / "model.safetensors").stat().st_mtime_ns == stamp


def test_flair_built_from_fastner_weights_gives_the_same_spans(tmp_path):
    pytest.importorskip("flair")
    import flair.data
    import torch

    from fastner.perf.headtohead import flair_tagger_from

    tagger = make_tagger(6, nout=5)
    flair_tagger = flair_tagger_from(tagger, tmp_path)
    flair_sentences = [flair.data.Sentence(t) for t in SENTENCES]
    with torch.no_grad():
        flair_tagger.predict(flair_sentences, mini_batch_size=4)
    ours = tagger.predict(list(SENTENCES))
    want = [[(s.start, s.end, s.label) for s in x.spans] for x in ours]
    got = [[(s.start_position, s.end_position, s.get_label("ner").value) for s in x.get_spans("ner")]
           for x in flair_sentences]
    assert got == want and sum(map(len, want)) > 0


@pytest.mark.parametrize("size", sorted(benchmodel.RECIPES))
def test_bench_recipes_train_the_models_the_reports_measured(size: str) -> None:
    """The benchmark models keep the base generator, learned word vectors and every entity word, whatever the
    bundled recipe does."""
    import argparse

    from fastner.train.recipe import add_recipe_options

    parser = argparse.ArgumentParser()
    add_recipe_options(parser)
    args = parser.parse_args(benchmodel.RECIPES[size])
    assert args.entity_unk_rate == 0 and not args.coverage.active and not args.spacy_vectors
