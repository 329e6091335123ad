"""What tagging a document leaves for the later passes: its spans in compact arrays and its entity strings.

A 50 MB document can hold hundreds of thousands of spans: they are kept as typed arrays (about 30 bytes
a span, sorted by offset since sentences arrive in order), and each distinct (label, string) once, in
an `EntityTable`. Anonymization (numbering, consistency), the review checklist and the HTML view read
them after the tagging pass.
"""

from __future__ import annotations

import re
import unicodedata
from array import array
from collections.abc import Iterator
from dataclasses import dataclass

from fastner.synth import labels
from fastner.text import COMBINING_MARKS, FORMAT_CHARS, normalized_text

PERSON_LABELS = frozenset(labels.PERSON_LABELS) | {"PER", "PERSON"}  # the bundled model's, and other models'
BIRTH = 1  # span flag: a date that follows "né(e) le" (a birth date)
ROLE = 2  # span flag: a judge's or a lawyer's mention next to a word naming a role of the court ("présidente", "Me")
NOT_COURT = 4  # span flag: a name followed by a profession that is not the court's ("Me X, notaire", "mandataire")
ROLE_LABELS = frozenset(("JUDGE_CLERK", "LAWYER"))  # the people of the court, kept in clear
# the words naming their roles (`role_flag`), in any case but "Me" and "Maître" ("il me semble", "le maître de
# l'ouvrage"); a judge's and a lawyer's alike: a lawyer tagged as a judge is still one of them; the president
# of a body that is not a court ("président du conseil syndical", "de l'association", "du chantier") is none:
# "président" is one alone or with the court's complement ("de chambre", "du tribunal"); "conseiller" is none with
# another trade's complement ("conseiller du salarié", "conseillère agricole"; "de la mise en état" is the court's)
_ROLE_WORDS = re.compile(
    r"\b(?:(?:vice-)?pr[ée]sidente?s?(?!\s+(?:(?:du|des|de\s+la|de)\s+|de\s+l['’]|d['’])(?=\S)(?!(?:la\s+|l['’])?(?:chambre|"
    r"cour|tribunal|section|formation|audience|juridiction|p[ôo]le|conseil\s+de\s+prud|bureau\s+de\s+jugement)))|"
    r"conseill[eè]re?s?(?!\s+(?:(?:(?:du|des|de\s+la|de)\s+|de\s+l['’]|d['’])(?=\S)(?!(?:la\s+)?(?:mise|cour|premi|chambre(?!\s+"
    r"(?:d['’]agriculture|de\s+commerce|des\s+métiers))))|en\s|agricole|financi|municipa|commercia|clientèle|juridique|"
    r"fiscal|technique|pédagogique|pénitentiaire|principal|conjugal|départementa|régiona))|"
    r"greffi[eè]re?s?|magistrat(?:e|s|es)?|juges?|"
    r"assesseure?s?|rapporteure?s?|procureure?s?|substitute?s?|avocate?s?(?: g[ée]n[ée]rale?s?)?|"
    r"minist[èe]re public|composition|barreau)\b|(?-i:\b(?:Me|Ma[iî]tre|MAÎTRE)\b)", re.IGNORECASE)
# where a mention's clause ends: ; ! ? a blank line, or a full stop that does not end a title ("M. X")
_CLAUSE_END = re.compile(r"[;!?]|\n\s*\n|(?<!\bM)(?<!\bMM)(?<!\bMe)(?<!\bMme)(?<!\bMlle)(?<!\bDr)\.(?=\s)")
_BIRTH_BEFORE = re.compile(
    r"(?:\bn[ée]e?s?|\bn[ée]\s*\(\s*e\s*\)|\bdate\s+de\s+naissance)\s*[:,]?\s*(?:le|en|au|à)?\s*$", re.IGNORECASE)
_LETTER = re.compile(r"[^\W\d_]")
# after a birth date: " à Quimper", " à Saint-Jean-d'Angély (17)", " à Le Mans", " aux Abymes", " au Moule", " à Hô
# Chi Minh-Ville": a capitalized place name, hyphenated words kept together, up to two more capitalized words
# (not a title), an optional "(department or country)" after it
# (decomposed accents and invisible format characters inside words, as the tagger reads them)
_INSIDE = f"[\\w'’{re.escape(COMBINING_MARKS + FORMAT_CHARS)}]"
_BIRTHPLACE_AFTER = re.compile(
    f"\\s*,?\\s+(?:à|a\u0300|aux?)\\s+((?:(?:Le|La|Les|L['’])\\s?)?[^\\W\\d_]{_INSIDE}*(?:-{_INSIDE}+)*"
    f"(?:[ \\u00a0](?:(?:de|da|do|di|del|sur|en)[ \\u00a0])?(?!(?:M|Mme|Me|Mlle|Monsieur|Madame|Ma[iî]tre)\\b)"
    f"[A-ZÀ-ÖØ-Þ]{_INSIDE}*(?:-{_INSIDE}+)*){{0,2}}"
    "(?:\\s+\\([^()\\n]{1,40}\\))?)")


def is_person(label: str) -> bool:
    return label in PERSON_LABELS


def normalize(text: str) -> str:
    """The key under which mentions count as the same string: read as the model reads it (NFC, no soft
    hyphens or zero-width characters), whitespace collapsed, case folded."""
    return " ".join(normalized_text(text).split()).casefold()


def strip_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))


def n_letters(text: str) -> int:
    return len(_LETTER.findall(text))


def is_birth_date(before: str) -> bool:
    """Whether the text just before a date (same sentence) introduces a birth date ("née le", "né(e) le"),
    read as the tagger reads it (NFC, no invisible format characters)."""
    tail = before[-40:]
    return _BIRTH_BEFORE.search(tail if tail.isascii() else normalized_text(tail)) is not None


