"""Accuracy on hand-written decisions: what `predict` finds and what `fastner anonymize` leaves in clear.

A hand-written set is a directory of documents, each either one `NAME.ann` file (the text with inline
markup `<PERS>Léa Morvan</PERS>`, one label per span, no nesting) or a `NAME.txt` file with a `NAME.json`
beside it (`{"spans": [{"start": 0, "end": 9, "label": "PERS"}, ...]}`, character offsets into the text).
Sub-directories are splits (`dev`, `heldout`); `load_set(root, "all")` reads them all.

`evaluate_handwritten(tagger, documents)` runs the same pipeline as the commands (`process_texts`, which
`fastner tag` and `fastner anonymize` use) and measures: span precision / recall / F1 per type of the
tagger (exact character offsets); for `anonymize`'s default command and for `--strategy cassation`, with
and without the consistency pass: the PERS and ADDRESS mentions fully replaced, the lawyer and judge
mentions kept untouched, the other characters unchanged, and (cassation) the birth dates replaced.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastner.apps.analysis import is_birth_date

SPLITS = ("dev", "heldout")
REPLACED = ("PERS", "ADDRESS")
KEPT = ("LAWYER", "JUDGE_CLERK")
_MARKUP = re.compile(r"<([A-Z_]+)>(.*?)</\1>", re.DOTALL)
_STRAY = re.compile(r"</?[A-Z_]+>")


class SetError(ValueError):
    """A hand-written document that cannot be read as annotated text."""


@dataclass(frozen=True)
class Document:
    """A hand-written document: its text and gold spans `(start, end, label)`, sorted, not overlapping."""

    id: str
    text: str
    spans: tuple[tuple[int, int, str], ...]


def parse_markup(marked: str, name: str = "<text>") -> tuple[str, list[tuple[int, int, str]]]:
    """The plain text of `marked` and its spans; `SetError` on a stray or nested tag."""
    out: list[str] = []
    spans: list[tuple[int, int, str]] = []
    pos = length = 0
    for match in _MARKUP.finditer(marked):
        before = marked[pos:match.start()]
        inner = match.group(2)
        for piece in (before, inner):
            stray = _STRAY.search(piece)
            if stray:
                raise SetError(f"{name}: stray or nested tag {stray.group()!r} near offset {pos}")
        out.append(before)
        length += len(before)
        if not inner.strip() or inner != inner.strip():
            raise SetError(f"{name}: span {inner!r} is empty or has spaces at its ends")
        spans.append((length, length + len(inner), match.group(1)))
        out.append(inner)
        length += len(inner)
        pos = match.end()
    rest = marked[pos:]
    stray = _STRAY.search(rest)
    if stray:
        raise SetError(f"{name}: stray tag {stray.group()!r}")
    out.append(rest)
    return "".join(out), spans


def _read_document(path: Path, labels: Sequence[str] | None) -> Document:
    if path.suffix == ".ann":
        text, spans = parse_markup(path.read_text(encoding="utf-8"), str(path))
    else:
        text = path.read_text(encoding="utf-8")
        raw = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
        raw = raw["spans"] if isinstance(raw, dict) else raw
        spans = [(int(s["start"]), int(s["end"]), str(s["label"])) for s in raw]
    spans.sort()
    for (s0, e0, _), (s1, _, _) in itertools.pairwise(spans):
        if s1 < e0:
            raise SetError(f"{path}: spans overlap at offsets {s0}-{e0} and {s1}")
    for start, end, label in spans:
        if not 0 <= start < end <= len(text):
            raise SetError(f"{path}: span {start}-{end} outside the text ({len(text)} characters)")
        if labels is not None and label not in labels:
            raise SetError(f"{path}: unknown label {label!r} (expected one of {', '.join(labels)})")
    return Document(path.stem, text, tuple(spans))


def load_set(root: str | Path, split: str = "all", labels: Sequence[str] | None = None) -> list[Document]:
    """The documents of `root/split` (`all`: every split, or `root` itself if it has no split directory),
    in name order."""
    root = Path(root)
    dirs = [root / s for s in SPLITS if (root / s).is_dir()] or [root] if split == "all" else [root / split]
    documents = []
    for directory in dirs:
        if not directory.is_dir():
            raise SetError(f"{directory}: no such directory")
        paths = sorted(p for p in directory.iterdir()
                       if p.suffix == ".ann" or (p.suffix == ".txt" and p.with_suffix(".json").is_file()))
        documents += [_read_document(p, labels) for p in paths]
    if not documents:
        raise SetError(f"{root} ({split}): no document (.ann, or .txt with .json)")
    return documents


# --- measures ----------------------------------------------------------------------------------------------

def span_f1(gold: Iterable[tuple[int, int, str]], predicted: Iterable[tuple[int, int, str]]) -> dict[str, Any]:
    """Exact-offset span precision / recall / F1 per label and micro, from lists of (start, end, label)."""
    gold, predicted = set(gold), set(predicted)
    labels = sorted({s[2] for s in gold} | {s[2] for s in predicted})

    def score(g: set, p: set) -> dict[str, float | int]:
        tp = len(g & p)
        precision = tp / len(p) if p else 0.0
        recall = tp / len(g) if g else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return {"precision": precision, "recall": recall, "f1": f1, "support": len(g), "predicted": len(p)}

    per_type = {label: score({s for s in gold if s[2] == label}, {s for s in predicted if s[2] == label})
                for label in labels}
    return {"per_type": per_type, "micro": score(gold, predicted)}


def birth_dates(document: Document) -> list[tuple[int, int]]:
    """Gold DATE spans that follow "né(e) le" (the convention replaces them)."""
    return [(s, e) for s, e, label in document.spans
            if label == "DATE" and is_birth_date(document.text[max(0, s - 60):s])]


def replacement_counts(document: Document, marks, strategy: str) -> dict[str, Any]:
    """Per-document counts: PERS/ADDRESS mentions fully replaced (per type), LAWYER/JUDGE_CLERK mentions
    untouched, other non-space characters unchanged, birth dates replaced; the mentions left (partly) in
    clear, for reading."""
    text = document.text
    covered = bytearray(len(text))
    for mark in marks:
        covered[mark.start:mark.end] = b"\x01" * (mark.end - mark.start)
    protected = bytearray(len(text))
    counts: dict[str, Any] = {"replaced": {t: [0, 0] for t in REPLACED}, "kept": {t: [0, 0] for t in KEPT},
                              "other_chars": [0, 0], "birth_dates": [0, 0], "leaks": [], "over": []}
    births = set(birth_dates(document))
    for start, end, label in document.spans:
        chars = [i for i in range(start, end) if not text[i].isspace()]
        hit = sum(covered[i] for i in chars)
        if label in REPLACED:
            counts["replaced"][label][0] += 1
            counts["replaced"][label][1] += hit == len(chars)
            if hit < len(chars):
                counts["leaks"].append([label, text[start:end]])
        elif label in KEPT:
            counts["kept"][label][0] += 1
            counts["kept"][label][1] += hit == 0
            if hit:
                counts["over"].append([label, text[start:end]])
        if (start, end) in births:
            counts["birth_dates"][0] += 1
            counts["birth_dates"][1] += hit == len(chars)
        if label in REPLACED or label in KEPT or (strategy == "cassation" and (start, end) in births):
            protected[start:end] = b"\x01" * (end - start)
    other = [i for i in range(len(text)) if not protected[i] and not text[i].isspace()]
    counts["other_chars"] = [len(other), sum(1 for i in other if not covered[i])]
    return counts


def _merge(total: dict[str, Any], part: dict[str, Any]) -> None:
    for key, value in part.items():
        if isinstance(value, dict):
            into = total.setdefault(key, {})
            for label, (n, k) in value.items():
                pair = into.setdefault(label, [0, 0])
                pair[0] += n
                pair[1] += k
        elif key in ("leaks", "over"):
            total.setdefault(key, []).extend(value)
        else:
            pair = total.setdefault(key, [0, 0])
            pair[0] += value[0]
            pair[1] += value[1]


def summarize(total: dict[str, Any]) -> dict[str, Any]:
    """Rates from merged counts: `pers_address` (both types together), per type, `kept`, `other`."""

    def rate(pair: Sequence[int]) -> float | None:
        return pair[1] / pair[0] if pair[0] else None

    both = [sum(total["replaced"][t][0] for t in REPLACED), sum(total["replaced"][t][1] for t in REPLACED)]
    kept = [sum(total["kept"][t][0] for t in KEPT), sum(total["kept"][t][1] for t in KEPT)]
    return {"pers_address": rate(both), "pers_address_counts": both,
            "per_type": {t: {"rate": rate(total["replaced"][t]), "counts": total["replaced"][t]} for t in REPLACED},
            "kept": rate(kept), "kept_counts": kept,
            "other": rate(total["other_chars"]), "other_counts": total["other_chars"],
            "birth_dates": rate(total["birth_dates"]), "birth_date_counts": total["birth_dates"],
            "leaks": total["leaks"], "over": total["over"]}


def evaluate_handwritten(tagger, documents: Sequence[Document],
                         strategies: Sequence[str] = ("placeholder", "cassation")) -> dict[str, Any]:
    """Span scores of the tagger and pseudonymization rates of `fastner anonymize` (each strategy, with and
    without consistency) on `documents`, through the commands' own pipeline."""
    from fastner.apps.pipeline import Settings, process_texts

    texts, ids = [d.text for d in documents], [d.id for d in documents]

    def run(settings: Settings):
        results = process_texts(texts, tagger, settings, ids=ids)
        if len(results) != len(documents):
            raise RuntimeError(f"{len(documents) - len(results)} hand-written document(s) could not be processed")
        return results

    tagged = run(Settings(mode="tag", review=False))
    gold = [(d.id, s, e, label) for d in documents for s, e, label in d.spans]
    predicted = [(d.id, s, e, label) for d, r in zip(documents, tagged) for s, e, label, _ in r.spans]
    scores = span_f1([(f"{i}:{s}", e, label) for i, s, e, label in gold],
                     [(f"{i}:{s}", e, label) for i, s, e, label in predicted])
    anonymize: dict[str, Any] = {}
    for strategy in strategies:
        for consistency in (True, False):
            results = run(Settings(mode="anonymize", review=False, strategy=strategy, consistency=consistency))
            total: dict[str, Any] = {}
            for document, result in zip(documents, results):
                _merge(total, replacement_counts(document, result.marks, strategy))
            anonymize[f"{strategy}{'' if consistency else ', no consistency'}"] = summarize(total)
    return {"documents": len(documents), "mentions": len(gold),
            "mentions_per_type": {label: sum(1 for g in gold if g[3] == label)
                                  for label in sorted({g[3] for g in gold})},
            "spans": scores, "anonymize": anonymize}


