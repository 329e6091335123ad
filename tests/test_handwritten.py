"""The hand-written development set (tests/data/handwritten) reads back cleanly, and its measures count right."""

from __future__ import annotations

from pathlib import Path

import pytest

from fastner.apps.anonymize import Mark
from fastner.apps.handwritten import (
    SetError,
    load_set,
    parse_markup,
    replacement_counts,
    span_f1,
)
from fastner.synth.labels import LABELS

ROOT = Path(__file__).parent / "data" / "handwritten"


@pytest.mark.parametrize("split", ["dev", "heldout"])
def test_the_set_is_well_formed(split: str) -> None:
    documents = load_set(ROOT, split, LABELS)
    assert len(documents) >= 8
    for document in documents:
        assert "<" not in document.text and ">" not in document.text  # no tag left in the text
        assert len(document.spans) >= 20
        labels = {label for _, _, label in document.spans}
        assert {"PERS", "JUDGE_CLERK", "COURT"} <= labels
        for (_, e0, _), (s1, _, _) in zip(document.spans, document.spans[1:], strict=False):
            assert e0 <= s1
        for start, end, _ in document.spans:  # spans start and end on word boundaries, titles outside
            span = document.text[start:end]
            assert span == span.strip()
            assert start == 0 or not document.text[start - 1].isalnum()
            assert end == len(document.text) or not document.text[end].isalnum()
            assert span.split()[0] not in ("M.", "Mme", "Me", "Maître", "Monsieur", "Madame")


def test_markup_and_json_forms(tmp_path: Path) -> None:
    text, spans = parse_markup("M. <PERS>Léa Morvan</PERS> à <ADDRESS>Brest</ADDRESS>.")
    assert text == "M. Léa Morvan à Brest." and spans == [(3, 13, "PERS"), (16, 21, "ADDRESS")]
    for bad in ("<PERS>Léa <PERS>X</PERS></PERS>", "<PERS> Léa</PERS>", "<PERS>Léa</ADDRESS>"):
        with pytest.raises(SetError):
            parse_markup(bad)
    (tmp_path / "a.txt").write_text(text, encoding="utf-8")
    (tmp_path / "a.json").write_text('{"spans": [{"start": 3, "end": 13, "label": "PERS"}]}', encoding="utf-8")
    [document] = load_set(tmp_path)
    assert document.spans == ((3, 13, "PERS"),)
    (tmp_path / "a.json").write_text('[{"start": 3, "end": 99, "label": "PERS"}]', encoding="utf-8")
    with pytest.raises(SetError, match="outside"):
        load_set(tmp_path)
    with pytest.raises(SetError, match="no such directory"):
        load_set(tmp_path / "a.json")
    (tmp_path / "empty").mkdir()
    with pytest.raises(SetError, match="no document"):
        load_set(tmp_path / "empty")


def test_span_f1_and_replacement_counts() -> None:
    scores = span_f1([(0, 3, "PERS"), (5, 9, "ADDRESS")], [(0, 3, "PERS"), (5, 8, "ADDRESS")])
    assert scores["per_type"]["PERS"]["f1"] == 1.0 and scores["per_type"]["ADDRESS"]["f1"] == 0.0
    assert scores["micro"]["precision"] == 0.5
    [document] = [d for d in load_set(ROOT, "dev") if d.id.startswith("d01")]
    first = next(s for s in document.spans if s[2] == "PERS")
    judge = next(s for s in document.spans if s[2] == "JUDGE_CLERK")
    marks = [Mark(first[0], first[1], "PERS", 0, "model", "[A]"), Mark(judge[0], judge[0] + 2, "PERS", 1, "model", "x")]
    counts = replacement_counts(document, marks, "placeholder")
    assert counts["replaced"]["PERS"][1] == 1  # one PERS mention fully replaced
    assert counts["kept"]["JUDGE_CLERK"][0] - counts["kept"]["JUDGE_CLERK"][1] == 1  # one judge touched
    assert counts["other_chars"][0] == counts["other_chars"][1]  # nothing else touched
