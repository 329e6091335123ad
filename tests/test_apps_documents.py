"""Reading inputs: validation errors, ids, directory walks, and sentence splitting with exact offsets."""

from __future__ import annotations

import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fastner.apps.documents import (
    DocumentError,
    Source,
    count_sources,
    inspect,
    iter_pieces,
    iter_sources,
    iter_text,
    memory_source,
    split_sentences,
)

TEXT = ("COUR D'APPEL DE LYON\nAttendu que M. Dupont demeure 3 rue des Lilas. Il a fait appel le 3 janv. 2020 !\r\n"
        "\n  Madame Sophie Bernard, née le 1er mars 1960, intimée.\tFin\n")


def chunked(text: str, size: int) -> list[str]:
    return [text[i:i + size] for i in range(0, len(text), size)] or [""]


def check_sentences(text: str, found: list[tuple[int, str]], max_chars: int) -> None:
    last = 0
    for offset, sentence in found:
        assert text[offset:offset + len(sentence)] == sentence
        assert sentence == sentence.strip() and sentence
        assert "\n" not in sentence
        assert len(sentence) <= max_chars
        assert offset >= last
        last = offset + len(sentence)
    covered = set()
    for offset, sentence in found:
        covered.update(range(offset, offset + len(sentence)))
    missing = [i for i, c in enumerate(text) if not c.isspace() and i not in covered]
    assert not missing, f"characters outside every sentence: {missing[:10]}"


def test_sentences_have_exact_offsets() -> None:
    found = list(split_sentences([TEXT]))
    check_sentences(TEXT, found, 10_000)
    assert [s for _, s in found][:3] == ["COUR D'APPEL DE LYON", "Attendu que M. Dupont demeure 3 rue des Lilas.",
                                         "Il a fait appel le 3 janv. 2020 !"]


@pytest.mark.parametrize("text", [
    "La société, B.P. 12, 97150 Saint-Martin, est représentée par Me J.-P. Durand.",
    "Il demeure résidence Les Pins, bât. C, apt. 4, 13000 Marseille.",
    "Signé : N. VUILLEMIN, Ph. JOUFFROY.",
])
def test_no_sentence_ends_on_initials_or_an_address_abbreviation(text: str) -> None:
    assert [s for _, s in split_sentences([text + " Elle a fait appel."])] == [text, "Elle a fait appel."]


@pytest.mark.parametrize("size", [1, 7, 64, 1000])
def test_streamed_blocks_give_the_same_sentences(size: int) -> None:
    assert list(split_sentences(chunked(TEXT, size))) == list(split_sentences([TEXT]))


def test_long_lines_and_sentences_are_cut_within_bounds() -> None:
    word = "mot "
    text = "Début. " + word * 5000 + "fin.\nSuite " + "x" * 3000 + " ok"
    for chunks in ([text], chunked(text, 333)):
        found = list(split_sentences(chunks, max_chars=500, line_limit=1000))
        check_sentences(text, found, 500)


alphabet = st.sampled_from([*list("ab AB.,!?\n\r\t-é'’"), "M. ", "Mme ", " 12 ", "\xa0", "\u200b", "😀"])


@settings(max_examples=150, deadline=None)
@given(st.lists(alphabet, max_size=300).map("".join), st.integers(1, 50), st.integers(1, 40))
def test_sentence_offsets_property(text: str, block: int, max_chars: int) -> None:
    found = list(split_sentences(chunked(text, block), max_chars=max_chars, line_limit=2 * max_chars))
    check_sentences(text, found, max_chars)


@settings(max_examples=100, deadline=None)
@given(st.lists(alphabet, max_size=400).map("".join), st.integers(1, 60), st.integers(2, 50))
def test_pieces_cover_the_text(text: str, block: int, size: int) -> None:
    pieces = list(iter_pieces(chunked(text, block), size))
    assert "".join(p for _, p in pieces) == text
    position = 0
    for offset, piece in pieces:
        assert offset == position and piece
        position += len(piece)


@pytest.mark.parametrize(("data", "reason"), [
    (b"", "empty"), (b" \n\t\r\n", "empty"), (b"abc\x00def", "binary"), (b"\xff\xfeh\x00i\x00", "binary"),
    (b"caf\xc3", "invalid_utf8"), (b"ok \xe9 no", "invalid_utf8"),
])
def test_unreadable_documents(data: bytes, reason: str) -> None:
    with pytest.raises(DocumentError) as err:
        inspect(memory_source(data))
    assert err.value.reason == reason


def test_invalid_utf8_reports_the_byte_offset() -> None:
    with pytest.raises(DocumentError, match="byte offset 7"):
        inspect(memory_source(b"abcdefg\x80"))


def test_too_large_and_missing(tmp_path) -> None:
    big = tmp_path / "big.txt"
    big.write_bytes(b"x" * 1000)
    with pytest.raises(DocumentError) as err:
        inspect(Source("big", big, str(big)), max_bytes=999)
    assert err.value.reason == "too_large"
    inspect(Source("big", big, str(big)), max_bytes=1000)
    with pytest.raises(DocumentError) as err:
        inspect(Source("gone", tmp_path / "gone.txt", "gone.txt"))
    assert err.value.reason == "not_found"


def test_inspect_hashes_and_keeps_small_documents(tmp_path) -> None:
    path = tmp_path / "a.txt"
    path.write_bytes("\ufeffhé\r\n".encode())
    source = Source("a", path, str(path))
    found = inspect(source)
    assert found.n_chars == 5 and found.n_bytes == len("\ufeffhé\r\n".encode())
    assert source.data is not None
    assert "".join(iter_text(source, found.sha256)) == "\ufeffhé\r\n"
    big = Source("a", path, str(path))
    inspect(big, keep_bytes=2)
    assert big.data is None


def test_a_changed_file_is_detected(tmp_path) -> None:
    path = tmp_path / "a.txt"
    path.write_text("Bonjour.", encoding="utf-8")
    source = Source("a", path, str(path))
    found = inspect(source, keep_bytes=0)
    path.write_text("Bonsoir.", encoding="utf-8")
    with pytest.raises(DocumentError) as err:
        list(iter_text(source, found.sha256))
    assert err.value.reason == "changed"


def test_sources_walk_ids_and_collisions(tmp_path) -> None:
    root = tmp_path / "in"
    (root / "sub").mkdir(parents=True)
    (root / ".hidden").mkdir()
    for name in ("b.txt", "a.TXT", "sub/c.txt", "skip.md", ".dot.txt", ".hidden/h.txt", "errors.txt"):
        (root / name).write_text("x", encoding="utf-8")
    other = tmp_path / "b.txt"
    other.write_text("y", encoding="utf-8")
    sources = list(iter_sources([str(root), str(other), str(tmp_path / "missing.txt")]))
    assert [s.id for s in sources] == ["a", "b", "errors~2", "sub/c", "b~2", "missing"]
    assert count_sources([str(root), str(other), str(tmp_path / "missing.txt")]) == 6
    with pytest.raises(DocumentError) as err:
        inspect(sources[-1])
    assert err.value.reason == "not_found"


def test_stdin_is_one_document_read_several_times() -> None:
    stdin = io.BytesIO(b"M. Dupont.\nFin.")
    (source,) = iter_sources(["-"], stdin=stdin)
    found = inspect(source, keep_bytes=0)
    assert source.id == "stdin" and found.n_chars == 15
    assert "".join(iter_text(source)) == "".join(iter_text(source, found.sha256)) == "M. Dupont.\nFin."
    source.close()
