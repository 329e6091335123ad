"""Word vectors from local files in word2vec format (text or binary), read without gensim.

Text: a header line "COUNT DIM", then "word v1 ... vDIM" per line. Binary: the same header line, then per
word its UTF-8 bytes, a space, DIM little-endian float32 and (usually) a newline. The format is detected
from the bytes after the header; `.bin` files are read as binary.
"""

from __future__ import annotations

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
