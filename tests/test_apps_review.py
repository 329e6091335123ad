"""The review checklist and the HTML view."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from fastner.apps.anonymize import segments, store_from_spans
from fastner.apps.documents import iter_pieces
from fastner.apps.html import HtmlWriter, colour
from fastner.apps.pipeline import Settings, process_texts
from fastner.apps.review import Review, ReviewSummary, edit_distance
from tests.stub import LexiconTagger


def naive_distance(a: str, b: str) -> int:
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (ca != cb))
    return row[-1]


@settings(max_examples=200, deadline=None)
@given(st.text("abcé", max_size=9), st.text("abcé", max_size=9), st.integers(0, 3))
def test_edit_distance_with_a_limit(a: str, b: str, limit: int) -> None:
    exact = naive_distance(a, b)
    assert edit_distance(a, b, limit) == (exact if exact <= limit else limit + 1)


def spans(text: str, items: list[tuple[str, str, float]]) -> list[tuple[int, int, str, float]]:
    out, pos = [], 0
    for string, label, score in items:
        start = text.index(string, pos)
        out.append((start, start + len(string), label, score))
        pos = start + len(string)
    return out


TEXT = ("M. Thibaut Morel et M. Thibault Morel ; Mme Hélène Roy, Mme Helene Roy ; X a vu Li. "
        "Le greffier Paul Roux. Roux plaide. Dupont est avocat ; Dupont a signé.")


def test_checklist() -> None:
    store = store_from_spans(TEXT, spans(TEXT, [
        ("Thibaut Morel", "PERS", 0.99), ("Thibault Morel", "PERS", 0.6), ("Hélène Roy", "PERS", 0.95),
        ("Helene Roy", "PERS", 0.95), ("X", "PERS", 0.9), ("Li", "PERS", 0.9), ("Paul Roux", "JUDGE_CLERK", 0.9),
        ("Dupont", "LAWYER", 0.9), ("Dupont", "PERS", 0.9)]))
    review = Review("d", threshold=0.8)
    review.add_spans(store)
    items = review.to_dict()["items"]
    assert [(i["text"], i["score"]) for i in items["low_confidence"]] == [("Thibault Morel", 0.6)]
    assert {i["text"] for i in items["short_name"]} == {"X", "Li"}
    pairs = {frozenset(i["names"]) for i in items["near_identical"]}
    assert pairs == {frozenset({"Thibaut Morel", "Thibault Morel"}), frozenset({"Hélène Roy", "Helene Roy"})}
    assert [(i["text"], i["labels"]) for i in items["label_conflict"]] == [("Dupont", ["LAWYER", "PERS"])]
    summary = ReviewSummary()
    summary.add(review)
    summary.add(Review("clean"))
    assert summary.to_dict()["documents_with_items"] == 1 and summary.counts["short_name"] == 2


def test_untagged_occurrences_in_tag_mode() -> None:
    tagger = LexiconTagger({"Paul Roux": "JUDGE_CLERK", "Thibaut Morel": "PERS"})
    result, = process_texts([TEXT], tagger, Settings(mode="tag"))
    found = result.review["items"]["untagged_occurrence"]
    assert [(f["text"], f["label"], f["replaced"]) for f in found] == [("Morel", "PERS", False),
                                                                        ("Roux", "JUDGE_CLERK", False)]
    assert TEXT[found[1]["start"]:found[1]["end"]] == "Roux"


def test_html_view_is_escaped_and_self_contained() -> None:
    text = 'Le <script>alert("x")</script> & M. Jean "Dupont" à Lyon.'
    store = store_from_spans(text, spans(text, [('Jean "Dupont"', "PERS", 0.5), ("Lyon", "CITY<&>", 0.9)]))
    from fastner.apps.anonymize import Rewriter

    rewriter = Rewriter(store, all_spans=True)
    out: list[str] = []
    writer = HtmlWriter(out.append, title="<doc>", labels=["PERS", "CITY<&>"], low=0.8)
    for _, slice_text, mark in segments(rewriter.rewrite(iter_pieces([text], 7))):
        writer.add(slice_text, mark)
    writer.close()
    html = "".join(out)
    body = html[html.index('<div class="doc">'):]
    assert "<script>" not in html and "&lt;script&gt;" in body
    assert re.search(r'<mark class="t-PERS low" title="PERS 0.50">Jean "Dupont"<sup>PERS</sup></mark>', body)
    assert "<title>&lt;doc&gt;</title>" in html
    assert "http" not in html and "src=" not in html and "url(" not in html
    assert colour("PERS") != colour("ADDRESS") and colour("X") == colour("X")
    assert "t-CITY_3c_26_3e" in body


def test_progress_line() -> None:
    import io

    from fastner.progress import Progress

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    stream = Terminal()
    progress = Progress(10, "tag", unit="docs", items="tokens", stream=stream, interval=0.0)
    progress.update(done=2, items=500)
    progress.update(skipped=1, failed=1)
    progress.close()
    out = stream.getvalue()
    assert "\r\x1b[2K" in out and out.endswith("\n")
    assert "tag: 4/10 docs |" in out and "tokens/s" in out and "ETA" in out and "(1 skipped, 1 failed)" in out
    quiet = Terminal()
    silent = Progress(10, "tag", enabled=False, stream=quiet)
    silent.update(done=1)
    silent.close()
    assert quiet.getvalue() == ""


def test_a_judge_never_named_in_a_role_is_replaced_and_listed() -> None:
    text = "Présidente : Mme Anne Vidal. M. Kevin Pujol, père de l'enfant, est absent. Me Léo Caron plaide."
    tagger = LexiconTagger({"Anne Vidal": "JUDGE_CLERK", "Kevin Pujol": "JUDGE_CLERK", "Léo Caron": "LAWYER"})
    result, = process_texts([text], tagger, Settings(mode="anonymize", review=True))
    assert [(m.label, text[m.start:m.end]) for m in result.marks] == [("PERS", "Kevin Pujol")]
    items = result.review["items"]["no_role"]
    assert [(i["text"], i["tagged"]) for i in items] == [("Kevin Pujol", "JUDGE_CLERK")]
    result, = process_texts([text], tagger, Settings(mode="anonymize", review=True, consistency=False))
    assert result.review["items"]["no_role"] == []
