"""Span-level precision, recall and F1 (exact match), computed as seqeval's default (conlleval) mode does.

Entities are read from tag sequences with seqeval's chunking rules (which also decide what an ill-formed
sequence, such as `B-X O` in BIOES or a stray `I-X`, means); a predicted entity is correct only when its
type, first and last token all match a gold entity. Per type: precision = tp / predicted, recall = tp /
gold, F1 their harmonic mean (0 when undefined); micro sums the counts over types; macro averages the
per-type precision, recall and F1 over every type present in the gold or the predictions.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence


def _end_of_chunk(prev_tag: str, tag: str, prev_type: str, type_: str) -> bool:
    if prev_tag in ("E", "S"):
        return True
    if prev_tag in ("B", "I") and tag in ("B", "S", "O"):
        return True
    return prev_tag not in ("O", ".") and prev_type != type_


def _start_of_chunk(prev_tag: str, tag: str, prev_type: str, type_: str) -> bool:
    if tag in ("B", "S"):
        return True
    if prev_tag in ("E", "S", "O") and tag in ("E", "I"):
        return True
    return tag not in ("O", ".") and prev_type != type_


def get_entities(tags: Sequence[str]) -> list[tuple[str, int, int]]:
    """(type, first, last) chunks of one tag sequence, by seqeval's default rules."""
    chunks = []
    prev_tag, prev_type, begin = "O", "", 0
    for i, chunk in enumerate([*tags, "O"]):
        tag = chunk[0] if chunk else "O"
        type_ = chunk[1:].split("-", maxsplit=1)[-1] or "_"
        if _end_of_chunk(prev_tag, tag, prev_type, type_):
            chunks.append((prev_type, begin, i - 1))
        if _start_of_chunk(prev_tag, tag, prev_type, type_):
            begin = i
        prev_tag, prev_type = tag, type_
    return chunks


def _ratio(a: float, b: float) -> float:
    return a / b if b else 0.0


def _scores(tp: int, n_pred: int, n_true: int) -> dict[str, float]:
    p, r = _ratio(tp, n_pred), _ratio(tp, n_true)
    return {"precision": p, "recall": r, "f1": _ratio(2 * p * r, p + r), "support": n_true,
            "predicted": n_pred, "correct": tp}


def span_scores(gold: Sequence[Sequence[str]], predicted: Sequence[Sequence[str]]) -> dict:
    """{"micro": {...}, "macro": {...}, "per_type": {TYPE: {...}}}, each with precision, recall, f1, support.

    `gold` and `predicted` are lists of tag sequences (one per sentence, same lengths). Sentences are
    joined with an `O` between them, as seqeval does.
    """
    if len(gold) != len(predicted):
        raise ValueError(f"{len(gold)} gold sentences but {len(predicted)} predicted")
    true_sets: dict[str, set] = defaultdict(set)
    pred_sets: dict[str, set] = defaultdict(set)
    offset = 0
    for i, (g, p) in enumerate(zip(gold, predicted)):
        if len(g) != len(p):
            raise ValueError(f"sentence {i}: {len(g)} gold tags but {len(p)} predicted")
        for kind, first, last in get_entities(list(g)):
            true_sets[kind].add((first + offset, last + offset))
        for kind, first, last in get_entities(list(p)):
            pred_sets[kind].add((first + offset, last + offset))
        offset += len(g) + 1
    per_type = {}
    totals = [0, 0, 0]
    for kind in sorted(set(true_sets) | set(pred_sets)):
        tp = len(true_sets[kind] & pred_sets[kind])
        per_type[kind] = _scores(tp, len(pred_sets[kind]), len(true_sets[kind]))
        totals[0] += tp
        totals[1] += len(pred_sets[kind])
        totals[2] += len(true_sets[kind])
    micro = _scores(*totals)
    n = len(per_type)
    macro = {key: (sum(s[key] for s in per_type.values()) / n if n else 0.0) for key in ("precision", "recall", "f1")}
    macro["support"] = totals[2]
    return {"micro": micro, "macro": macro, "per_type": per_type}


def markdown_table(scores: dict, title: str = "type") -> str:
    """A markdown table: one row per type, then micro and macro."""
    rows = [f"| {title} | precision | recall | F1 | support |", "|---|---:|---:|---:|---:|"]
    for kind, s in scores["per_type"].items():
        rows.append(f"| {kind} | {s['precision']:.4f} | {s['recall']:.4f} | {s['f1']:.4f} | {s['support']} |")
    for name in ("micro", "macro"):
        s = scores[name]
        rows.append(f"| **{name}** | {s['precision']:.4f} | {s['recall']:.4f} | {s['f1']:.4f} | {s['support']} |")
    return "\n".join(rows)