# the roles written next to a judge's, a clerk's or a prosecutor's name, after an optional rank ("premier
# président", "vice-présidente"): the presiding ones, which other bodies have too ("présidente du chantier"), and the
# court's alone
COURT_RANK = r"(?:premi[eè]re?[ \t\u00a0]+|vice-)?"
PRESIDING_ROLE = r"(?:pr[ée]sidente?|conseill[eè]re?s?)"
COURT_ONLY_ROLE = (r"(?:juges?|greffi[eè]re?|substitute?|procureure?|avocate?[ \t\u00a0]+g[ée]n[ée]rale?|magistrate?s?|"
                   r"assesseure?s?)")
# a line of the composition of the court: "Conseillers : Madame X, Monsieur Y", "Greffière : Mme Z", "Greffière
# lors des débats et du prononcé : Mme Z"
_COURT_LINE = re.compile(f"[ \\t\\u00a0]*{COURT_RANK}(?:{PRESIDING_ROLE}|{COURT_ONLY_ROLE})"
                         r"(?:[ \t\u00a0]+(?:lors|présente?s?|ayant|en|faisant|chargée?|déléguée?|placée?|"
                         r"suppléante?|honoraire|de\s+chambre|à\s+la\s+cour)\b[^:\n.;]{0,60})?[ \t\u00a0]*:",
                         re.IGNORECASE)


def on_court_line(text: str, start: int) -> bool:
    """Whether `start` is in the first clause of a line of the court's composition ("Conseillers : Madame X,
    Monsieur Y"; not after a full stop or a semicolon on that line)."""
    line = text.rfind("\n", 0, start) + 1
    return _COURT_LINE.match(text, line) is not None and _CLAUSE_END.search(text, line, start) is None


def role_flag(label: str, text: str, start: int, end: int) -> int:
    """ROLE when the mention `text[start:end]` of a role label (JUDGE_CLERK, LAWYER) has a word naming a role of
    the court in its own clause ("Madame X, présidente", "Greffier : X", "Me X"): up to 60 characters before
    and 40 after, stopping at a sentence end, a semicolon or a blank line, or on a line of the court's composition;
    0 otherwise and for other labels."""
    if label not in ROLE_LABELS:
        return 0
    before, after = text[max(0, start - 60):start], text[end:end + 40]
    ends = list(_CLAUSE_END.finditer(before))
    if ends:
        before = before[ends[-1].end():]
    stop = _CLAUSE_END.search(after)
    if stop is not None:
        after = after[:stop.start()]
    return ROLE if _ROLE_WORDS.search(normalized_text(f"{before} {after}")) or on_court_line(text, start) else 0


def birthplace_after(text: str, date_end: int) -> tuple[int, int] | None:
    """The place of birth written right after a birth date that ends at `date_end` ("né le 3 janvier 1961
    à Quimper"): its `(start, end)` in `text`, or None. Only a capitalized name counts."""
    match = _BIRTHPLACE_AFTER.match(text, date_end)
    if match is None or not match.group(1)[:1].isupper():
        return None
    return match.start(1), match.end(1)


@dataclass(frozen=True)
class SpanView:
    start: int
    end: int
    label: str
    score: float
    entity: int
    flags: int


class EntityTable:
    """Distinct (label, normalized string) pairs of a document: first spelling, count, first offset."""

    def __init__(self) -> None:
        self.index: dict[tuple[str, str], int] = {}
        self.label: list[str] = []
        self.text: list[str] = []
        self.count: list[int] = []
        self.first: list[int] = []
        self.flags: list[int] = []
        self.spellings: list[set[str] | None] = []  # person entities: distinct spellings (for the review)

    def add(self, label: str, text: str, start: int, flags: int = 0) -> int:
        key = (label, normalize(text))
        idx = self.index.get(key)
        if idx is None:
            idx = self.index[key] = len(self.label)
            self.label.append(label)
            self.text.append(" ".join(normalized_text(text).split()))
            self.count.append(0)
            self.first.append(start)
            self.flags.append(0)
            self.spellings.append(set() if is_person(label) else None)
        self.count[idx] += 1
        self.flags[idx] |= flags
        spellings = self.spellings[idx]
        if spellings is not None and len(spellings) < 8:
            spellings.add(" ".join(text.split()))
        return idx

    def relabel(self, idx: int, label: str) -> int | None:
        """Give entity `idx` the label `label`; if an entity of that label and string exists, leave `idx` as it
        is and return that entity instead."""
        key = normalize(self.text[idx])
        same = self.index.get((label, key))
        if same is not None:
            return same
        del self.index[(self.label[idx], key)]
        self.index[(label, key)] = idx
        self.label[idx] = label
        if self.spellings[idx] is None and is_person(label):
            self.spellings[idx] = set()
        return None

    def __len__(self) -> int:
        return len(self.label)


class SpanStore:
    """Every span of a document, in document order, in typed arrays."""

    def __init__(self) -> None:
        self.start = array("q")
        self.end = array("q")
        self.score = array("f")
        self.entity = array("l")
        self.flags = array("B")
        self.entities = EntityTable()

    def add(self, start: int, end: int, label: str, score: float, text: str, flags: int = 0) -> None:
        self.start.append(start)
        self.end.append(end)
        self.score.append(score)
        self.entity.append(self.entities.add(label, text, start, flags))
        self.flags.append(flags)

    def __len__(self) -> int:
        return len(self.start)

    def view(self, i: int) -> SpanView:
        e = self.entity[i]
        return SpanView(self.start[i], self.end[i], self.entities.label[e], self.score[i], e, self.flags[i])

    def __iter__(self) -> Iterator[SpanView]:
        return (self.view(i) for i in range(len(self)))
