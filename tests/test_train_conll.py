"""CoNLL reader/writer: round trip, scheme conversion, errors with file and line, tags from generated documents."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fastner.synth.decisions import generate_documents
from fastner.synth.variants import Variants
from fastner.text import Sentence
from fastner.train.conll import (
    ConllError,
    TaggedSentence,
    bioes_from_spans,
    iob2_to_bioes,
    read_conll,
    spans_from_bioes,
    tag_document,
    tag_documents,
    validate_tags,
    write_conll,
)

SENTENCES = [
    TaggedSentence(["M.", "Jean", "Dupont", "demeure", "à", "Lyon", "."], ["O", "B-PERS", "E-PERS", "O", "O",
                                                                         "S-ADDRESS", "O"], 0),
    TaggedSentence(["Attendu", "que"], ["O", "O"], 0),
    TaggedSentence(["COUR", "D'APPEL", "DE", "PARIS"], ["B-COURT", "I-COURT", "I-COURT", "E-COURT"], 1),
]


def test_round_trip(tmp_path) -> None:
    path = tmp_path / "a.conll"
    write_conll(path, SENTENCES)
    text = path.read_text(encoding="utf-8")
    assert text.startswith("-DOCSTART- O\n\nM. O\nJean B-PERS\n")
    assert text.count("-DOCSTART-") == 2
    back = read_conll(path)
    assert [(s.tokens, s.tags, s.doc) for s in back] == [(s.tokens, s.tags, s.doc) for s in SENTENCES]
    assert back[0].lines[0] == 3  # 1-based line numbers of the tokens


def test_iob2_file_reads_as_bioes_and_extra_columns_are_ignored(tmp_path) -> None:
    path = tmp_path / "iob.conll"
    path.write_text("-DOCSTART- -X- -X- O\n\nJean NNP x B-PER\nDupont NNP x I-PER\nà P x O\nLyon NP x B-LOC\n\n",
                    encoding="utf-8")
    (s,) = read_conll(path)
    assert s.tokens == ["Jean", "Dupont", "à", "Lyon"]
    assert s.tags == ["B-PER", "E-PER", "O", "S-LOC"]


@pytest.mark.parametrize(("content", "line", "words"), [
    ("a O\nb B-X extra\n", 2, "wrong column count"),
    ("a\n", 1, "wrong column count"),
    ("a O\nb PER\n", 2, "unknown tag scheme"),
    ("a O\nb U-PER\n", 2, "unknown tag scheme"),
    ("a O\n\nb I-PER\n", 3, "without B-PER"),
    ("a B-LOC\nb I-PER\n", 2, "without B-PER"),
    ("a S-LOC\nb E-LOC\n", 2, "without B-LOC"),
    ("a B-LOC\nb O\nc S-LOC\n", 1, "not closed"),  # BIOES file (has S-): B- must be closed by E-
])
def test_bad_input_names_file_and_line(tmp_path, content: str, line: int, words: str) -> None:
    path = tmp_path / "bad.conll"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ConllError, match=words) as info:
        read_conll(path)
    assert info.value.line == line
    assert str(info.value).startswith(f"{path}:{line}: ")


def test_empty_file_and_invalid_utf8(tmp_path) -> None:
    empty = tmp_path / "empty.conll"
    empty.write_text("\n\n-DOCSTART- O\n\n", encoding="utf-8")
    with pytest.raises(ConllError, match="empty file"):
        read_conll(empty)
    bad = tmp_path / "latin1.conll"
    bad.write_bytes(b"a O\nb O\n" + "é O\n".encode("latin-1"))
    with pytest.raises(ConllError, match="invalid UTF-8") as info:
        read_conll(bad)
    assert info.value.line == 3
    with pytest.raises(ConllError, match="no such file"):
        read_conll(tmp_path / "missing.conll")


def test_writer_refuses_tokens_with_spaces(tmp_path) -> None:
    with pytest.raises(ValueError, match="whitespace"):
        write_conll(tmp_path / "x.conll", [TaggedSentence(["a b"], ["O"])])


_TYPES = st.sampled_from(["PERS", "DATE", "X"])


@st.composite
def _spans(draw):
    n = draw(st.integers(1, 12))
    spans, i = [], 0
    while i < n:
        if draw(st.booleans()):
            length = draw(st.integers(1, n - i))
            spans.append((i, i + length - 1, draw(_TYPES)))
            i += length + draw(st.integers(0, 2))
        else:
            i += 1
    return n, spans


@settings(max_examples=150, deadline=None)
@given(_spans())
def test_bioes_spans_round_trip_and_iob2_conversion(case) -> None:
    n, spans = case
    tags = bioes_from_spans(n, spans)
    validate_tags(tags, list(range(1, n + 1)), "x")
    assert spans_from_bioes(tags) == spans
    iob2 = [("I-" if t[:2] in ("I-", "E-") else "B-" if t != "O" else "") + t[2:] if t != "O" else "O" for t in tags]
    assert iob2_to_bioes(iob2) == tags


def _check_tags(tags: list[str]) -> None:
    """Well-formed BIOES: B/I continue with I/E of the same type; I/E follow B/I of the same type."""
    previous = "O"
    for tag in [*tags, "O"]:
        if previous[:1] in ("B", "I"):
            assert tag[:1] in ("I", "E") and tag[2:] == previous[2:], (previous, tag)
        if tag[:1] in ("I", "E"):
            assert previous[:1] in ("B", "I")
        previous = tag


def test_generated_documents_give_valid_tags_and_exact_offsets() -> None:
    docs = generate_documents(3, seed=5, variants=Variants(no_title=0.2, lowercase_names=0.2, typos=0.2))
    for i, doc in enumerate(docs):
        sentences = tag_document(doc, i)
        assert sum(1 for start, end in doc.sentences if Sentence(doc.text[start:end]).tokens) == len(sentences)
        found = []
        for (start, end), tagged in zip(doc.sentences, sentences):
            _check_tags(tagged.tags)
            tokens = Sentence(doc.text[start:end]).tokens
            assert [t.text for t in tokens] == tagged.tokens
            for first, last, label in spans_from_bioes(tagged.tags):
                found.append((start + tokens[first].start, start + tokens[last].end, label))
        assert len(found) == len(doc.entities)
        for (fs, fe, label), entity in zip(found, doc.entities):
            assert label == entity.label
            # the tokens cover the entity exactly, or with an elided article that segtok leaves glued on
            # ("l'EURL MARTIN ET FILS" starts with the token "l'EURL")
            assert fe == entity.end and re.fullmatch(r"(\w{1,3}')?", doc.text[fs:entity.start]), doc.text[fs:fe]


def test_tag_documents_numbers_documents() -> None:
    sentences = tag_documents(generate_documents(2, seed=1))
    assert {s.doc for s in sentences} == {0, 1}
