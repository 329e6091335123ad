"""CoNLL files: reading (with errors that name the file and line), writing, and BIOES tags from spans.

Format: one token per line, columns separated by whitespace, the token first and the tag last (any number
of columns in between, the same number on every line of a file); a blank line ends a sentence; a line
whose first column is `-DOCSTART-` separates documents. Tags are `O` or `B-`/`I-`/`E-`/`S-` + a type
(IOB2 or BIOES). Readers return BIOES tags whatever the file used.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from fastner.text import Sentence

DOCSTART = "-DOCSTART-"
_TAG = re.compile(r"^([BIES])-(\S+)$")


class ConllError(ValueError):
    """A CoNLL file that cannot be read: the message names the file, the line (1-based) and the problem."""

    def __init__(self, path, line: int | None, problem: str) -> None:
        where = f"{path}:{line}" if line else f"{path}"
        super().__init__(f"{where}: {problem}")
        self.path, self.line, self.problem = path, line, problem


@dataclass
class TaggedSentence:
    """Tokens and their BIOES tags; `lines` are the 1-based line numbers in the file read (if any)."""

    tokens: list[str]
    tags: list[str]
    doc: int = 0
    lines: list[int] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.tokens)


# --- tag schemes ------------------------------------------------------------------------------------------

def iob2_to_bioes(tags: Sequence[str]) -> list[str]:
    """IOB2 (or already BIOES) tags -> BIOES. Assumes every I-/E- continues an entity of its type."""
    out = []
    for i, tag in enumerate(tags):
        if tag == "O":
            out.append(tag)
            continue
        prefix, kind = tag[0], tag[2:]
        follows = i + 1 < len(tags) and tags[i + 1][:1] in ("I", "E") and tags[i + 1][2:] == kind
        if prefix in ("B", "S"):
            out.append(f"{'B' if follows else 'S'}-{kind}")
        else:  # I or E
            out.append(f"{'I' if follows else 'E'}-{kind}")
    return out


def spans_from_bioes(tags: Sequence[str]) -> list[tuple[int, int, str]]:
    """(first token, last token, type) of each entity of a well-formed BIOES sequence."""
    spans, first = [], -1
    for i, tag in enumerate(tags):
        if tag[:1] in ("B", "S"):
            first = i
        if tag[:1] in ("E", "S") and first >= 0:
            spans.append((first, i, tag[2:]))
            first = -1
    return spans


def bioes_from_spans(n_tokens: int, spans: Iterable[tuple[int, int, str]]) -> list[str]:
    """BIOES tags of `n_tokens` tokens from (first, last, type) token spans (inclusive, not overlapping)."""
    tags = ["O"] * n_tokens
    for first, last, kind in spans:
        if first == last:
            tags[first] = f"S-{kind}"
        else:
            tags[first], tags[last] = f"B-{kind}", f"E-{kind}"
            for i in range(first + 1, last):
                tags[i] = f"I-{kind}"
    return tags


def validate_tags(tags: Sequence[str], lines: Sequence[int], path) -> None:
    """Raise ConllError on a tag that is not O / [BIES]-TYPE, or on an I-/E- that continues no entity."""
    previous = "O"
    for tag, line in zip(tags, lines):
        if tag != "O":
            m = _TAG.match(tag)
            if m is None:
                raise ConllError(path, line, f"unknown tag scheme: tag {tag!r} (expected O, or B-, I-, E-, S- "
                                             "followed by a type: IOB2 or BIOES)")
            prefix, kind = m.groups()
            if prefix in ("I", "E") and not (previous[:1] in ("B", "I") and previous[2:] == kind):
                raise ConllError(path, line, f"{tag!r} does not continue an entity (I-/E- without B-{kind} before "
                                             f"it; the previous tag is {previous!r})")
        previous = tag


def _check_bioes_closed(tags: Sequence[str], lines: Sequence[int], path) -> None:
    """In a BIOES file, B-/I- must be followed by I-/E- of the same type."""
    for i, (tag, line) in enumerate(zip(tags, lines)):
        if tag[:1] in ("B", "I"):
            nxt = tags[i + 1] if i + 1 < len(tags) else "O"
            if not (nxt[:1] in ("I", "E") and nxt[2:] == tag[2:]):
                raise ConllError(path, line, f"BIOES entity {tag!r} is not closed by an E-{tag[2:]} "
                                             f"(the next tag is {nxt!r})")


# --- reading ----------------------------------------------------------------------------------------------

def _decoded_lines(path: Path) -> list[str]:
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        raise ConllError(path, line, f"invalid UTF-8 (byte {data[err.start]:#04x} at offset {err.start})") from None
    if text.startswith("\ufeff"):
        text = text[1:]
    return text.splitlines()


def read_conll(path) -> list[TaggedSentence]:
    """Read a CoNLL file into sentences with BIOES tags; ConllError (file:line: problem) on bad input."""
    path = Path(path)
    if not path.is_file():
        raise ConllError(path, None, "no such file")
    sentences: list[TaggedSentence] = []
    columns: int | None = None
    doc = 0
    current = TaggedSentence([], [], doc)
    has_bioes = False

    def close() -> None:
        nonlocal current
        if current.tokens:
            sentences.append(current)
        current = TaggedSentence([], [], doc)

    for number, raw in enumerate(_decoded_lines(path), start=1):
        line = raw.strip()
        if not line:
            close()
            continue
        parts = line.split()
        if parts[0] == DOCSTART:
            close()
            if sentences or doc:
                doc += 1
            current.doc = doc
            continue
        if len(parts) < 2:
            raise ConllError(path, number, f"wrong column count: {len(parts)} column (expected a token and a tag)")
        if columns is None:
            columns = len(parts)
        elif len(parts) != columns:
            raise ConllError(path, number, f"wrong column count: {len(parts)} columns, the file's first token line "
                                           f"has {columns}")
        tag = parts[-1]
        has_bioes = has_bioes or tag[:2] in ("E-", "S-")
        current.tokens.append(parts[0])
        current.tags.append(tag)
        current.lines.append(number)
    close()
    if not sentences:
        raise ConllError(path, None, "empty file: no sentence found")
    for s in sentences:
        validate_tags(s.tags, s.lines, path)
        if has_bioes:
            _check_bioes_closed(s.tags, s.lines, path)
        s.tags = iob2_to_bioes(s.tags)
    return sentences


# --- writing ----------------------------------------------------------------------------------------------

def write_conll(path, sentences: Iterable[TaggedSentence]) -> None:
    """Write "token TAG" lines, a blank line after each sentence and a -DOCSTART- line before each document."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    lines: list[str] = []
    previous_doc = None
    for s in sentences:
        if s.doc != previous_doc:
            lines += [f"{DOCSTART} O", ""]
            previous_doc = s.doc
        for token, tag in zip(s.tokens, s.tags, strict=True):
            if not token or any(c.isspace() for c in token):
                raise ValueError(f"token {token!r} is empty or holds whitespace: it cannot be written as CoNLL")
            lines.append(f"{token} {tag}")
        lines.append("")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


