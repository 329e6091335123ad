"""Harder surface forms mixed into generated decisions, and the sentence edits that make them.

A sentence is a list of parts `(text, label)`. `apply_variants` edits the parts of one sentence (titles
dropped, person names lower-cased, a typo, two words merged) without moving any entity's edges, since
offsets are computed from the parts afterwards. The two other variants (`name_as_company`,
`common_noun_names`) change who is drawn, so the document writer applies them while drawing its cast.
Every variant draws from its own random generator (`vrng`), so variants never change what is said.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, fields

from fastner.synth.labels import PERSON_LABELS

Part = tuple[str, str | None]  # (text, label): label None for plain text, TITLE for a droppable title
TITLE = "_TITLE"
_MERGEABLE_SPACE = re.compile(r"(?<=\w) (?=\w)")
_TYPO_WORD = re.compile(r"[^\W\d_]{4,}")


def check_rates(rates) -> None:
    """ValueError unless every field of the dataclass `rates` is a rate in [0, 1]."""
    for f in fields(rates):
        rate = getattr(rates, f.name)
        if not 0.0 <= rate <= 1.0:
            raise ValueError(f"{type(rates).__name__}.{f.name} must be a rate in [0, 1], got {rate!r}")


@dataclass(frozen=True)
class Variants:
    """Rates (0..1) of the harder surface forms mixed into generated documents.

    Attributes:
        no_title: a person mention loses its "M."/"Mme"/"Monsieur"/"Madame".
        lowercase_names: a person name (party, lawyer, judge) is written in lower case.
        merged_words: a sentence loses one space between two words.
        name_as_company: a document's company is named after one of its parties' surname.
        common_noun_names: a surname is drawn from surnames that are common nouns ("Boulanger").
        typos: a sentence gets one letter swapped, dropped or doubled.
    """

    no_title: float = 0.0
    lowercase_names: float = 0.0
    merged_words: float = 0.0
    name_as_company: float = 0.0
    common_noun_names: float = 0.0
    typos: float = 0.0

    def __post_init__(self) -> None:
        check_rates(self)


def apply_variants(parts: list[Part], variants: Variants, vrng: random.Random) -> list[Part]:
    """One sentence's parts with titles dropped or kept as plain text, person names lower-cased, one typo
    and one merged space, each at its rate; the first letter of a sentence is upper case."""
    out: list[Part] = []
    drop_space = False
    for text, label in parts:
        if drop_space and text == " " and label is None:
            drop_space = False
            continue
        drop_space = False
        if label == TITLE:
            if vrng.random() < variants.no_title:
                drop_space = True
                continue
            label = None
        elif label in PERSON_LABELS and vrng.random() < variants.lowercase_names:
            text = text.lower()
        out.append((text, label))
    if vrng.random() < variants.typos:
        _typo(out, vrng)
    if vrng.random() < variants.merged_words:
        _merge_words(out, vrng)
    first, label = out[0]
    if label is None and first[:1].islower():
        out[0] = (first[0].upper() + first[1:], None)
    return out


def _typo(parts: list[Part], vrng: random.Random) -> None:
    """Swap, drop or double one inner letter of one word (in place)."""
    spots = [(i, m) for i, (text, _) in enumerate(parts) for m in _TYPO_WORD.finditer(text)]
    if not spots:
        return
    i, match = vrng.choice(spots)
    word, k = match.group(), vrng.randrange(1, len(match.group()) - 1)
    op = vrng.choice(("swap", "drop", "double"))
    if op == "swap" and word[k] != word[k + 1]:
        new = word[:k] + word[k + 1] + word[k] + word[k + 2:]
    elif op == "double":
        new = word[:k] + word[k] + word[k:]
    else:
        new = word[:k] + word[k + 1:]
    text, label = parts[i]
    parts[i] = (text[:match.start()] + new + text[match.end():], label)


def _merge_words(parts: list[Part], vrng: random.Random) -> None:
    """Remove one space between two words of the same part (in place): entity edges never move."""
    spots = [(i, m.start()) for i, (text, _) in enumerate(parts) for m in _MERGEABLE_SPACE.finditer(text)]
    if not spots:
        return
    i, at = vrng.choice(spots)
    text, label = parts[i]
    parts[i] = (text[:at] + text[at + 1:], label)
