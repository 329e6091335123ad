"""The review checklist of a document, as courts' reviewers use before a decision is published.

Checks (`CHECKS`):

- `low_confidence`: spans whose confidence is below the threshold (`--review-threshold`, default 0.8).
- `short_name`: person names of one or two letters ("X", "Li"): initials or truncated tags.
- `near_identical`: two person strings a small edit distance apart (Thibaut / Thibault, Hélène / Helene):
  one person with a typo, or two people a reader could confuse.
- `untagged_occurrence`: a string tagged as a person (or a replaced type) in one place and found untagged
  elsewhere in the document; `replaced` says whether the consistency pass replaced it.
- `label_conflict`: one string tagged with different types (a party tagged LAWYER once would be kept).
- `no_role`: a name tagged as a judge's or a lawyer's that the document never names next to a court role:
  pseudonymized as a person (`anonymize.demote_roleless`); a reviewer checks it is not a judge after all.
- `court_short_form`: a name tagged as a person that is a short form of a judge's or lawyer's name given with
  its role ("M. Arrouy" of "Philippe Arrouy, avocat général"): kept in clear (`anonymize.promote_short_forms`).

Each check keeps at most `MAX_ITEMS` items (its count stays exact), so a huge document's checklist stays small.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from fastner.apps.analysis import SpanStore, is_person, n_letters, strip_accents
from fastner.apps.anonymize import Mark

CHECKS = ("low_confidence", "short_name", "near_identical", "untagged_occurrence", "label_conflict", "no_role",
          "court_short_form")
DEFAULT_THRESHOLD = 0.8
MAX_ITEMS = 200
MAX_NAMES = 3000  # near-identical spellings: the most frequent names compared pairwise...
MAX_NAME_CHARS = 60  # ...when they are name-sized


def edit_distance(a: str, b: str, limit: int) -> int:
    """Levenshtein distance, or `limit + 1` as soon as it is known to exceed `limit` (a band of the table)."""
    n, m = len(a), len(b)
    big = limit + 1
    if abs(n - m) > limit:
        return big
    if a == b:
        return 0
    previous = [j if j <= limit else big for j in range(m + 1)]
    for i in range(1, n + 1):
        current = [big] * (m + 1)
        current[0] = i if i <= limit else big
        best = current[0]
        ca = a[i - 1]
        for j in range(max(1, i - limit), min(m, i + limit) + 1):
            value = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != b[j - 1]))
            current[j] = value if value < big else big
            best = min(best, value)
        if best > limit:
            return big
        previous = current
    return min(previous[m], big)


def _limit(a: str, b: str) -> int:
    return 1 if max(len(a), len(b)) <= 8 else 2


class Review:
    """Collects a document's checklist; `to_dict()` gives what is written to `DOC.review.json`."""

    def __init__(self, doc_id: str, threshold: float = DEFAULT_THRESHOLD, watch: Iterable[str] = ()) -> None:
        self.doc_id = doc_id
        self.threshold = threshold
        self.watch = frozenset(watch)
        self.items: dict[str, list[dict[str, Any]]] = {check: [] for check in CHECKS}
        self.counts: dict[str, int] = dict.fromkeys(CHECKS, 0)
        self.notes: list[str] = []

    def _add(self, check: str, item: dict[str, Any]) -> None:
        self.counts[check] += 1
        if len(self.items[check]) < MAX_ITEMS:
            self.items[check].append(item)

    def add_spans(self, store: SpanStore) -> None:
        """Checks on the tagged spans and strings: confidence, short names, spellings, conflicting types."""
        table = store.entities
        for i in range(len(store)):
            score = store.score[i]
            if score < self.threshold:
                e = store.entity[i]
                self._add("low_confidence", {"start": store.start[i], "end": store.end[i], "label": table.label[e],
                                             "score": round(float(score), 4), "text": table.text[e]})
        people = [e for e in range(len(table)) if is_person(table.label[e])]
        for e in people:
            if n_letters(table.text[e]) <= 2:
                self._add("short_name", {"text": table.text[e], "label": table.label[e], "count": table.count[e],
                                         "first": table.first[e]})
        self._near_identical(store, people)
        by_text: dict[str, list[int]] = {}
        for (_, key), e in table.index.items():
            by_text.setdefault(key, []).append(e)
        for entities in by_text.values():
            labels = sorted({table.label[e] for e in entities})
            if len(labels) > 1 and any(is_person(label) or label in self.watch for label in labels):
                self._add("label_conflict", {"text": table.text[entities[0]], "labels": labels,
                                             "counts": {table.label[e]: table.count[e] for e in entities}})

    def add_demoted(self, store: SpanStore, demoted: Iterable[tuple[int, str]]) -> None:
        """The judges and lawyers pseudonymized because no mention of them stands next to a court role."""
        table = store.entities
        for e, label in demoted:
            self._add("no_role", {"text": table.text[e], "tagged": label,
                                  "count": table.count[e], "first": table.first[e]})

    def add_promoted(self, store: SpanStore, promoted: Iterable[tuple[int, str]]) -> None:
        """The names tagged as persons kept in clear as short forms of a judge's or a lawyer's name."""
        table = store.entities
        for e, label in promoted:
            self._add("court_short_form", {"text": table.text[e], "kept_as": label,
                                           "count": table.count[e], "first": table.first[e]})

    def _near_identical(self, store: SpanStore, people: list[int]) -> None:
        table = store.entities
        names: dict[str, int] = {}  # case-folded spelling -> entity (the most frequent)
        for e in sorted(people, key=lambda e: -table.count[e]):
            names.setdefault(table.text[e].casefold(), e)
        if len(names) > MAX_NAMES:
            self.notes.append(f"near_identical: only the {MAX_NAMES} most frequent of {len(names)} names compared")
        keys = [k for k in list(names)[:MAX_NAMES] if len(k) <= MAX_NAME_CHARS]
        stripped = [strip_accents(k) for k in keys]
        enough = [n_letters(k) >= 4 for k in stripped]
        order = sorted(range(len(keys)), key=lambda i: len(stripped[i]))
        for x, i in enumerate(order):
            if not enough[i]:
                continue
            a = stripped[i]
            for j in order[x + 1:]:
                b = stripped[j]
                if len(b) - len(a) > 2:
                    break
                if not enough[j]:
                    continue
                limit = _limit(a, b)
                if edit_distance(a, b, limit) <= limit:
                    ea, eb = names[keys[i]], names[keys[j]]
                    self._add("near_identical", {
                        "names": [table.text[ea], table.text[eb]], "labels": [table.label[ea], table.label[eb]],
                        "distance": edit_distance(keys[i], keys[j], 4), "first": [table.first[ea], table.first[eb]]})

    def add_found(self, found: Iterable[tuple[Mark, str]]) -> None:
        """Strings found again outside any tagged span, with their text (from the rewriting pass)."""
        for mark, text in found:
            if is_person(mark.label) or mark.label in self.watch:
                self._add("untagged_occurrence", {"start": mark.start, "end": mark.end, "label": mark.label,
                                                  "text": text, "replaced": mark.replacement is not None})

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def to_dict(self) -> dict[str, Any]:
        out = {"id": self.doc_id, "threshold": self.threshold, "total": self.total, "counts": self.counts,
               "items": self.items}
        if self.notes:
            out["notes"] = self.notes
        return out


