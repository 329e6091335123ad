"""Tokenization with offsets into the original text, and Flair 0.15's BIOES -> spans rules."""

from __future__ import annotations

import time
import unicodedata

import pytest

from fastner.text import Sentence, bioes_spans, clean_text, segtok_words


@pytest.mark.parametrize("text", [
    "M. Dupont demeure 3 rue des Lilas à Lyon.",
    "L'appelant n'a pas comparu; l'intimée, si.",
    "  espaces   multiples\tet\ttabulations\n ici  ",
    "«Cour d'appel» — n° RG 19/01234 ; 12 345,67 €.",
    "Le 😀 emoji et 漢字.",
])
def test_tokens_map_back_to_the_original_text(text):
    sentence = Sentence(text)
    assert [t.text for t in sentence] == segtok_words(text)
    for token in sentence:
        assert text[token.start:token.end] == token.text
    starts = [t.start for t in sentence]
    assert starts == sorted(starts)


def test_flair_cleanup_of_problem_characters_keeps_original_offsets():
    text = "a\u200bb \x92quote\x92 c\x81d"  # zero-width space; cp1252 right quote; \x81 has no cp1252 char
    for normalize in (False, True):
        cleaned, origin = clean_text(text, normalize)
        assert cleaned == "ab \u2019quote\u2019 cd"
        assert len(origin.starts) == len(origin.ends) == len(cleaned)
    sentence = Sentence(text, normalize=False)
    for token in sentence:
        assert text[token.start:token.end].replace("\u200b", "").replace("\x81", "") == \
            token.text.replace("\u2019", "\x92")


def test_pre_tokenized_words_are_kept_as_given():
    sentence = Sentence(["M.", "Dupont", "", "demeure"])
    assert [t.text for t in sentence] == ["M.", "Dupont", "demeure"]
    assert sentence.text == "M. Dupont  demeure"
    assert [(t.start, t.end) for t in sentence] == [(0, 2), (3, 9), (11, 18)]
    assert sentence.to_tokenized_string() == "M. Dupont demeure"


def test_custom_tokenizer_and_bad_types():
    sentence = Sentence("a-b c", tokenizer=lambda s: s.replace("-", " ").split())
    assert [(t.text, t.start, t.end) for t in sentence] == [("a", 0, 1), ("b", 2, 3), ("c", 4, 5)]
    with pytest.raises(TypeError):
        Sentence(42)
    with pytest.raises(TypeError):
        Sentence(["ok", 3])


def test_a_huge_word_is_one_token():
    sentence = Sentence("x" * 300_000)
    assert len(sentence) == 1 and sentence.tokens[0].start == 0 and sentence.tokens[0].end == 300_000


@pytest.mark.slow
def test_tokenizing_a_huge_word_is_linear():
    t0 = time.perf_counter()
    Sentence("x" * 30_000)
    small = time.perf_counter() - t0
    t0 = time.perf_counter()
    sentence = Sentence("x" * 300_000)
    big = time.perf_counter() - t0
    assert len(sentence) == 1 and sentence.tokens[0].end == 300_000
    assert big < 30 * small + 0.5  # ten times the input, not a hundred times the time


@pytest.mark.parametrize(("tags", "want"), [
    (["O", "B-PER", "E-PER", "O"], [(1, 2, "PER")]),
    (["S-PER", "S-PER"], [(0, 0, "PER"), (1, 1, "PER")]),
    (["B-PER", "I-PER", "E-PER", "S-LOC"], [(0, 2, "PER"), (3, 3, "LOC")]),
    (["I-PER", "I-LOC"], [(0, 0, "PER"), (1, 1, "LOC")]),  # I- opens a span when the type changes
    (["E-PER", "I-PER"], [(0, 1, "PER")]),  # E- does not close a span (Flair's rule)
    (["B-PER", "I-LOC", "E-LOC"], [(0, 0, "PER"), (1, 2, "LOC")]),
    (["B-PER", "E-LOC"], [(0, 1, "PER")]),  # majority with 1.1 for the opening tag
    (["S-PER", "E-PER"], [(0, 1, "PER")]),  # checked against flair 0.15.1's get_spans_from_bio
    (["S-PER", "E-LOC"], [(0, 1, "PER")]),
    (["O", "O"], []),
    ([], []),
])
def test_bioes_spans_follow_flair(tags, want):
    scores = [0.5 + 0.1 * i for i in range(len(tags))]
    got = bioes_spans(tags, scores)
    assert [g[:3] for g in got] == want
    for first, last, _, score in got:
        assert score == pytest.approx(sum(scores[first:last + 1]) / (last - first + 1))


# --- Unicode forms: the model reads what the text means, offsets stay in the text as given ------------------

NAMES = "M. René Dupont et Mme Hélène Martin-Lefèvre, Zoë Ngô Thị Hương."


def _forms(text: str) -> dict[str, str]:
    nfd = unicodedata.normalize("NFD", text)
    return {
        "nfd": nfd,
        "soft hyphens": text.replace("René", "Re\u00adné").replace("Martin", "Mar\u00adtin"),
        "zero-width joiners": text.replace("Hélène", "Hé\u200dlè\u2060ne").replace("Dupont", "Du\u200cpont"),
        "bidi marks": text.replace("Zoë", "\u200eZoë\u200f"),
        "mixed": nfd[:20] + text[len(unicodedata.normalize("NFC", nfd[:20])):],
    }


@pytest.mark.parametrize("form", list(_forms(NAMES)))
def test_unicode_forms_give_the_same_words_as_nfc(form):
    text = _forms(NAMES)[form]
    reference = Sentence(NAMES)
    sentence = Sentence(text)
    assert [t.text for t in sentence] == [t.text for t in reference]
    for token, ref in zip(sentence, reference, strict=True):  # each token covers its whole original spelling
        original = text[token.start:token.end]
        assert unicodedata.normalize("NFC", "".join(c for c in original if unicodedata.category(c) != "Cf")) == ref.text
    assert Sentence(text, normalize=False).to_tokenized_string() != reference.to_tokenized_string() or form == "mixed"


def test_separators_split_words_and_lone_marks_are_no_words():
    text = "Durand\u2029Dupont\x0cMartin\u2028Lyon \u0301 fin\x85ici"
    sentence = Sentence(text)
    assert [t.text for t in sentence] == ["Durand", "Dupont", "Martin", "Lyon", "fin", "ici"]
    assert all(not set(text[t.start:t.end]) & set("\u2028\u2029\x0c\x85") for t in sentence)
    assert [t.text for t in Sentence("\u0301")] == []


def test_nfc_text_is_left_alone_and_cheap():
    text = "Cour d'appel de Besançon, arrêt n° 12 — Mme Hélène Müller, née à Orléans."
    cleaned, origin = clean_text(text)
    assert cleaned == text and origin is None
    assert clean_text("plain ascii", True) == ("plain ascii", None)
