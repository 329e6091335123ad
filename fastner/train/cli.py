"""The training subcommands of `fastner`: generate, train-lm, train, evaluate, train-default, train-bench-model.

`register(subparsers)` adds them to the main parser; each command function takes the parsed arguments and
returns an exit code (0 ok, 2 bad input: the message names the file and the line).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import fields
from pathlib import Path

VARIANT_OPTIONS = ("no_title", "lowercase_names", "merged_words", "name_as_company", "common_noun_names", "typos")


def _error(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 2


def _threads(n: int | None) -> None:
    import torch

    if n:
        torch.set_num_threads(n)


def _rate(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"a rate must be in [0, 1], got {text}")
    return value


# --- generate ---------------------------------------------------------------------------------------------

def variants_from_args(args):
    from fastner.synth.variants import Variants

    rates = {f.name: args.variants for f in fields(Variants)}
    for name in VARIANT_OPTIONS:
        value = getattr(args, name, None)
        if value is not None:
            rates[name] = value
    return Variants(**rates)


def cmd_generate(args) -> int:
    from fastner.synth.decisions import generate_documents
    from fastner.train.conll import write_split

    if args.docs < 1:
        return _error("--docs must be >= 1")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    variants = variants_from_args(args)
    default_small = max(1, args.docs // 5)
    counts = {"train": args.docs, "dev": args.dev_docs if args.dev_docs is not None else default_small,
              "test": args.test_docs if args.test_docs is not None else default_small}
    for split, n in counts.items():
        docs = generate_documents(n, args.seed, split=split, variants=variants)
        n_sentences = write_split(out, split, docs)
        print(f"{split}: {n} documents, {n_sentences} sentences -> {out / f'{split}.conll'}, {out / f'{split}.txt'}")
    return 0


# --- train-lm ---------------------------------------------------------------------------------------------

def cmd_train_lm(args) -> int:
    from fastner.devices import resolve_device
    from fastner.train.lm import char_dictionary, read_text, save_char_lm, train_char_lm

    _threads(args.threads)
    try:
        sentences = read_text(args.text)
        dev = read_text(args.dev) if args.dev else None
    except (OSError, ValueError) as err:
        return _error(str(err))
    if args.max_sentences:
        sentences = sentences[: args.max_sentences]
    if dev is None:  # hold out every 20th sentence
        dev = sentences[::20]
        sentences = [s for i, s in enumerate(sentences) if i % 20] or dev
    chars = char_dictionary(sentences)
    directions = {"both": (True, False), "forward": (True,), "backward": (False,)}[args.direction]
    out = Path(args.out)
    try:
        device = resolve_device(args.device)
    except ValueError as err:
        return _error(str(err))
    print(f"{len(sentences)} training sentences ({sum(map(len, sentences)):,} chars), {len(dev)} held out; "
          f"{len(chars)} characters; device {device}")
    for forward in directions:
        lm, history = train_char_lm(
            sentences, dev, forward, hidden_size=args.hidden, nlayers=args.layers, embedding_size=args.embedding,
            chars=chars, epochs=args.epochs, lr=args.lr, batch_chars=args.batch_chars, seed=args.seed,
            device=device, progress=not args.no_progress)
        target = out / ("forward" if forward else "backward") if args.direction == "both" else out
        save_char_lm(lm, target, {"history": history})
        print(f"saved {target}")
    return 0


# --- train ------------------------------------------------------------------------------------------------

def config_from_args(args):
    from fastner.options import from_args
    from fastner.train.trainer import TrainConfig

    forward, backward = args.forward_lm, args.backward_lm
    if args.lms:
        forward = forward or str(Path(args.lms) / "forward")
        backward = backward or str(Path(args.lms) / "backward")
    return from_args(TrainConfig, args, forward_lm=forward, backward_lm=backward)


def cmd_train(args) -> int:
    from fastner.io import ModelFileError
    from fastner.train.conll import ConllError, read_conll
    from fastner.train.trainer import train_tagger

    _threads(args.threads)
    try:
        train, dev = read_conll(args.train), read_conll(args.dev)
        config = config_from_args(args)
        result = train_tagger(train, dev, args.out, config, progress=not args.no_progress, resume=args.resume)
    except (ConllError, ModelFileError) as err:
        return _error(str(err))
    except ValueError as err:
        return _error(str(err))
    print(f"best dev micro F1 {result.best_dev_f1:.4f}; model saved to {args.out} ({result.seconds:.0f}s)")
    return 0


# --- evaluate ---------------------------------------------------------------------------------------------

def cmd_evaluate(args) -> int:
    from fastner.io import ModelFileError
    from fastner.models import default_model_path
    from fastner.tagger import SequenceTagger
    from fastner.train.conll import ConllError, read_conll
    from fastner.train.metrics import markdown_table
    from fastner.train.trainer import evaluate_tagger

    _threads(args.threads)
    model = Path(args.model) if args.model else default_model_path()
    try:
        gold = read_conll(args.test)
        tagger = SequenceTagger.load(model)
    except (ConllError, ModelFileError) as err:
        return _error(str(err))
    scores = evaluate_tagger(tagger, gold, args.batch_size)
    print(f"model {model} on {args.test} ({len(gold)} sentences)")
    print(markdown_table(scores))
    if args.json:
        keep = ("precision", "recall", "f1", "support")
        payload = {"micro": {k: scores["micro"][k] for k in keep}, "macro": {k: scores["macro"][k] for k in keep},
                   "per_type": {t: {k: s[k] for k in keep} for t, s in scores["per_type"].items()}}
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(payload, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {args.json}")
    return 0


def cmd_train_bench_model(args) -> int:
    from fastner.train.benchmodel import bench_dir, ensure_bench_model, load_summary

    cached = not args.force and load_summary(args.size, args.cache) is not None
    model = ensure_bench_model(args.size, args.cache, args.device, args.threads, args.force)
    summary = load_summary(args.size, args.cache)
    micro = summary["test"]["micro"]
    print(f"{'cached' if cached else 'trained'}: {model} (training {summary['train_wall_s'] / 60:.1f} min wall; "
          f"test micro F1 {micro['f1']:.4f}; report {bench_dir(args.size, args.cache) / 'report.md'})")
    return 0


def cmd_train_default(args) -> int:
    from fastner.train.recipe import run_recipe

    return run_recipe(args)


# --- parsers ----------------------------------------------------------------------------------------------

def _common(p: argparse.ArgumentParser, threads: int = 2) -> None:
    p.add_argument("--threads", type=int, default=threads, help=f"torch CPU threads (default {threads})")


def register(subparsers) -> None:
    """Add `generate`, `train-lm`, `train`, `evaluate`, `train-default` and `train-bench-model` to an argparse
    subparsers object."""
    from fastner.options import add_arguments
    from fastner.train.trainer import TrainConfig

    p = subparsers.add_parser("generate", help="generate synthetic French court decisions as CoNLL and raw text")
    p.add_argument("--docs", type=int, required=True, help="training documents")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", required=True, help="directory for {train,dev,test}.conll and {train,dev,test}.txt")
    p.add_argument("--dev-docs", type=int, default=None, help="dev documents (default: docs/5, at least 1)")
    p.add_argument("--test-docs", type=int, default=None, help="test documents (default: docs/5, at least 1)")
    p.add_argument("--variants", type=_rate, default=0.0, metavar="RATE",
                   help="rate of every harder variant (no titles, lower-case names, merged words, names as "
                        "companies, common-noun surnames, typos); the options below override one each")
    for name in VARIANT_OPTIONS:
        p.add_argument(f"--{name.replace('_', '-')}", type=_rate, default=None, metavar="RATE")
    p.set_defaults(func=cmd_generate)

    p = subparsers.add_parser("train-lm", help="train forward and backward character language models on text")
    p.add_argument("text", help="UTF-8 text file (split into sentences and tokenized like the tagger does)")
    p.add_argument("--out", required=True, help="output directory (with --direction both: OUT/forward, "
                                                "OUT/backward)")
    p.add_argument("--direction", choices=["both", "forward", "backward"], default="both")
    p.add_argument("--dev", default=None, help="held-out text for perplexity (default: every 20th sentence)")
    p.add_argument("--hidden", type=int, default=128)
    p.add_argument("--layers", type=int, default=1)
    p.add_argument("--embedding", type=int, default=32, help="character embedding size")
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--lr", type=float, default=3e-3, help="Adam learning rate")
    p.add_argument("--batch-chars", type=int, default=4000, help="padded characters per batch")
    p.add_argument("--max-sentences", type=int, default=None)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="auto", help="auto (CUDA when present), cpu, cuda, cuda:1...")
    p.add_argument("--no-progress", action="store_true")
    _common(p)
    p.set_defaults(func=cmd_train_lm)

    p = subparsers.add_parser("train", help="train a BiLSTM-CRF tagger from CoNLL files")
    p.add_argument("train", help="training CoNLL file")
    p.add_argument("dev", help="dev CoNLL file (early stopping on its micro F1)")
    p.add_argument("--out", required=True, help="model directory (best model; checkpoint/ and training.json)")
    p.add_argument("--lms", default=None, help="directory from `train-lm --direction both` (its forward/ and "
                                               "backward/; --forward-lm and --backward-lm override)")
    add_arguments(p, TrainConfig)
    p.add_argument("--resume", action="store_true", help="continue from OUT/checkpoint")
    p.add_argument("--no-progress", action="store_true")
    _common(p)
    p.set_defaults(func=cmd_train)

    p = subparsers.add_parser("evaluate", help="span-level precision/recall/F1 of a model on a CoNLL file")
    p.add_argument("test", help="CoNLL file with gold tags")
    p.add_argument("--model", default=None, help="model directory (default: the bundled model)")
    p.add_argument("--json", default=None, help="write {micro, macro, per_type} scores here")
    p.add_argument("--batch-size", type=int, default=64)
    _common(p)
    p.set_defaults(func=cmd_evaluate)

    p = subparsers.add_parser("train-default", help="the recipe of the bundled model: generate, train LMs and "
                                                    "tagger, evaluate, write the report and the model")
    from fastner.train.recipe import add_recipe_options

    add_recipe_options(p)
    p.set_defaults(func=cmd_train_default)

    p = subparsers.add_parser("train-bench-model", help="train (once per machine, then cached) the benchmark model "
                                                        "of a size with the recipe: what `fastner tiers` measures")
    p.add_argument("--size", default="cpu", choices=["cpu", "paper"])
    p.add_argument("--cache", default=None, help="cache directory (default: $FASTNER_CACHE or ~/.cache/fastner)")
    p.add_argument("--device", default="cpu")
    p.add_argument("--force", action="store_true", help="train again even if a finished model is cached")
    _common(p)
    p.set_defaults(func=cmd_train_bench_model)