# --- from generated documents -----------------------------------------------------------------------------

def tag_document(doc, doc_index: int = 0) -> list[TaggedSentence]:
    """Tokenize each sentence of a generated Document with fastner's default tokenizer and tag it (BIOES).

    A token belongs to an entity when their character spans overlap (a token such as "l'EURL" that starts
    before an entity is tagged with it); a token overlapping two entities takes the first.
    """
    out = []
    entities = sorted(doc.entities, key=lambda e: e.start)
    k = 0
    for start, end in doc.sentences:
        sentence = Sentence(doc.text[start:end])
        while k < len(entities) and entities[k].end <= start:
            k += 1
        spans = []
        j = k
        used = -1
        while j < len(entities) and entities[j].start < end:
            e = entities[j]
            inside = [i for i, t in enumerate(sentence.tokens)
                      if t.start + start < e.end and e.start < t.end + start and i > used]
            if inside:
                spans.append((inside[0], inside[-1], e.label))
                used = inside[-1]
            j += 1
        tokens = [t.text for t in sentence.tokens]
        if tokens:
            out.append(TaggedSentence(tokens, bioes_from_spans(len(tokens), spans), doc_index))
    return out


def tag_documents(docs) -> list[TaggedSentence]:
    return [s for i, doc in enumerate(docs) for s in tag_document(doc, i)]


def write_split(out: Path, split: str, docs) -> int:
    """DIR/{split}.conll and DIR/{split}.txt (documents separated by a blank line); returns the sentence count."""
    sentences = tag_documents(docs)
    write_conll(out / f"{split}.conll", sentences)
    (out / f"{split}.txt").write_text("\n\n".join(d.text for d in docs) + "\n", encoding="utf-8")
    return len(sentences)
