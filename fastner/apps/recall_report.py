"""How much the consistency pass ("check again") adds to the recall of pseudonymization, measured.

`measure_recall` tags synthetic court decisions (`fastner.synth.decisions`, the `test` split, never seen in
training) once, then pseudonymizes each with and without consistency, through the same code as
`fastner anonymize`, and counts the gold entities of the replaced types that were fully replaced.
`python -m fastner.apps.recall_report` writes `reports/data/anonymize-recall.json` and the report rendered
from it, `reports/anonymize-recall.md`, with the bundled model (or `--model PATH`); without a model it writes
a report that says so, with no numbers.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from fastner.apps.anonymize import DEFAULT_TYPES, anonymize_spans
from fastner.apps.pipeline import Settings, process_texts

REPORTS = Path("reports")


def _covered(marks, n: int) -> bytearray:
    covered = bytearray(n)
    for mark in marks:
        covered[mark.start:mark.end] = b"\x01" * (mark.end - mark.start)
    return covered


def score_document(text: str, gold: Sequence[tuple[int, int, str]], marks, types: Sequence[str]) -> dict[str, Any]:
    """Counts for one document: gold entities of `types` fully / partly replaced, their characters replaced,
    and replaced characters outside every gold entity of `types` (over-replacement)."""
    covered = _covered(marks, len(text))
    in_gold = bytearray(len(text))
    out: dict[str, Any] = {"per_type": {t: [0, 0] for t in types}, "entities": 0, "full": 0, "partial": 0,
                           "chars": 0, "chars_replaced": 0}
    for start, end, label in gold:
        if label not in types:
            continue
        positions = [i for i in range(start, end) if not text[i].isspace()]
        hit = sum(covered[i] for i in positions)
        out["entities"] += 1
        out["per_type"][label][0] += 1
        out["chars"] += len(positions)
        out["chars_replaced"] += hit
        if positions and hit == len(positions):
            out["full"] += 1
            out["per_type"][label][1] += 1
        if hit:
            out["partial"] += 1
        in_gold[start:end] = b"\x01" * (end - start)
    replaced = [i for i in range(len(text)) if covered[i] and not text[i].isspace()]
    out["replaced_chars"] = len(replaced)
    out["replaced_outside_gold"] = sum(1 for i in replaced if not in_gold[i])
    out["consistency_marks"] = sum(1 for m in marks if m.source == "consistency")
    labels = [""] * len(text)  # gold label of each character (any type), for where consistency lands
    for start, end, label in gold:
        labels[start:end] = [label] * (end - start)
    landed: dict[str, int] = {}
    for m in marks:
        if m.source == "consistency":
            hit = next((labels[i] for i in range(m.start, m.end) if labels[i]), "") or "no gold entity"
            landed[hit] = landed.get(hit, 0) + 1
    out["consistency_by_gold"] = landed
    out["consistency_marks_outside_gold"] = sum(
        1 for m in marks if m.source == "consistency" and not any(in_gold[m.start:m.end]))
    return out


def _add(total: dict[str, Any], part: dict[str, Any]) -> None:
    for key, value in part.items():
        if key == "consistency_by_gold":
            into = total.setdefault(key, {})
            for label, n in value.items():
                into[label] = into.get(label, 0) + n
        elif key == "per_type":
            for label, (n, full) in value.items():
                total["per_type"].setdefault(label, [0, 0])
                total["per_type"][label][0] += n
                total["per_type"][label][1] += full
        else:
            total[key] = total.get(key, 0) + value


def measure_recall(tagger, n_docs: int = 40, seed: int = 0, types: Sequence[str] = DEFAULT_TYPES,
                   split: str = "test", strategy: str = "placeholder") -> dict[str, Any]:
    """Recall of the replaced types' gold entities, with and without consistency, on `n_docs` generated
    decisions of `split` (seed `seed`). Returns totals per setting: entities, fully and partly replaced,
    characters, replaced characters outside gold entities, consistency replacements outside gold."""
    from fastner.synth.decisions import generate_documents

    documents = generate_documents(n_docs, seed, split=split)
    started = time.perf_counter()
    results = process_texts([d.text for d in documents], tagger, Settings(mode="tag", review=False),
                            ids=[d.id for d in documents])
    tag_seconds = time.perf_counter() - started
    if len(results) != len(documents):
        raise RuntimeError(f"{len(documents) - len(results)} document(s) could not be tagged")
    totals: dict[str, dict[str, Any]] = {}
    for consistency in (False, True):
        total: dict[str, Any] = {"per_type": {}}
        for document, result in zip(documents, results):
            anonymized = anonymize_spans(document.text, result.spans, types=types, strategy=strategy,
                                         consistency=consistency, seed=result.sha256)
            gold = [(e.start, e.end, e.label) for e in document.entities]
            _add(total, score_document(document.text, gold, anonymized.marks, types))
        totals["with_consistency" if consistency else "without_consistency"] = total
    return {"documents": n_docs, "seed": seed, "split": split, "types": list(types), "strategy": strategy,
            "tokens": sum(r.n_tokens for r in results), "tag_seconds": tag_seconds, **totals}


def _pct(a: int, b: int) -> str:
    return f"{100.0 * a / b:.2f}%" if b else "n/a"


def stem(data: dict[str, Any]) -> str:
    return "anonymize-recall"


def render(data: dict[str, Any]) -> str:
    """The report of `data` = {"kind": "anonymize-recall", "measure": measure_recall(...) or None, "model",
    "note"}."""
    measure, model, note = data["measure"], data["model"], data.get("note", "")
    lines = ["# Pseudonymization recall: the consistency pass", "",
             "Generated by `python -m fastner.apps.recall_report` (do not edit by hand).", ""]
    if measure is None:
        lines += [f"**No numbers:** {note}", "",
                  "Run `python -m fastner.apps.recall_report` once the bundled model is installed "
                  "(`fastner/models/default/`), or pass `--model PATH`."]
        return "\n".join(lines) + "\n"
    without, with_ = measure["without_consistency"], measure["with_consistency"]
    lines += [
        f"- model: `{model}`",
        f"- documents: {measure['documents']} synthetic decisions, split `{measure['split']}`, seed {measure['seed']} "
        f"({measure['tokens']:,} tokens, tagged once; each setting pseudonymizes the same spans)",
        f"- replaced types: {', '.join(measure['types'])} (strategy `{measure['strategy']}`)",
        "- an entity counts as replaced when every non-space character of its gold span is inside a replaced "
        "slice; partly replaced: at least one character",
        "",
        "| | without consistency | with consistency |",
        "|---|---|---|",
        f"| gold entities | {without['entities']} | {with_['entities']} |",
        f"| fully replaced (recall) | {_pct(without['full'], without['entities'])} | "
        f"{_pct(with_['full'], with_['entities'])} |",
        f"| at least partly replaced | {_pct(without['partial'], without['entities'])} | "
        f"{_pct(with_['partial'], with_['entities'])} |",
        f"| characters replaced | {_pct(without['chars_replaced'], without['chars'])} | "
        f"{_pct(with_['chars_replaced'], with_['chars'])} |",
    ]
    for label in measure["types"]:
        n0, f0 = without["per_type"].get(label, [0, 0])
        n1, f1 = with_["per_type"].get(label, [0, 0])
        lines.append(f"| recall, {label} ({n0} entities) | {_pct(f0, n0)} | {_pct(f1, n1)} |")
    lines += [
        f"| replaced characters outside gold {'/'.join(measure['types'])} entities | "
        f"{_pct(without['replaced_outside_gold'], without['replaced_chars'])} | "
        f"{_pct(with_['replaced_outside_gold'], with_['replaced_chars'])} |",
        f"| consistency replacements | - | {with_['consistency_marks']} "
        f"({with_['consistency_marks_outside_gold']} outside gold entities) |",
        "",
        "Where the consistency replacements landed (the gold type of the text they replaced): "
        + (", ".join(f"{label} {n}" for label, n in sorted(with_.get("consistency_by_gold", {}).items(),
                                                           key=lambda kv: -kv[1])) or "none") + ".",
        "",
        f"Consistency added {with_['full'] - without['full']} fully replaced entities "
        f"({_pct(with_['full'] - without['full'], without['entities'])} of the gold entities).",
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fastner.apps.recall_report", description=__doc__)
    parser.add_argument("--model", help="model directory (default: the bundled model)")
    parser.add_argument("--docs", type=int, default=40)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--types", default=",".join(DEFAULT_TYPES))
    parser.add_argument("--out", default=str(REPORTS), help="reports directory (the JSON goes to OUT/data/)")
    args = parser.parse_args(argv)
    from fastner.apps.tag import ModelNotFound, load_model
    from fastner.reports import write_json_and_markdown

    out = Path(args.out)
    try:
        tagger, model = load_model(args.model)
    except ModelNotFound as err:
        data = {"kind": "anonymize-recall", "measure": None, "model": "", "note": str(err)}
        write_json_and_markdown(data, render(data), out, stem(data))
        print(f"no model ({err}); wrote a report without numbers in {out}", file=sys.stderr)
        return 1
    measure = measure_recall(tagger, args.docs, args.seed, tuple(t for t in args.types.split(",") if t))
    name = args.model or "bundled (fastner/models/default)"
    data = {"kind": "anonymize-recall", "measure": measure, "model": f"{name}, {model}", "note": ""}
    for path in write_json_and_markdown(data, render(data), out, stem(data)):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
