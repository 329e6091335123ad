"""Reading document collections: inputs, validation, streamed decoding, sentence splitting with offsets.

Nothing here holds a whole collection, and nothing holds a whole document either: a document is read in
blocks (`BLOCK` bytes) three ways, each streamed: `inspect` (hash, size and validity, before any output is
started), `iter_text` (decoded text in blocks) and, from it, `split_sentences` (sentences with their
character offsets into the document) or `iter_pieces` (the text cut at line ends, for writers).

Offsets are Python `str` indices (Unicode code points) into the document as decoded from strict UTF-8,
byte order mark and `\\r\\n` included: `text[start:end]` is the sentence or the entity.
"""

from __future__ import annotations

import codecs
import hashlib
import io
import os
import re
import sys
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from segtok.segmenter import split_single

from fastner.text import LINE_BREAKS

BLOCK = 1 << 18  # bytes read at a time
MAX_SENTENCE_CHARS = 10_000  # longer sentences are cut at a space: bounded tagger memory
LINE_LIMIT = 1 << 18  # a line longer than this is segmented before its end is read
SEGMENT_CHARS = 1 << 16  # complete lines are given to segtok in groups of about this size
PIECE_CHARS = 1 << 18  # target size of the pieces `iter_pieces` yields
KEEP_BYTES = 1 << 18  # documents up to this size are kept in memory between passes (not re-read)
DEFAULT_MAX_BYTES = 100 * 1024 * 1024
STDIN_ID = "stdin"
RESERVED_IDS = frozenset({"errors", "summary", "manifest"})  # run-level files of the output directory


