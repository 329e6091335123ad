"""Span-level metrics: hand-checked cases and agreement with seqeval (when installed) on random tag sequences."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fastner.train.metrics import get_entities, markdown_table, span_scores


def test_exact_match_counts() -> None:
    gold = [["B-PERS", "E-PERS", "O", "S-DATE"], ["S-PERS", "O"]]
    pred = [["B-PERS", "E-PERS", "O", "O"], ["B-PERS", "E-PERS"]]  # one right, one missed, one wrong boundary
    scores = span_scores(gold, pred)
    pers = scores["per_type"]["PERS"]
    assert (pers["correct"], pers["predicted"], pers["support"]) == (1, 2, 2)
    assert pers["precision"] == pers["recall"] == pers["f1"] == 0.5
    assert scores["per_type"]["DATE"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1, "predicted": 0,
                                          "correct": 0}
    micro = scores["micro"]
    assert micro["precision"] == 0.5 and micro["recall"] == pytest.approx(1 / 3) and micro["support"] == 3
    assert scores["macro"]["f1"] == pytest.approx(0.25)
    table = markdown_table(scores)
    assert "| PERS | 0.5000 | 0.5000 | 0.5000 | 2 |" in table and "**micro**" in table


def test_chunking_of_ill_formed_sequences() -> None:
    assert get_entities(["I-X", "I-X", "O"]) == [("X", 0, 1)]  # I- opens a chunk (conlleval)
    assert get_entities(["B-X", "O", "E-X"]) == [("X", 0, 0), ("X", 2, 2)]
    assert get_entities(["B-X", "I-Y", "E-Y"]) == [("X", 0, 0), ("Y", 1, 2)]
    assert get_entities(["S-X", "S-X"]) == [("X", 0, 0), ("X", 1, 1)]


def test_length_mismatch_is_an_error() -> None:
    with pytest.raises(ValueError, match="sentence 0"):
        span_scores([["O"]], [["O", "O"]])


TAGS = st.sampled_from(["O", "O", "O", "B-PER", "I-PER", "E-PER", "S-PER", "B-LOC", "I-LOC", "E-LOC", "S-LOC",
                        "S-ORG", "B-ORG", "E-ORG"])
SENTENCES = st.lists(st.lists(TAGS, min_size=1, max_size=10), min_size=1, max_size=6)


_SEQEVAL_KEY = {"f1": "f1-score"}


@st.composite
def _pairs(draw):
    gold = draw(SENTENCES)
    pred = [draw(st.lists(TAGS, min_size=len(s), max_size=len(s))) for s in gold]
    return gold, pred


@settings(max_examples=300, deadline=None)
@given(_pairs())
def test_agrees_with_seqeval(pair) -> None:
    seqeval_metrics = pytest.importorskip("seqeval.metrics")
    from seqeval.metrics.sequence_labeling import get_entities as seqeval_entities

    gold, pred = pair
    for sentence in gold + pred:
        assert [(t, a, b) for t, a, b in get_entities(sentence)] == seqeval_entities(sentence)
    ours = span_scores(gold, pred)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = seqeval_metrics.classification_report(gold, pred, output_dict=True, zero_division=0)
        micro = {"precision": seqeval_metrics.precision_score(gold, pred, zero_division=0),
                 "recall": seqeval_metrics.recall_score(gold, pred, zero_division=0),
                 "f1": seqeval_metrics.f1_score(gold, pred, zero_division=0)}
    for kind, s in ours["per_type"].items():
        for key in ("precision", "recall", "f1"):
            assert math.isclose(s[key], report[kind][_SEQEVAL_KEY.get(key, key)], abs_tol=1e-9), (kind, key)
        assert s["support"] == report[kind]["support"]
    for key in ("precision", "recall", "f1"):
        assert math.isclose(ours["micro"][key], micro[key], abs_tol=1e-9)
        if ours["per_type"]:
            assert math.isclose(ours["macro"][key], report["macro avg"][_SEQEVAL_KEY.get(key, key)], abs_tol=1e-9)
