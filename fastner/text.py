"""Tokens, sentences and spans, with character offsets into the text the user gave.

The default tokenizer gives Flair 0.15's tokens (segtok's `split_single`, `word_tokenizer` and
`split_contractions`, after Flair's clean-up of zero-width and Windows-1252 characters); offsets always
refer to the original, un-cleaned string, so spans map back to it exactly.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from segtok.segmenter import split_single
from segtok.tokenizer import split_contractions, word_tokenizer

_ZERO_WIDTH = "\u200c\u200b\ufe0f\ufeff\u2028\u2029"
_PROBLEM_CHARS = re.compile(f"[{_ZERO_WIDTH}\u0080-\u0099]")
# Line and paragraph separators (besides \n and \r): words on either side are separate words.
LINE_BREAKS = "\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
# Format characters (Unicode category Cf: soft hyphen, zero-width joiners, bidi marks...) of the Basic
# Multilingual Plane, and the tag characters: invisible, they never change what a word means.
FORMAT_CHARS = "".join(chr(c) for c in range(0x10000) if unicodedata.category(chr(c)) == "Cf") + "\U000e0001"
COMBINING_MARKS = "".join(chr(c) for c in range(0x10000) if unicodedata.combining(chr(c)))
_NEEDS_NORMALIZING = re.compile(f"[{re.escape(FORMAT_CHARS + LINE_BREAKS)}\u0080-\u0099\U000e0020-\U000e007f]"
                                f"|(?:^|\\s)[{re.escape(COMBINING_MARKS)}]")  # or a mark on nothing


def _clean_char(char: str) -> str:
    """Flair's clean-up of one character: zero-width removed, C1 controls read as Windows-1252."""
    if char in _ZERO_WIDTH:
        return ""
    try:
        return bytes([ord(char)]).decode("windows-1252")
    except UnicodeDecodeError:  # no character at that code point: Flair removes it
        return ""


@dataclass(frozen=True)
class OffsetMap:
    """Where each character of a cleaned text came from: `text[starts[i]:ends[i]]` of the original text
    (one original character, or a base letter and its combining marks composed into one)."""

    starts: list[int]
    ends: list[int]

    def original(self, start: int, end: int) -> tuple[int, int]:
        """The original text's span of the cleaned text's [start, end) (an empty one: where it would start)."""
        past_end = self.ends[-1] if self.ends else 0
        first = self.starts[start] if start < len(self.starts) else past_end
        return first, (self.ends[end - 1] if end > start else first)

    def cleaned(self, start: int, end: int) -> tuple[int, int]:
        """The cleaned text's span of the original text's [start, end): the characters that came from inside it."""
        return bisect_left(self.starts, start), bisect_right(self.ends, end)


def clean_text(text: str, normalize: bool = True) -> tuple[str, OffsetMap | None]:
    """The text the model reads, and where each of its characters came from (None when nothing changed,
    the common case, kept cheap).

    `normalize=False` is Flair's `_handle_problem_characters` exactly: zero-width characters removed, C1
    controls read as Windows-1252. `normalize=True` (the default) reads what the text means, so that a name
    is the same word however it was encoded: canonical composition (NFC: "e" + U+0301 -> "é"), format
    characters removed (soft hyphen, zero-width joiner, bidi marks...), line and paragraph separators read
    as spaces, combining marks that follow no letter dropped.
    """
    if normalize:
        if (text.isascii() or unicodedata.is_normalized("NFC", text)) and not _NEEDS_NORMALIZING.search(text):
            return text, None
        return _normalized(text)
    if _PROBLEM_CHARS.search(text) is None:
        return text, None
    cleaned: list[str] = []
    starts: list[int] = []
    for i, char in enumerate(text):
        out = _clean_char(char) if _PROBLEM_CHARS.match(char) else char
        cleaned.append(out)
        starts.extend([i] * len(out))
    return "".join(cleaned), OffsetMap(starts, [i + 1 for i in starts])


def normalized_text(text: str) -> str:
    """The text as the model reads it (`clean_text` with normalization), without the offset map."""
    return clean_text(text)[0]


def _normalized(text: str) -> tuple[str, OffsetMap]:
    """`clean_text(text, normalize=True)` when there is something to change."""
    cleaned: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        j = i + 1
        if char in LINE_BREAKS:
            out = " "
        elif char in FORMAT_CHARS or "\U000e0020" <= char <= "\U000e007f":
            out = ""
        elif unicodedata.combining(char):
            out = ""  # a mark on nothing: after a space, a removed character or at the start
        elif "\x80" <= char <= "\x99":
            out = _clean_char(char)
        elif char.isspace():
            out = char
        else:
            while j < n and (unicodedata.combining(text[j]) or _is_jamo_tail(text[j])):
                j += 1  # the marks of this character, composed with it
            out = unicodedata.normalize("NFC", text[i:j]) if j > i + 1 else char
        for c in out:
            cleaned.append(c)
            starts.append(i)
            ends.append(j)
        i = j
    return "".join(cleaned), OffsetMap(starts, ends)


def _is_jamo_tail(char: str) -> bool:
    """A Hangul vowel or final consonant jamo (NFC composes it with the syllable before it)."""
    return "\u1160" <= char <= "\u11ff"


def segtok_words(text: str) -> list[str]:
    """Flair 0.15's SegtokTokenizer: sentence split, word split, contractions; empty words dropped."""
    words: list[str] = []
    for sentence in split_single(text):
        words.extend(split_contractions(word_tokenizer(sentence)))
    return [w for w in words if w]


