"""Tokens, sentences and spans, with character offsets into the text the user gave.

The default tokenizer gives Flair 0.15's tokens (segtok's `split_single`, `word_tokenizer` and
`split_contractions`, after Flair's clean-up of zero-width and Windows-1252 characters); offsets always
refer to the original, un-cleaned string, so spans map back to it exactly.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from segtok.segmenter import split_single
from segtok.tokenizer import split_contractions, word_tokenizer

_ZERO_WIDTH = "\u200c\u200b\ufe0f\ufeff\u2028\u2029"
_PROBLEM_CHARS = re.compile(f"[{_ZERO_WIDTH}\u0080-\u0099]")


def _clean_char(char: str) -> str:
    """Flair's clean-up of one character: zero-width removed, C1 controls read as Windows-1252."""
    if char in _ZERO_WIDTH:
        return ""
    try:
        return bytes([ord(char)]).decode("windows-1252")
    except UnicodeDecodeError:  # no character at that code point: Flair removes it
        return ""


def clean_text(text: str) -> tuple[str, list[int] | None]:
    """Flair's `_handle_problem_characters`, plus a map from each cleaned index to its original index.

    The map is None when nothing changed (the common case, kept cheap).
    """
    if _PROBLEM_CHARS.search(text) is None:
        return text, None
    cleaned: list[str] = []
    origin: list[int] = []
    for i, char in enumerate(text):
        out = _clean_char(char) if _PROBLEM_CHARS.match(char) else char
        cleaned.append(out)
        origin.extend([i] * len(out))
    return "".join(cleaned), origin


def segtok_words(text: str) -> list[str]:
    """Flair 0.15's SegtokTokenizer: sentence split, word split, contractions; empty words dropped."""
    words: list[str] = []
    for sentence in split_single(text):
        words.extend(split_contractions(word_tokenizer(sentence)))
    return [w for w in words if w]


def space_words(text: str) -> list[str]:
    """Split on single spaces only (Flair's SpaceTokenizer)."""
    return [w for w in text.split(" ") if w]


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
    """

    def __init__(self, text: str | Sequence[str], tokenizer: Callable[[str], list[str]] | None = None) -> None:
        if isinstance(text, str):
            self.text = text
            cleaned, origin = clean_text(text)
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


def _locate(words: list[str], text: str, origin: list[int] | None) -> list[Token]:
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
            first = origin[start] if start < n else (origin[-1] + 1 if origin else 0)
            start, end = first, (origin[end - 1] + 1 if end > start else first)
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
