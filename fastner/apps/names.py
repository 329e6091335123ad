"""The words and labels that both the passes around the model (`passes`) and the pseudonymization
(`anonymize`) read: titles, surname particles, name words, and the label families of other models."""

from __future__ import annotations

import re

from fastner.text import normalized_text

DEFAULT_TYPES = ("PERS", "ADDRESS")
NAME_WORD = re.compile(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*")
HYPHENS = "-‐‑"
TITLES = frozenset(("m", "mme", "mlle", "mr", "mrs", "me", "maître", "maitre", "monsieur", "madame",
                    "mademoiselle", "docteur", "dr", "pr", "professeur"))
# the particles of surnames, case folded ("d" and "l": d', l' as a word pattern splits them)
PARTICLES = frozenset(("de", "du", "des", "d", "la", "le", "les", "l", "van", "von", "der", "den", "di", "da", "del",
                       "della", "dos", "das", "ben", "ibn", "el", "al"))
NOT_SURNAMES = TITLES | PARTICLES | {"y", "et"}
ORGANIZATION_LABELS = frozenset({"ORGANIZATION", "ORG", "ORGANISATION", "COMPANY"})
ADDRESS_LABELS = frozenset({"ADDRESS", "ADRESSE"})
LOCALITY_LABELS = frozenset({"LOC", "LOCALITY", "LOCALITE", "CITY", "GPE"})
DATE_LABELS = frozenset({"DATE"})
# an initial: "G", "Ph", "Ch" (two letters without a vowel: not "Li", a name)
INITIAL = r"(?:[A-ZÀ-ÖØ-Þ]|[B-DF-HJ-NP-TV-Z][b-df-hj-np-tv-z])"
INITIAL_LETTERS = re.compile(INITIAL)


def fold(word: str) -> str:
    """The form under which two spellings of a word are the same word: NFC, no format characters, case folded."""
    return (word if word.isascii() else normalized_text(word)).casefold()