class DocumentError(Exception):
    """A document that cannot be processed: `reason` is a short code, `detail` says more."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason, self.detail = reason, detail


@dataclass
class Source:
    """One input document: a file, standard input (spooled to a temporary file) or bytes in memory."""

    id: str
    path: Path | None = None
    display: str = ""
    data: bytes | None = None  # content in memory (small documents after `inspect`, in-memory sources)
    spool: BinaryIO | None = field(default=None, repr=False)  # standard input, copied once

    def open(self) -> BinaryIO:
        if self.data is not None:
            return io.BytesIO(self.data)
        if self.spool is not None:
            self.spool.seek(0)
            return _Unclosed(self.spool)
        if self.path is None:
            raise DocumentError("unreadable", "no content")
        try:
            return open(self.path, "rb")
        except FileNotFoundError:
            raise DocumentError("not_found", f"{self.display}: no such file") from None
        except IsADirectoryError:
            raise DocumentError("unreadable", f"{self.display}: is a directory") from None
        except OSError as err:
            raise DocumentError("unreadable", f"{self.display}: {err.strerror or err}") from None

    def release(self) -> None:
        """Forget content kept in memory (the next `open` reads the file again)."""
        if self.path is not None or self.spool is not None:
            self.data = None

    def close(self) -> None:
        """Done with this document: free its content and the spool of standard input."""
        self.release()
        if self.spool is not None:
            self.spool.close()
            self.spool = None


class _Unclosed(io.BufferedIOBase):
    """A view of the spooled standard input whose `close` leaves the spool open for the next pass."""

    def __init__(self, raw: BinaryIO) -> None:
        super().__init__()
        self._raw = raw

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        return self._raw.read(size)


def memory_source(text: str | bytes, doc_id: str = "document") -> Source:
    """A source for text held in memory (tests, reports)."""
    data = text.encode("utf-8") if isinstance(text, str) else bytes(text)
    return Source(doc_id, None, doc_id, data)


@dataclass
class Inspection:
    """What `inspect` learnt about a readable document."""

    sha256: str
    n_bytes: int
    n_chars: int


def inspect(source: Source, max_bytes: int = DEFAULT_MAX_BYTES, keep_bytes: int | None = None) -> Inspection:
    """Hash and validate a document in one streamed read; raise `DocumentError` if it cannot be tagged.

    Reasons: `not_found`, `unreadable`, `too_large` (over `max_bytes`), `binary` (NUL bytes),
    `invalid_utf8` (with the byte offset), `empty` (no bytes, or only whitespace). A document of at
    most `keep_bytes` bytes is kept in `source.data`, so the next passes do not read the file again.
    """
    if source.path is not None and source.data is None and source.spool is None:
        try:
            size = source.path.stat().st_size
        except FileNotFoundError:
            raise DocumentError("not_found", f"{source.display}: no such file") from None
        except OSError as err:
            raise DocumentError("unreadable", f"{source.display}: {err.strerror or err}") from None
        if size > max_bytes:
            raise DocumentError("too_large", f"{size} bytes, over the limit of {max_bytes} (--max-bytes)")
    keep_bytes = KEEP_BYTES if keep_bytes is None else keep_bytes
    digest = hashlib.sha256()
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    n_bytes = n_chars = 0
    has_text = False
    kept: list[bytes] | None = [] if source.data is None else None
    with source.open() as stream:
        while True:
            try:
                block = stream.read(BLOCK)
            except OSError as err:
                raise DocumentError("unreadable", f"{source.display}: {err.strerror or err}") from None
            if not block:
                break
            if n_bytes + len(block) > max_bytes:
                raise DocumentError("too_large", f"over the limit of {max_bytes} bytes (--max-bytes)")
            nul = block.find(b"\x00")
            if nul >= 0:
                raise DocumentError("binary", f"NUL byte at offset {n_bytes + nul} (binary file, or UTF-16?)")
            try:
                text = decoder.decode(block)
            except UnicodeDecodeError as err:
                raise DocumentError("invalid_utf8", f"byte offset {n_bytes + err.start}: {err.reason}") from None
            digest.update(block)
            n_bytes += len(block)
            n_chars += len(text)
            if not has_text and text.strip():
                has_text = True
            if kept is not None:
                kept.append(block)
                if n_bytes > keep_bytes:
                    kept = None
    try:
        n_chars += len(decoder.decode(b"", final=True))
    except UnicodeDecodeError as err:
        raise DocumentError("invalid_utf8", f"byte offset {n_bytes - len(err.object) + err.start}: "
                                            f"{err.reason} at the end of the file") from None
    if n_bytes == 0:
        raise DocumentError("empty", "no content")
    if not has_text:
        raise DocumentError("empty", "only whitespace")
    if kept is not None:
        source.data = b"".join(kept)
    return Inspection(digest.hexdigest(), n_bytes, n_chars)


def iter_text(source: Source, expect_sha256: str | None = None) -> Iterator[str]:
    """The document's text in decoded blocks; raise `DocumentError('changed')` at the end if its bytes no
    longer hash to `expect_sha256` (the file changed since `inspect`)."""
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    digest = hashlib.sha256() if expect_sha256 else None
    with source.open() as stream:
        while True:
            block = stream.read(BLOCK)
            if not block:
                break
            if digest is not None:
                digest.update(block)
            try:
                text = decoder.decode(block)
            except UnicodeDecodeError as err:
                raise DocumentError("changed", f"no longer valid UTF-8 ({err.reason})") from None
            if text:
                yield text
    try:
        tail = decoder.decode(b"", final=True)
    except UnicodeDecodeError as err:
        raise DocumentError("changed", f"no longer valid UTF-8 ({err.reason})") from None
    if tail:
        yield tail
    if digest is not None and digest.hexdigest() != expect_sha256:
        raise DocumentError("changed", "the file changed while it was being processed")


def iter_pieces(chunks: Iterable[str], size: int | None = None) -> Iterator[tuple[int, str]]:
    """Re-cut decoded text into contiguous pieces `(offset, text)`, each ending at a line end where one is
    found within about `size` characters (default `PIECE_CHARS`; else at a space, else anywhere)."""
    size = size or PIECE_CHARS
    buf = ""
    base = 0
    for chunk in chunks:
        buf += chunk
        while len(buf) >= size:
            cut = buf.rfind("\n", 0, size * 2) + 1 or _space_cut(buf, size)
            yield base, buf[:cut]
            base += cut
            buf = buf[cut:]
    if buf:
        yield base, buf


def _space_cut(text: str, size: int) -> int:
    """A cut position at most `size`: after the last whitespace before it, else `size` itself."""
    for i in range(min(size, len(text)) - 1, 0, -1):
        if text[i].isspace():
            return i + 1
    return min(size, len(text))


def split_sentences(chunks: Iterable[str], max_chars: int = MAX_SENTENCE_CHARS,
                    line_limit: int | None = None) -> Iterator[tuple[int, str]]:
    """Sentences `(offset, text)` of a document given as decoded blocks, in order.

    Lines are split with segtok's `split_single` (sentence terminals; a sentence never crosses a line
    end), each sentence stripped of surrounding whitespace and located in the document, so
    `document[offset:offset + len(text)] == text`. A sentence longer than `max_chars` is cut at a space;
    a line longer than `line_limit` is segmented as it is read, so memory stays bounded whatever the
    document. Whitespace-only lines yield nothing.
    """
    line_limit = max(LINE_LIMIT, 2 * max_chars) if line_limit is None else line_limit
    if max_chars < 1 or line_limit < 2 * max_chars:
        raise ValueError(f"need max_chars >= 1 and line_limit >= 2 * max_chars, got {max_chars}, {line_limit}")
    buf = ""
    base = 0  # document offset of buf[0]
    for chunk in chunks:
        buf += chunk
        cut = buf.rfind("\n") + 1
        begin = 0
        while begin < cut:  # complete lines, segmented a group of about SEGMENT_CHARS at a time
            stop = buf.find("\n", min(begin + SEGMENT_CHARS, cut - 1)) + 1 or cut
            yield from _segment(buf, begin, stop, base, max_chars)
            begin = stop
        if cut:
            buf, base = buf[cut:], base + cut
        while len(buf) > line_limit:  # a long line: segment what is safe, keep its last sentence
            found = list(_segment(buf, 0, len(buf), 0, max_chars))
            if not found:  # whitespace only
                buf, base = "", base + len(buf)
                break
            *complete, (last, _) = found
            for offset, sentence in complete:
                yield base + offset, sentence
            buf, base = buf[last:], base + last
            if not complete:  # one sentence, shorter than max_chars: wait for more text
                break
    if buf:
        yield from _segment(buf, 0, len(buf), base, max_chars)


# segtok splits after these (it knows English abbreviations): a French title, initials ("J.-P.", "B.P.", "Ph."), an
# article number's letter ("article L. 1234-5"), a word of an address ("bât.", "apt."), a month, a reference;
# the next sentence on the line is joined back.
_ABBREVIATION_END = re.compile(
    r"(?:^|[\s(«\"'’])(?:M|MM|Mme|Mmes|Mlle|Mlles|Me|Mes|Mr|Dr|Pr|St|Ste|Mgr|(?:[A-ZÀ-Ý]\.-?)*[A-ZÀ-Ý]|Ph|Ch|Th|"
    r"art|arts|al|av|bd|"
    r"bât|bat|apt|appt|esc|imm|rés|lot|éts|Éts|Ets|rte|chem|imp|"
    r"janv|févr|fév|avr|juil|sept|oct|nov|déc|cf|p|pp|n|no|nos|vol|éd|chap|Cass|civ|com|soc|crim|req|Bull|ass|"
    r"plén|ch|mixte|spéc|préc|réf|obs|not|ord|c|C|sect|anc)\.$")


_LINE_END = re.compile(f"[\n\r{LINE_BREAKS}]")


def _split_lines(block: str) -> Iterator[str]:
    """segtok's `split_single`, one line at a time: the same sentences (it never crosses a line end), and
    several times faster than on a whole block (its regular expressions rescan long spans). Any line or
    paragraph separator (form feed, U+2028, U+2029...) ends a line, so no sentence, and no span, crosses one."""
    for line in _LINE_END.split(block):
        if line and not line.isspace():
            yield from split_single(line)


def _segment(text: str, begin: int, end: int, base: int, max_chars: int) -> Iterator[tuple[int, str]]:
    """Sentences of `text[begin:end]` (whole lines), offsets shifted by `base`."""
    block = text[begin:end] if begin or end != len(text) else text
    located: list[list[int]] = []
    pos = 0
    for sentence in _split_lines(block):
        sentence = sentence.strip()
        if not sentence:
            continue
        start = block.find(sentence, pos)
        if start < 0:  # never seen: segtok's sentences are substrings; keep the rest of the line then
            start = pos + (len(block[pos:]) - len(block[pos:].lstrip()))
            line_end = _LINE_END.search(block, start)
            sentence = block[start:len(block) if line_end is None else line_end.start()].rstrip()
            if not sentence:
                continue
        stop = start + len(sentence)
        if located and not _LINE_END.search(block, located[-1][1], start) and _ABBREVIATION_END.search(
                block[max(located[-1][0], located[-1][1] - 8):located[-1][1]]):
            located[-1][1] = stop  # "M." + "Dupont ...": one sentence
        else:
            located.append([start, stop])
        pos = stop
    for start, stop in located:
        if stop - start <= max_chars:
            yield base + begin + start, block[start:stop]
        else:
            yield from _cut_long(block, start, stop, base + begin, max_chars)


def _cut_long(text: str, start: int, stop: int, base: int, max_chars: int) -> Iterator[tuple[int, str]]:
    while start < stop:
        cut = stop if stop - start <= max_chars else start + _space_cut(text[start:start + max_chars], max_chars)
        piece = text[start:cut]
        stripped = piece.strip()
        if stripped:
            yield base + start + (len(piece) - len(piece.lstrip())), stripped
        start = cut


# --- finding the documents of a collection ------------------------------------------------------------

_UNSAFE = re.compile(r"[\x00-\x1f\x7f]")


NAME_BYTES = 200  # a document id's last component is cut to this many UTF-8 bytes (+ a hash): with the
# longest output suffix (".review.json") and a "~N" it stays under the usual 255-byte limit of a file name


class _Ids:
    """Unique document ids: `name`, then `name~2`, `name~3`... for later documents with the same id. A name
    too long for the file system once an output suffix is added is cut, with a hash of the whole name."""

    def __init__(self) -> None:
        self.seen: set[str] = set(RESERVED_IDS)

    def unique(self, doc_id: str) -> str:
        doc_id = _UNSAFE.sub("_", doc_id).strip("/") or "document"
        parts = [p if p not in ("", ".", "..") else "_" for p in doc_id.split("/")]
        doc_id = "/".join([*parts[:-1], _fit(parts[-1])])
        candidate, n = doc_id, 1
        while candidate.casefold() in self.seen:
            n += 1
            candidate = f"{doc_id}~{n}"
        self.seen.add(candidate.casefold())
        return candidate


def _fit(name: str) -> str:
    """`name` if it has at most NAME_BYTES UTF-8 bytes, else its longest prefix that fits with `~` + 10 hex
    digits of its hash (so two long names that share a prefix stay two names)."""
    data = name.encode("utf-8", "surrogatepass")
    if len(data) <= NAME_BYTES:
        return name
    digest = hashlib.sha256(data).hexdigest()[:10]
    head = data[:NAME_BYTES - 11].decode("utf-8", "ignore")  # a cut character is dropped whole
    return f"{head}~{digest}"


def _doc_id(relative: str) -> str:
    return relative[:-4] if relative.lower().endswith(".txt") else relative


@dataclass(frozen=True)
class SkippedLink:
    """A symbolic link met in an input directory and not followed: its path and why."""

    path: str
    reason: str  # "outside the input", "broken", "already walked" (a loop, or a second way to one directory)


def _inside(path: str, top: str) -> bool:
    return path == top or path.startswith(top.rstrip(os.sep) + os.sep)


def _walk(top: Path, skipped: list[SkippedLink] | None = None) -> Iterator[Path]:
    """`.txt` files under `top`, recursively, sorted; hidden files and directories skipped.

    Symbolic links (to files or directories) are followed only when they point inside `top` itself
    (resolved), and a directory is never entered twice (a loop of links ends); any other link is reported
    in `skipped`. So nothing outside the directory the user named is read, and nothing is skipped without
    a word (hidden files and names without `.txt` aside).
    """
    top_real = os.path.realpath(top)
    entered = {top_real}
    for dirpath, dirnames, filenames in os.walk(top, followlinks=True):
        kept = []
        # directories first, then links to directories: a directory is walked where it is, not through a link
        for d in sorted(dirnames, key=lambda d: (os.path.islink(os.path.join(dirpath, d)), d)):
            if d.startswith("."):
                continue
            full = os.path.join(dirpath, d)
            real = os.path.realpath(full)
            problem = _link_problem(full, real, top_real) if os.path.islink(full) else None
            if problem is None and real in entered:
                problem = "already walked"
            if problem is not None:
                if skipped is not None:
                    skipped.append(SkippedLink(full, problem))
                continue
            entered.add(real)
            kept.append(d)
        dirnames[:] = sorted(kept)
        for name in sorted(filenames):
            if name.startswith(".") or not name.lower().endswith(".txt"):
                continue
            full = os.path.join(dirpath, name)
            if os.path.islink(full):
                problem = _link_problem(full, os.path.realpath(full), top_real)
                if problem is not None:
                    if skipped is not None:
                        skipped.append(SkippedLink(full, problem))
                    continue
            yield Path(full)


def _link_problem(path: str, real: str, top_real: str) -> str | None:
    """Why the link at `path` (resolving to `real`) is not followed, or None."""
    if not os.path.exists(path):
        return "broken"
    if not _inside(real, top_real):
        return "outside the input"
    return None


def iter_sources(inputs: Iterable[str], stdin: BinaryIO | None = None,
                 skipped: list[SkippedLink] | None = None) -> Iterator[Source]:
    """The documents named by `inputs`: files (any name; a link named on the command line is followed),
    directories (their `.txt` files, recursively, in sorted order; see `_walk` for links) and `-` (standard
    input, one document). Ids: a file's name without `.txt`, a directory's files' paths relative to it;
    repeated ids get `~2`, `~3`... A path that does not exist is yielded too (reading it fails with
    `not_found`), so it is reported with the other failures. Links not followed are added to `skipped`."""
    ids = _Ids()
    for item in inputs:
        if item == "-":
            yield _stdin_source(ids.unique(STDIN_ID), stdin)
            continue
        path = Path(item)
        if path.is_dir():
            for file in _walk(path, skipped):
                yield Source(ids.unique(_doc_id(file.relative_to(path).as_posix())), file, str(file))
        else:
            yield Source(ids.unique(_doc_id(path.name)), path, item)


def count_sources(inputs: Iterable[str]) -> int:
    """How many documents `iter_sources` will yield (a walk of the directories, nothing read)."""
    total = 0
    for item in inputs:
        path = Path(item)
        if item != "-" and path.is_dir():
            total += sum(1 for _ in _walk(path))
        else:
            total += 1
    return total


def _stdin_source(doc_id: str, stdin: BinaryIO | None) -> Source:
    """Standard input copied to a temporary file (in memory up to 8 MiB), so it can be read three times."""
    stream = stdin if stdin is not None else sys.stdin.buffer
    spool = tempfile.SpooledTemporaryFile(max_size=8 << 20)  # noqa: SIM115 (lives as long as the source)
    while True:
        block = stream.read(BLOCK)
        if not block:
            break
        spool.write(block)
    return Source(doc_id, None, "-", None, spool)