def review_json(review: dict[str, Any]) -> str:
    """The checklist as JSON, one item per line (readable, and written by the C encoder: no garbage cycles)."""
    def dump(value: Any) -> str:
        return json.dumps(value, ensure_ascii=False)

    lines = ["{"]
    for key, value in review.items():
        if key == "items":
            checks = []
            for check, items in value.items():
                body = ",\n".join(f"   {dump(item)}" for item in items)
                checks.append(f"  {dump(check)}: [\n{body}\n  ]" if items else f"  {dump(check)}: []")
            lines.append(' "items": {\n' + ",\n".join(checks) + "\n },")
        else:
            lines.append(f" {dump(key)}: {dump(value)},")
    lines[-1] = lines[-1].rstrip(",")
    return "\n".join(lines) + "\n}\n"


class ReviewSummary:
    """Totals over a run, and the documents with the most items."""

    def __init__(self, top: int = 10) -> None:
        self.counts: dict[str, int] = dict.fromkeys(CHECKS, 0)
        self.documents = 0
        self.flagged = 0
        self.top_n = top
        self.top: list[tuple[int, str]] = []

    def add(self, review: Review) -> None:
        self.documents += 1
        for check, n in review.counts.items():
            self.counts[check] += n
        if review.total:
            self.flagged += 1
            self.top.append((review.total, review.doc_id))
            self.top.sort(key=lambda t: (-t[0], t[1]))
            del self.top[self.top_n:]

    def to_dict(self) -> dict[str, Any]:
        return {"documents": self.documents, "documents_with_items": self.flagged, "counts": self.counts,
                "most_items": [{"id": doc_id, "items": n} for n, doc_id in self.top]}

    def lines(self) -> list[str]:
        if not self.documents:
            return []
        out = [f"review: {self.flagged} of {self.documents} document(s) have items to check: "
               + ", ".join(f"{check} {n}" for check, n in self.counts.items())]
        if self.top:
            out.append("  most items: " + ", ".join(f"{doc_id} ({n})" for n, doc_id in self.top))
        return out
