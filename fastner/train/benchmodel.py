"""Trained benchmark models: the bundled recipe at a benchmark size, trained once per machine and cached.

`fastner train-bench-model --size cpu` runs the training recipe (`fastner.train.recipe`: generate, train the
forward and backward character LMs, train the BiLSTM-CRF, evaluate on the unseen-template test split) with
the `cpu` size's widths (char LMs hidden 512 over 100-d character embeddings, 300-d learned word vectors,
tagger hidden 256) on a small corpus and few epochs, so it stays affordable on a 2-core CPU. A random model
cannot measure how far reduced precision moves outputs (it scores many tags almost equally); this one can.

Cache: `$FASTNER_CACHE` or `~/.cache/fastner`, under `bench-models/{size}/`: `model/` (the tagger),
`work/corpus/{train,dev,test}.conll`, `work/lms/`, and `work/summary.json` (command, training time, test
scores), written last: a directory without it is an unfinished run and is trained again.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
from pathlib import Path

# Recipe options per size; everything else is the recipe's default (seed 0, CRF). The benchmark models keep the
# base generator (no coverage additions), learned word vectors (not the bundled model's spaCy ones) and every
# entity word seen in training (its --entity-unk-rate set to 0): what the tiers report measured.
RECIPES: dict[str, list[str]] = {
    "cpu": ["--train-docs", "30", "--dev-docs", "5", "--test-docs", "15", "--lm-docs", "30",
            "--lm-hidden", "512", "--lm-embedding", "100", "--lm-epochs", "1", "--word-dim", "300",
            "--hidden", "256", "--epochs", "3", "--patience", "2", "--entity-unk-rate", "0", "--no-spacy",
            "--spacy-vectors", "", "--coverage", "none", "--handwritten", ""],
    "paper": ["--train-docs", "100", "--dev-docs", "10", "--test-docs", "15", "--lm-docs", "100",
              "--lm-hidden", "2048", "--lm-embedding", "100", "--lm-epochs", "2", "--word-dim", "300",
              "--hidden", "256", "--epochs", "5", "--patience", "2", "--entity-unk-rate", "0", "--no-spacy",
              "--spacy-vectors", "", "--coverage", "none", "--handwritten", ""],
}


def cache_root(cache: str | Path | None = None) -> Path:
    """`cache`, else $FASTNER_CACHE, else ~/.cache/fastner."""
    if cache is not None:
        return Path(cache)
    return Path(os.environ.get("FASTNER_CACHE") or Path.home() / ".cache" / "fastner")


def bench_dir(size: str, cache: str | Path | None = None) -> Path:
    if size not in RECIPES:
        raise ValueError(f"no benchmark-model recipe for size {size!r}: expected one of {', '.join(RECIPES)}")
    return cache_root(cache) / "bench-models" / size


def command(size: str, cache: str | Path | None = None) -> str:
    """The documented command that builds (or finds) the model."""
    extra = f" --cache {shlex.quote(str(cache))}" if cache is not None else ""
    return f"fastner train-bench-model --size {size}{extra}"


def load_summary(size: str, cache: str | Path | None = None) -> dict | None:
    """The finished run's summary (see `fastner.train.recipe`), or None when the model is not built."""
    path = bench_dir(size, cache) / "work" / "summary.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def ensure_bench_model(size: str = "cpu", cache: str | Path | None = None, device: str = "cpu",
                       threads: int = 2, force: bool = False) -> Path:
    """The model directory of the trained benchmark model of `size`, trained first if not cached."""
    from fastner.train.recipe import add_recipe_options, run_recipe

    root = bench_dir(size, cache)
    if not force and load_summary(size, cache) is not None:
        return root / "model"
    parser = argparse.ArgumentParser()
    add_recipe_options(parser)
    args = parser.parse_args([*RECIPES[size], "--work", str(root / "work"), "--model-out", str(root / "model"),
                              "--report", str(root / "report.md"), "--device", device,
                              "--threads", str(threads), "--no-progress"])
    args.command_line = command(size, cache)
    (root / "work" / "summary.json").unlink(missing_ok=True)
    code = run_recipe(args)
    if code or load_summary(size, cache) is None:
        raise RuntimeError(f"training the {size} benchmark model failed (recipe exit code {code})")
    return root / "model"
