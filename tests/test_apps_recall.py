"""The recall measurement behind reports/anonymize-recall.md, with a stub tagger (no trained model needed)."""

from __future__ import annotations

import json

from fastner.apps.anonymize import Mark
from fastner.apps.recall_report import main, measure_recall, render, score_document
from fastner.synth.decisions import generate_documents
from tests.stub import LexiconTagger


def test_score_document() -> None:
    text = "M. Jean Dupont, rue X. Dupont."
    gold = [(3, 14, "PERS"), (16, 21, "ADDRESS"), (23, 29, "PERS")]
    marks = [Mark(3, 14, "PERS", 0, "model", "[PERS]"), Mark(23, 26, "PERS", 0, "consistency", "[PERS]"),
             Mark(0, 2, "PERS", 1, "model", "[PERS]")]
    score = score_document(text, gold, marks, ("PERS", "ADDRESS"))
    assert (score["entities"], score["full"], score["partial"]) == (3, 1, 2)
    assert score["per_type"] == {"PERS": [2, 1], "ADDRESS": [1, 0]}
    assert score["replaced_outside_gold"] == 2 and score["consistency_marks"] == 1


def test_consistency_raises_recall_with_a_tagger_that_knows_full_names_only() -> None:
    documents = generate_documents(3, 0, split="test")
    full_names = {d.text[e.start:e.end] for d in documents for e in d.entities
                  if e.label == "PERS" and " " in d.text[e.start:e.end]}
    tagger = LexiconTagger(dict.fromkeys(full_names, "PERS"))
    measure = measure_recall(tagger, n_docs=3, seed=0, types=("PERS",))
    without, with_ = measure["without_consistency"], measure["with_consistency"]
    assert without["entities"] == with_["entities"] > 0
    assert with_["full"] > without["full"]
    report = render({"kind": "anonymize-recall", "measure": measure, "model": "stub", "note": ""})
    assert "| fully replaced (recall) |" in report and "stub" in report


def test_report_without_a_model_says_so(tmp_path, monkeypatch) -> None:
    from fastner.apps import tag

    monkeypatch.setattr(tag, "default_model_path", lambda: tmp_path / "default")
    assert main(["--out", str(tmp_path)]) == 1
    assert "No numbers" in (tmp_path / "anonymize-recall.md").read_text()
    assert json.loads((tmp_path / "data" / "anonymize-recall.json").read_text())["measure"] is None