class Token:
    """One word: its text, character offsets `[start, end)` in the sentence's text, and its prediction."""

    __slots__ = ("_embeddings", "end", "score", "start", "tag", "text")

    def __init__(self, text: str, start: int, end: int) -> None:
        self.text = text
        self.start = start
        self.end = end
        self.tag: str | None = None
        self.score: float | None = None
        self._embeddings: dict = {}  # name -> (D_i,) tensor, only while the per-token Flair path runs

    def set_embedding(self, name: str, vector, device, only_if_needed: bool) -> None:
        """Flair's Token.set_embedding: moves the vector to `device`, then stores it under `name`."""
        if not only_if_needed or vector.device != device:
            vector = vector.to(device, non_blocking=True)
        self._embeddings[name] = vector

    def __repr__(self) -> str:
        tag = f" {self.tag}" if self.tag else ""
        return f"Token({self.text!r} [{self.start}:{self.end}]{tag})"


@dataclass(frozen=True)
class Span:
    """An entity: character offsets `[start, end)` in the sentence's text, its label and confidence."""

    start: int
    end: int
    label: str
    score: float
    text: str
    first_token: int
    last_token: int


class Sentence:
    """A sentence: its text, its tokens with offsets, and after `predict`, its spans.

    `Sentence("M. Dupont ...")` tokenizes with Flair 0.15's default (segtok); `Sentence(["M.", "Dupont"])`
    takes the words as given (joined by single spaces to make the text, as Flair does);
    `tokenizer=` accepts any `str -> list[str]` callable whose words appear in order in the text.
    The tokenizer reads `clean_text(text, normalize)`: by default the text as it means (NFC, no soft
    hyphens or zero-width characters); `normalize=False` reads it exactly as Flair 0.15 does. Offsets
    always point into `text` as given.
    """

    def __init__(self, text: str | Sequence[str], tokenizer: Callable[[str], list[str]] | None = None,
                 normalize: bool = True) -> None:
        if isinstance(text, str):
            self.text = text
            cleaned, origin = clean_text(text, normalize)
            words = (tokenizer or segtok_words)(cleaned)
        elif isinstance(text, Sequence) and all(isinstance(w, str) for w in text):
            words = list(text)
            self.text = cleaned = " ".join(words)
            origin = None
        else:
            raise TypeError(f"Sentence expects a str or a list of str, not {type(text).__name__}")
        self.tokens: list[Token] = _locate(words, cleaned, origin)
        self.spans: list[Span] = []
        self._tokenized: str | None = None

    def to_tokenized_string(self) -> str:
        """The words joined by single spaces: what Flair's character LMs read."""
        if self._tokenized is None:
            self._tokenized = " ".join(t.text for t in self.tokens)
        return self._tokenized

    @property
    def tags(self) -> list[str | None]:
        return [t.tag for t in self.tokens]

    def __len__(self) -> int:
        return len(self.tokens)

    def __iter__(self):
        return iter(self.tokens)

    def __getitem__(self, i: int) -> Token:
        return self.tokens[i]

    def __repr__(self) -> str:
        return f"Sentence({self.text[:60]!r}{'...' if len(self.text) > 60 else ''}, {len(self)} tokens)"

    def set_tags(self, tags: list[str], scores: list[float]) -> None:
        """Store one BIOES tag and confidence per token, and derive the spans (Flair 0.15's rules)."""
        for token, tag, score in zip(self.tokens, tags, scores, strict=True):
            token.tag, token.score = tag, score
        self.spans = [
            Span(self.tokens[i].start, self.tokens[j].end, label, score,
                 self.text[self.tokens[i].start:self.tokens[j].end], i, j)
            for i, j, label, score in bioes_spans(tags, scores)
        ]


def _locate(words: list[str], text: str, origin: OffsetMap | None) -> list[Token]:
    """Find each word in `text` left to right (Flair's `text.index(word, offset)`); map to original offsets."""
    tokens: list[Token] = []
    offset = 0
    n = len(text)
    for word in words:
        if not word:
            continue
        start = text.find(word, offset)
        if start < 0:  # a tokenizer that rewrote the word: keep it, placed at the current offset
            start = min(offset, n)
        end = offset = min(start + len(word), n)
        if origin is not None:  # cleaned offsets -> offsets in the text the user gave
            start, end = origin.original(start, end)
        tokens.append(Token(word, start, end))
    return tokens


def bioes_spans(tags: Sequence[str], scores: Sequence[float]) -> list[tuple[int, int, str, float]]:
    """Flair 0.15's `get_spans_from_bio`: (first token, last token, label, mean token score) per span.

    B- and S- always open a span; I- opens one when the type changes; a span's label is the type with the
    most weight (1.1 for the opening tag, 1.0 for the others); E- does not close a span.
    """
    spans: list[tuple[int, int, str, float]] = []
    weights: dict[str, float] = {}
    previous = "O-"
    first = -1
    for idx, tag in enumerate([*tags, "O"]):
        if tag in ("", "O", "_"):
            tag = "O-"
        in_span = tag != "O-"
        opens = tag[:2] in ("B-", "S-") or (
            in_span and previous[2:] != tag[2:] and (tag[:2] == "I-" or previous[2:] == "S-"))
        if (opens or not in_span) and first >= 0:
            label = max(weights, key=weights.__getitem__)
            spans.append((first, idx - 1, label, sum(scores[first:idx]) / (idx - first)))
            first, weights = -1, {}
        if in_span:
            if first < 0:
                first = idx
            weights[tag[2:]] = weights.get(tag[2:], 0.0) + (1.1 if opens else 1.0)
        previous = tag
    return spans