# --- `fastner evaluate-handwritten` -------------------------------------------------------------------------

def add_arguments(p) -> None:
    p.add_argument("--data", default="tests/data/handwritten",
                   help="the set: a directory of .ann files (or .txt + .json), with dev/ and heldout/ splits or not")
    p.add_argument("--set", dest="split", choices=["dev", "heldout", "all"], default="dev",
                   help="which split to score (default dev; all: every split together)")
    p.add_argument("--model", help="model directory (default: the bundled model)")
    p.add_argument("--json", help="also write the full measures (and the mentions left in clear) to this file")
    p.add_argument("--threads", type=int, default=0, help="torch threads (default: torch's)")


def format_summary(result: dict[str, Any]) -> str:
    """A plain-text summary of `evaluate_handwritten`'s result."""

    def pct(rate: float | None) -> str:
        return "n/a" if rate is None else f"{100 * rate:.1f}%"

    lines = [f"{result['documents']} documents, {result['mentions']} mentions", "span F1 of predict:"]
    for label, s in result["spans"]["per_type"].items():
        lines.append(f"  {label:<13} P {s['precision']:.3f}  R {s['recall']:.3f}  F1 {s['f1']:.3f}  ({s['support']})")
    lines.append(f"  {'micro':<13} F1 {result['spans']['micro']['f1']:.3f}")
    lines.append("fastner anonymize:")
    for setting, r in result["anonymize"].items():
        lines.append(f"  {setting:<28} PERS+ADDRESS replaced {pct(r['pers_address'])} "
                     f"(PERS {pct(r['per_type']['PERS']['rate'])}, ADDRESS {pct(r['per_type']['ADDRESS']['rate'])}), "
                     f"lawyers/judges kept {pct(r['kept'])}, other text unchanged {pct(r['other'])}, "
                     f"birth dates replaced {pct(r['birth_dates'])}")
    return "\n".join(lines)


def cmd_evaluate_handwritten(args) -> int:
    import sys

    from fastner.apps.tag import ModelNotFound, load_model
    from fastner.synth.labels import LABELS

    try:
        documents = load_set(args.data, args.split, LABELS)
        tagger, model = load_model(args.model)
    except (SetError, ModelNotFound, OSError, json.JSONDecodeError) as err:
        print(f"fastner evaluate-handwritten: {err}", file=sys.stderr)
        return 2
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    result = evaluate_handwritten(tagger, documents)
    print(f"model: {model}; set: {args.data} ({args.split})")
    print(format_summary(result))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1, ensure_ascii=False), encoding="utf-8")
        print(f"wrote {args.json}")
    return 0
