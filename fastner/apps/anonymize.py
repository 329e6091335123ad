"""Pseudonymization: which spans are replaced, by what, and the document-level consistency pass.

Strategies (`STRATEGIES`), for the replaced types (default PERS and ADDRESS; lawyers and judges are kept
unless asked for, as French case-law publication rules require):

- `placeholder`: `[PERS]`.
- `numbered`: `[PERS 1]`, `[PERS 2]`... numbered per document in order of appearance, the same string
  (and a surname alone that belongs to one full name) always getting the same number.
- `cassation`: the Cour de cassation's convention: a letter per person (`[A]`, `[B]`... persons, and
  judges if JUDGE_CLERK is replaced), `[1]`, `[2]`... for legal persons (ORGANIZATION), `[Adresse 1]`,
  `[Localité 1]` (LOC/LOCALITY types, and a place of birth), `[Date naissance 1]` for a date after
  "né(e) le", replaced whenever persons are (other dates kept even when DATE is replaced).
- `initials`: a person's name becomes the initials of its words (`M. Dupont` -> `M. D...`), other types
  are numbered.
- `fake`: consistent invented names (gender from a preceding title: Mme, M....) and addresses, drawn per
  document from a seeded generator (the document's hash and `--seed`), other types numbered.

Consistency ("check again", the contextual-dictionary method of the Cour de cassation): every string tagged
with a replaced type, and the parts of a tagged full name that a later mention may use alone (its surname,
"Le Gall" or "MORVAN", and its first name: `name_parts`), is looked for again in the whole document
(whole words; the first capitalized word capitalized, except in a full name of two words or more: "raymond
lagarde" is Raymond Lagarde; separators compared with whitespace collapsed); every
occurrence not already inside a tagged span is replaced as well, and so is every span tagged with a kept
type (LAWYER, JUDGE_CLERK...) whose string is tagged with a replaced type elsewhere at least as often
(ties go to privacy; the review's `label_conflict` check lists those for a person to decide). A name part
that is also the name of a kept person of the document (a judge who shares a party's surname) is not looked
for: the model's tags decide there. The same search, over person types, feeds the review checklist's
"tagged here, untagged there" check. Before it, a judge or a lawyer none of whose mentions stands next to a
word of a court role ("présidente", "Greffier :", "Me": `analysis.role_flag`) is taken for the replaced person
type (`demote_roleless`): the tagger's costliest error on real text is a party read as a judge; a short form
of a name given with its role ("G. Wambre" of "Grégory Wambre, greffier") stays the court's either way
(`is_short_form`, `promote_short_forms`).

The spans arrive made whole, with what the tagger missed added, by the passes around the model
(`passes.store_spans`: "Béziers (34)", "lieu-dit Kerhuel, ...", "Madame Đỗ", "voisin à Ars-sur-Moselle").

Everything outside the replaced spans is copied unchanged: the output is the input with slices swapped.
"""

from __future__ import annotations

import functools
import itertools
import random
import re
from bisect import bisect_left
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass, field

from fastner.apps.analysis import (
    BIRTH,
    NOT_COURT,
    ROLE,
    ROLE_LABELS,
    EntityTable,
    SpanStore,
    is_person,
    n_letters,
)
from fastner.apps.names import (
    ADDRESS_LABELS,
    DATE_LABELS,
    DEFAULT_TYPES,
    HYPHENS,
    INITIAL_LETTERS,
    LOCALITY_LABELS,
    NAME_WORD,
    NOT_SURNAMES,
    ORGANIZATION_LABELS,
    PARTICLES,
    TITLES,
    fold,
)
from fastner.apps.passes import rule_labels, store_spans
from fastner.text import COMBINING_MARKS, FORMAT_CHARS

STRATEGIES = ("placeholder", "numbered", "cassation", "initials", "fake")
# a word: letters and digits, with the combining marks and invisible format characters inside it (a name
# decomposed (NFD) or with a soft hyphen is still one word, compared in its NFC form: `fold`)
_WORD = re.compile(f"\\w[\\w{re.escape(COMBINING_MARKS + FORMAT_CHARS)}]*")
MAX_ENTRY_CHARS = 200  # longer tagged strings are not looked for again (not names, not addresses)


# --- the dictionary of a document's strings -------------------------------------------------------------

@dataclass(frozen=True)
class Entry:
    """A string to look for: its words (case folded) and the separators between them (whitespace collapsed)."""

    words: tuple[str, ...]
    seps: tuple[str, ...]
    entity: int
    label: str
    capital: int  # the word found only capitalized (its first letter upper case), -1: none
    part: bool = False  # a surname taken out of a tagged full name


def _sep(text: str) -> str:
    return " ".join(text.split()) if text.strip() else " "


def make_entry(text: str, entity: int, label: str, part: bool = False) -> Entry | None:
    words = list(_WORD.finditer(text))
    if not words:
        return None
    seps = tuple(_sep(text[a.end():b.start()]) for a, b in itertools.pairwise(words))
    folded = tuple(fold(w.group()) for w in words)
    if all(word in NOT_SURNAMES for word in folded):  # "de La", "M.": no name to look for
        return None
    # the first word after the particles, capitalized in the entry, is looked for capitalized ("de la tour" is
    # not de La Tour), unless the entry is a full name of two words or more that does not start with a particle
    # ("raymond lagarde" is Raymond Lagarde)
    capital = next((k for k, word in enumerate(folded) if word not in PARTICLES), 0)
    any_case = not part and len(folded) > 1 and capital == 0
    upper = words[capital].group()[:1].isupper() and not any_case
    return Entry(folded, seps, entity, label, capital if upper else -1, part)


def _nth_word(text: str, start: int, n: int) -> str:
    """The `n`-th word (0: the first) from `start`."""
    return next(itertools.islice(_WORD.finditer(text, start), n, None)).group()


class Dictionary:
    """Whole-word search of many strings in one left-to-right pass over the words of a text."""

    def __init__(self) -> None:
        self.by_first: dict[str, list[Entry]] = {}
        self._seen: set[tuple[tuple[str, ...], tuple[str, ...]]] = set()

    def add(self, entry: Entry | None) -> bool:
        """Add an entry unless one with the same words and separators is there (the first one wins)."""
        if entry is None or (entry.words, entry.seps) in self._seen:
            return False
        self._seen.add((entry.words, entry.seps))
        bucket = self.by_first.setdefault(entry.words[0], [])
        bucket.append(entry)
        bucket.sort(key=lambda e: -len(e.words))
        return True

    def __len__(self) -> int:
        return len(self._seen)

    def find(self, text: str) -> Iterator[tuple[int, int, Entry]]:
        """Non-overlapping occurrences `(start, end, entry)`, leftmost first, longest entry first (words are
        read lazily: memory does not grow with the text)."""
        if not self.by_first:
            return
        resume = 0
        for word in _WORD.finditer(text):
            if word.start() < resume:
                continue
            candidates = self.by_first.get(fold(word.group()))
            if not candidates:
                continue
            start = word.start()
            for entry in candidates:
                end = self._match(text, word, entry)
                if end < 0 or (entry.capital >= 0 and not _nth_word(text, start, entry.capital)[:1].isupper()):
                    continue
                if (start > 1 and text[start - 1] in HYPHENS and text[start - 2].isalnum()) or (
                        end + 1 < len(text) and text[end] in HYPHENS and text[end + 1].isalnum()):
                    continue  # part of a hyphenated word
                yield start, end, entry
                resume = end
                break

    @staticmethod
    def _match(text: str, word: re.Match, entry: Entry) -> int:
        """The end of `entry` matched from `word` (its first word), or -1."""
        previous = word
        for k in range(1, len(entry.words)):
            following = _WORD.search(text, previous.end())
            if following is None or following.start() - previous.end() > 8:
                return -1
            if fold(following.group()) != entry.words[k]:
                return -1
            if _sep(text[previous.end():following.start()]) != entry.seps[k - 1]:
                return -1
            previous = following
        return previous.end()


def surname_parts(text: str) -> list[str]:
    """Words of a full name that identify the person alone: its last name word and its upper-case words
    (three letters at least, titles and particles excluded). A one-word name has none."""
    words = NAME_WORD.findall(text)
    if len(words) < 2:
        return []
    keep = [w for w in words if w.casefold() not in NOT_SURNAMES and n_letters(w) >= 3]
    parts = [w for w in keep if w.isupper()]
    if keep and keep[-1] not in parts:
        parts.append(keep[-1])
    return parts


def name_parts(text: str) -> list[str]:
    """Parts of a full name that a later mention may use alone, as written in `text`: its surname (every
    word after the first name, or its upper-case words when others are not: "Le Gall", "de La Tour
    d'Auvergne", and without a leading lower-case particle "La Tour d'Auvergne"), the `surname_parts`,
    and its first name ("Léa"); for a name with its other first names after commas ("GIRARDOT Ludovic, Alain"),
    the name before them and its parts. Parts of fewer than three letters, titles and particles alone are left
    out."""
    if "," in text:
        head = text[:text.index(",")].strip()
        return list(dict.fromkeys(([head] if len(NAME_WORD.findall(head)) > 1 else []) + name_parts(head)))
    words = [w for w in NAME_WORD.finditer(text)]
    while words and words[0].group().casefold() in TITLES:
        words.pop(0)
    if len(words) < 2:
        return []
    upper = [w for w in words if w.group().isupper() and n_letters(w.group()) >= 2]
    if upper and len(upper) < len(words):
        surname = [w for w in words if words.index(upper[0]) <= words.index(w) <= words.index(upper[-1])]
        given = [w for w in words if w not in surname]
    else:
        given, surname = words[:1], words[1:]
    parts = [text[surname[0].start():surname[-1].end()]]
    while len(surname) > 1 and surname[0].group().islower():  # "de La Tour" -> "La Tour"
        surname = surname[1:]
        parts.append(text[surname[0].start():surname[-1].end()])
    parts += surname_parts(text)
    if given:
        parts.append(given[0].group())
    seen: set[str] = set()
    out = []
    for part in parts:
        key = part.casefold()
        if key in seen or key in NOT_SURNAMES or n_letters(part) < 3:
            continue
        seen.add(key)
        out.append(part)
    return out


@dataclass
class Lexicon:
    """A document's dictionary plus the canonical entity of every entity (a surname alone -> its full name)."""

    dictionary: Dictionary
    canonical: dict[int, int]
    n_entities: int  # ids >= len(table) are surnames shared by several full names


def build_lexicon(table: EntityTable, labels: Collection[str], replaced: Callable[[int], bool],
                  min_letters: int = 3) -> Lexicon:
    """Entries for the entities whose label is in `labels` (replaced ones first, so a string tagged both
    as a replaced and as a kept type is looked for as replaced), and surname parts of person names."""
    order = [e for e in range(len(table)) if table.label[e] in labels and len(table.text[e]) <= MAX_ENTRY_CHARS]
    order.sort(key=lambda e: (not replaced(e), e))
    dictionary = Dictionary()
    for e in order:
        if n_letters(table.text[e]) >= min_letters:
            dictionary.add(make_entry(table.text[e], e, table.label[e]))
    # name parts (surname, first name): part -> owners, per label; a part of a replaced name that is also a
    # kept person's name or name part in this document (a judge or a lawyer with a party's surname) is not
    # looked for
    kept_names: set[str] = set()
    replaced_names: dict[str, int] = {}  # replaced persons' names -> how often tagged so
    for e in order:
        if is_person(table.label[e]) and replaced(e):
            key = table.text[e].casefold()
            replaced_names[key] = replaced_names.get(key, 0) + table.count[e]
    for e in order:  # a string tagged more often as a replaced person than as a kept one is a replaced person's
        if is_person(table.label[e]) and not replaced(e) and \
                replaced_names.get(table.text[e].casefold(), 0) < table.count[e]:
            kept_names.add(table.text[e].casefold())
            kept_names.update(part.casefold() for part in name_parts(table.text[e]))
    owners: dict[tuple[str, str], list[int]] = {}
    spelled: dict[tuple[str, str], str] = {}
    for e in order:
        if is_person(table.label[e]):
            for part in name_parts(table.text[e]):
                key = (table.label[e], part.casefold())
                if replaced(e) and key[1] in kept_names:
                    continue
                bucket = owners.setdefault(key, [])
                spelled.setdefault(key, part)
                if e not in bucket:
                    bucket.append(e)
    canonical: dict[int, int] = {}
    single = {(table.label[e], table.text[e].casefold()): e for e in order if is_person(table.label[e])}
    n_entities = len(table)
    for (label, part), people in owners.items():
        alone = single.get((label, part))
        if len(people) == 1:
            target = people[0]
            if alone is not None and alone != target:
                canonical[alone] = target  # "Simon" alone is the "Brigitte Simon" of this document
        else:
            target = alone if alone is not None else n_entities  # shared surname: its own entity
            if alone is None:
                n_entities += 1
        dictionary.add(make_entry(spelled[(label, part)], target, label, part=True))
    return Lexicon(dictionary, canonical, n_entities)


# --- replacements ------------------------------------------------------------------------------------------

def letters(n: int) -> str:
    """1 -> A, 26 -> Z, 27 -> AA (bijective base 26)."""
    out = ""
    while n > 0:
        n, r = divmod(n - 1, 26)
        out = chr(65 + r) + out
    return out


FAKE_FIRST_NAMES_F = (
    "Adèle", "Albane", "Ambre", "Anaïs", "Apolline", "Blanche", "Clotilde", "Daphné", "Elsa", "Faustine",
    "Honorine", "Isaure", "Léonie", "Néréa", "Ombeline", "Perrine", "Salomé", "Sixtine", "Valentine", "Violaine",
    "Zélie", "Bérangère", "Gersende",
)
FAKE_FIRST_NAMES_M = (
    "Bastien", "Brice", "Célestin", "Corentin", "Cyprien", "Edmond", "Firmin", "Gaspard", "Ignace", "Jocelyn",
    "Lazare", "Léandre", "Marceau", "Maxence", "Octave", "Pacôme", "Prosper", "Rodolphe", "Séraphin", "Tancrède",
    "Timothée", "Ulysse", "Wilfried",
)
_FEMALE_BEFORE = re.compile(r"\b(?:mme|madame|mademoiselle|mlle|née)\.?\s*$", re.IGNORECASE)
_MALE_BEFORE = re.compile(r"(?:\bm\.|\bmonsieur|\bmr\.?|\bné)\s*$", re.IGNORECASE)
FAKE_SURNAMES = (
    "Aubrac", "Balandier", "Bellecour", "Brétigny", "Castelroc", "Chantereau", "Corvisart", "Dalbret",
    "Delacroisière", "Dormanval", "Escoffier", "Fontvieille", "Gallardon", "Grandpré", "Hautecloque",
    "Jouvenel", "Kervadec", "Lamarzelle", "Lavergnolle", "Montbrison", "Morlaincourt", "Noirétable",
    "Orsonville", "Pellegrue", "Quintard", "Rambert", "Rochemaure", "Saint-Amour", "Sauveterre", "Tardivat",
    "Trémolières", "Valcourt", "Verneuil", "Villebois", "Ysambert", "Zannoni",
)
FAKE_STREETS = (
    "rue des Glycines", "avenue des Mésanges", "impasse du Verger", "boulevard des Tanneurs",
    "chemin des Aubépines", "place du Marronnier", "allée des Hirondelles", "rue du Pressoir",
    "quai des Mariniers", "route des Crêtes", "rue de la Filature", "avenue du Belvédère",
)
FAKE_TOWNS = (
    ("01990", "Peyrolles"), ("12840", "Valmorin"), ("23450", "Sainte-Ferréol"), ("34880", "Castelvieil"),
    ("45710", "Montrevault"), ("56620", "Kerlouan-Bas"), ("67960", "Obersteinbach"), ("78830", "Bréval-le-Haut"),
    ("84910", "Roquemaure-les-Pins"), ("89570", "Chablenay"),
)
FAKE_COMPANIES = (
    "SARL Atelier Borée", "SAS Calliope Conseil", "SA Hélios Bâtiment", "SCI Les Trois Chênes",
    "SARL Orphée Transports", "SAS Némésis Logistique", "EURL Alcyone Services", "SA Pléiade Assurances",
)


class Replacer:
    """The replacement of each mention under one strategy; the same canonical entity, the same replacement."""

    def __init__(self, strategy: str, seed: str = "", canonical: dict[int, int] | None = None) -> None:
        if strategy not in STRATEGIES:
            raise ValueError(f"unknown strategy {strategy!r}: expected one of {', '.join(STRATEGIES)}")
        self.strategy = strategy
        self.canonical = canonical or {}
        self.rng = random.Random(f"fastner-fake:{seed}")
        self.numbers: dict[tuple[str, int], int] = {}
        self.counters: dict[str, int] = {}
        self.fakes: dict[int, tuple[str, str]] = {}
        self.used: set[tuple[str, str]] = set()

    def replaces(self, label: str, flags: int) -> bool:
        """Whether a span of a replaced type is replaced (the convention keeps dates that are not births)."""
        return not (self.strategy == "cassation" and label in DATE_LABELS and not flags & BIRTH)

    def _number(self, space: str, entity: int) -> int:
        key = (space, self.canonical.get(entity, entity))
        if key not in self.numbers:
            self.counters[space] = self.counters.get(space, 0) + 1
            self.numbers[key] = self.counters[space]
        return self.numbers[key]

    def __call__(self, entity: int, label: str, text: str, flags: int = 0, before: str = "") -> str:
        strategy = self.strategy
        if strategy == "placeholder":
            return f"[{label}]"
        if strategy == "cassation":
            return self._cassation(entity, label, flags)
        if strategy == "initials" and is_person(label):
            initials = [w[0].upper() + "..." for w in NAME_WORD.findall(text)]
            return " ".join(initials) or f"[{label}]"
        if strategy == "fake":
            fake = self._fake(entity, label, text, before)
            if fake is not None:
                return fake
        return f"[{label} {self._number(label, entity)}]"

    def _cassation(self, entity: int, label: str, flags: int) -> str:
        if is_person(label):
            return f"[{letters(self._number('person', entity))}]"
        if label in ORGANIZATION_LABELS:
            return f"[{self._number('organization', entity)}]"
        if label in ADDRESS_LABELS and flags & BIRTH:
            return f"[Localité {self._number('locality', entity)}]"
        if label in ADDRESS_LABELS:
            return f"[Adresse {self._number('address', entity)}]"
        if label in LOCALITY_LABELS:
            return f"[Localité {self._number('locality', entity)}]"
        if label in DATE_LABELS and flags & BIRTH:
            return f"[Date naissance {self._number('birth', entity)}]"
        return f"[{label} {self._number(label, entity)}]"

    def _fake(self, entity: int, label: str, text: str, before: str) -> str | None:
        key = self.canonical.get(entity, entity)
        if is_person(label):
            if key not in self.fakes:
                if _FEMALE_BEFORE.search(before):
                    firsts = FAKE_FIRST_NAMES_F
                elif _MALE_BEFORE.search(before):
                    firsts = FAKE_FIRST_NAMES_M
                else:
                    firsts = FAKE_FIRST_NAMES_F + FAKE_FIRST_NAMES_M
                for _ in range(100):
                    pair = (self.rng.choice(firsts), self.rng.choice(FAKE_SURNAMES))
                    if pair not in self.used:
                        break
                self.used.add(pair)
                self.fakes[key] = pair
            first, surname = self.fakes[key]
            words = NAME_WORD.findall(text)
            if words and len(words[-1]) > 1 and words[-1].isupper():
                surname = surname.upper()
            return surname if len(words) < 2 else f"{first} {surname}"
        if label in ADDRESS_LABELS:
            if key not in self.fakes:
                postcode, town = self.rng.choice(FAKE_TOWNS)
                self.fakes[key] = (f"{self.rng.randint(1, 120)} {self.rng.choice(FAKE_STREETS)}", f"{postcode} {town}")
            street, town = self.fakes[key]
            return f"{street}, {town}"
        if label in ORGANIZATION_LABELS:
            if key not in self.fakes:
                self.fakes[key] = (self.rng.choice(FAKE_COMPANIES), "")
            return self.fakes[key][0]
        return None


# --- the rewriting pass ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Mark:
    """A slice of the document: a tagged span or a string found again, and its replacement (None: kept)."""

    start: int
    end: int
    label: str
    entity: int
    source: str  # "model" or "consistency"
    replacement: str | None = None
    score: float | None = None


@dataclass
class Piece:
    """A piece of the document with its marks (sorted; a mark starting here may end in a later piece) and the
    strings found again outside any tagged span (whether consistency replaced them or not)."""

    offset: int
    text: str
    marks: list[Mark] = field(default_factory=list)
    found: list[Mark] = field(default_factory=list)

    @property
    def end(self) -> int:
        return self.offset + len(self.text)


_NAME_WORD_AND_DOT = re.compile(f"({NAME_WORD.pattern})(\\.?)")  # a name word and the dot after it ("Ph.")


@functools.lru_cache(maxsize=4096)
def _initials_and_words(name: str) -> tuple[frozenset[str], frozenset[str]]:
    """A name's initials and its words (case folded; titles and particles left out): "A.-H. Castagnet" ->
    ({"a", "h"}, {"castagnet"}), "Ph. Jouffroy" -> ({"p"}, {"jouffroy"}). Cached: the role passes compare every
    name with every court name."""
    initials, words = set(), set()
    for match in _NAME_WORD_AND_DOT.finditer(fold(name)):
        word = match.group(1)
        if word in NOT_SURNAMES:
            continue
        if len(word) == 1 or (match.group(2) and INITIAL_LETTERS.fullmatch(word.capitalize())):  # "G.", "Ph."
            initials.add(word[0])
        else:
            words.add(word)
    return frozenset(initials), frozenset(words)


def is_short_form(short: str, name: str) -> bool:
    """Whether `short` names the person `name` in fewer words, by its surname, with or without initials:
    "G. Wambre", "M. Arrouy" and "Wambre" of "Grégory Wambre", "A.-H. Castagnet" of "Anne-Hélène Castagnet";
    not "Kevin Pujol" of "Anne-Marie Pujol", nor "Grégory" alone."""
    initials, words = _initials_and_words(short)
    _, full = _initials_and_words(name)
    surname = next((w for w in reversed(NAME_WORD.findall(fold(name))) if w not in NOT_SURNAMES), None)
    given = {part[:1] for word in full - words for part in re.split(f"[{HYPHENS}]", word) if part}
    return surname in words and words < full and initials <= given


def _court_names(table: EntityTable) -> list[int]:
    """The judges' and lawyers' names the document gives with their court role (`analysis.role_flag`), but those
    it also gives, or gives a short or a long form of, with a profession that is not the court's ("Me Kowalczyk
    en qualité d'administrateur", "Me Marc Soubiran, notaire": `analysis.NOT_COURT`)."""
    professionals = [e for e in range(len(table)) if table.flags[e] & NOT_COURT]

    def professional(e: int) -> bool:  # the same name as a professional's, or a short or a long form of it
        name = table.text[e]
        return any(e == p or is_short_form(table.text[p], name) or is_short_form(name, table.text[p])
                   for p in professionals)

    return [e for e in range(len(table)) if table.label[e] in ROLE_LABELS and table.flags[e] & ROLE
            and not professional(e)]


def _words_of(table: EntityTable, entities: Iterable[int]) -> set[str]:
    """Every name word of `entities` (`_initials_and_words`)."""
    return {word for e in entities for word in _initials_and_words(table.text[e])[1]}


def _relabel(table: EntityTable, changes: list[tuple[int, str]]) -> dict[int, int]:
    """Give each `(entity, label)` its label; {entity: the entity of that label and string} where one exists."""
    merged = {}
    for e, label in changes:
        same = table.relabel(e, label)
        if same is not None:
            merged[e] = same
    return merged


def demote_roleless(table: EntityTable, replaced: Collection[str], person: str
                    ) -> tuple[list[tuple[int, str]], dict[int, int]]:
    """Relabel `person` (a replaced person type) every judge or lawyer (kept role types) that is not one of the
    `_court_names`: judges are named in the composition of the court, lawyers after "Me"; a party, a child or a
    social worker that the model mistook for one must not stay in clear. A short form of a court name ("G.
    Wambre" signing the decision, "Grégory Wambre, greffier" in its header: `is_short_form`) stays the court's,
    unless one of its words also names a person of the document. Returns the demoted `(entity, its label
    before)` (the review lists them) and {entity: the `person` entity of the same string} where one exists
    (replaced as that one)."""
    court = _court_names(table)
    roleless = [e for e in range(len(table))
                if table.label[e] in ROLE_LABELS and table.label[e] not in replaced and e not in court]
    short = {e for e in roleless if any(is_short_form(table.text[e], table.text[f]) for f in court)}
    people = _words_of(table, [e for e in range(len(table)) if table.label[e] == person]) | _words_of(
        table, [e for e in roleless if e not in short])
    demoted = [(e, table.label[e]) for e in roleless
               if e not in short or _initials_and_words(table.text[e])[1] & people]
    return demoted, _relabel(table, [(e, person) for e, _ in demoted])


def promote_short_forms(table: EntityTable, replaced: Collection[str], person: str
                        ) -> tuple[list[tuple[int, str]], dict[int, int]]:
    """Give the judge's or lawyer's label back to every `person` entity that is a short form of one of the
    `_court_names` ("M. Arrouy" in the reasons, "M. Philippe Arrouy, avocat général" in the header:
    `is_short_form`), and to every entity of another replaced type that is one with initials ("G. Mondésir"
    signing, read as a place), unless one of its words also names another person of the document (or it is
    named with a profession that is not the court's). Returns the promoted `(entity, its label now)` and
    {entity: the entity of that label and string} where one exists."""
    court = _court_names(table)
    if not court:
        return [], {}
    candidates = [e for e in range(len(table)) if not table.flags[e] & NOT_COURT and (table.label[e] == person or (
        table.label[e] in replaced and table.label[e] not in ROLE_LABELS and _initials_and_words(table.text[e])[0]))]
    short = {e: next((f for f in court if is_short_form(table.text[e], table.text[f])), None) for e in candidates}
    people = _words_of(table, [e for e, f in short.items() if f is None and table.label[e] == person])
    promoted = [(e, table.label[f]) for e, f in short.items()
                if f is not None and not _initials_and_words(table.text[e])[1] & people]
    return promoted, _relabel(table, promoted)


class Rewriter:
    """Turns a document's pieces and its tagged spans into pieces with marks, in one streamed pass.

    `replaced`: the types to pseudonymize (empty: nothing is replaced, as in `fastner tag`); `watch`:
    other types whose strings are looked for again for the review (default: person types).
    `all_spans`: mark every tagged span and every string found again (the HTML view of `tag`), not only
    the replaced ones.
    """

    def __init__(self, store: SpanStore, *, replaced: Collection[str] = (), strategy: str = "placeholder",
                 consistency: bool = True, seed: str = "", watch: Collection[str] | None = None,
                 all_spans: bool = False) -> None:
        self.store = store
        table = store.entities
        self.replaced = frozenset(replaced)
        if strategy == "cassation" and any(is_person(label) for label in self.replaced):
            self.replaced |= DATE_LABELS  # the convention replaces a person's birth date (and only that date)
        self.consistency = consistency
        self.all_spans = all_spans
        person = rule_labels(tuple(sorted(self.replaced)))[0]  # the replaced person type (PERS), not a role's
        # judges and lawyers never named in a role: (entity, label), and those merged into a person's entity;
        # names that are short forms of a name given with its court role
        settle = consistency and person is not None
        self.demoted, merged = demote_roleless(table, self.replaced, person) if settle else ([], {})
        self.promoted, promoted_merged = promote_short_forms(table, self.replaced, person) if settle else ([], {})
        merged.update(promoted_merged)
        probe = Replacer(strategy)
        self._entity_replaced = [table.label[e] in self.replaced and probe.replaces(table.label[e], table.flags[e])
                                 for e in range(len(table))]
        watch = {label for label in table.label if is_person(label)} if watch is None else set(watch)
        self.lexicon = build_lexicon(table, watch | self.replaced, self.entity_replaced)
        self.replacer = Replacer(strategy, seed, self.lexicon.canonical)
        # a string tagged with a replaced type at least as often as with a kept type is replaced where it is
        # tagged with the kept type too (a party mistaken for a judge or a lawyer must not leak; the review
        # lists the conflict)
        self.override: dict[int, int] = {}
        if consistency:
            replaced_by_text: dict[str, int] = {}
            for e in range(len(table)):
                if self._entity_replaced[e]:
                    replaced_by_text.setdefault(table.text[e].casefold(), e)
            for e in range(len(table)):
                target = None if self._entity_replaced[e] else replaced_by_text.get(table.text[e].casefold())
                if target is not None and table.count[target] >= table.count[e]:  # the majority, ties: replace
                    self.override[e] = target
            self.override.update(merged)
        self._next = 0  # first span that may overlap the current piece

    def entity_replaced(self, entity: int) -> bool:
        if entity < len(self._entity_replaced):
            return self._entity_replaced[entity]
        return False

    def _entry_replaced(self, entry: Entry) -> bool:
        if entry.entity < len(self._entity_replaced):
            return self._entity_replaced[entry.entity]
        return entry.label in self.replaced  # a shared surname: replaced if its full names are

    def rewrite(self, pieces: Iterable[tuple[int, str]]) -> Iterator[Piece]:
        store, table = self.store, self.store.entities
        starts, ends = store.start, store.end
        n = len(store)
        for offset, text in pieces:
            piece = Piece(offset, text)
            stop = offset + len(text)
            while self._next < n and ends[self._next] <= offset:
                self._next += 1
            tagged: list[tuple[int, int]] = []
            marks: list[Mark] = []
            j = self._next
            while j < n and starts[j] < stop:
                s, e, entity = starts[j], ends[j], store.entity[j]
                tagged.append((s, e))
                if s >= offset:
                    label = table.label[entity]
                    source = "model"
                    if entity in self.override:  # tagged as a kept type here, as a replaced type elsewhere
                        entity, source = self.override[entity], "consistency"
                        label = table.label[entity]
                    if self._entity_replaced[entity]:
                        mention = text[s - offset:e - offset] if e <= stop else table.text[entity]
                        before = text[max(0, s - offset - 16):s - offset]
                        repl = self.replacer(entity, label, mention, store.flags[j], before)
                        marks.append(Mark(s, e, label, entity, source, repl, store.score[j]))
                    elif self.all_spans:
                        marks.append(Mark(s, e, label, entity, "model", None, store.score[j]))
                j += 1
            tagged_starts = [s for s, _ in tagged]
            for s, e, entry in self.lexicon.dictionary.find(text):
                s, e = s + offset, e + offset
                replace = self.consistency and self._entry_replaced(entry)
                k = bisect_left(tagged_starts, e)  # spans starting before the match's end...
                if k and tagged[k - 1][1] > s:  # ...the last of which overlaps it
                    inside = [m for m in marks if s <= m.start and m.end <= e and m.replacement is not None]
                    within = all(s <= a and b <= e for a, b in tagged if a < e and s < b)
                    if not (replace and inside and within and is_person(entry.label)
                            and (s, e) != (inside[0].start, inside[-1].end)):
                        continue
                    # a known name found whole around the model's replaced pieces of it ("de La Tour" of "de La
                    # Tour d'Auvergne"; "Ludovic" read as a place and "GIRARDOT" as a company, of "GIRARDOT
                    # Ludovic"): the whole name is replaced, as one
                    marks = [m for m in marks if m not in inside]
                flags = table.flags[entry.entity] if entry.entity < len(table) else 0
                repl = None
                if replace:
                    before = text[max(0, s - offset - 16):s - offset]
                    repl = self.replacer(entry.entity, entry.label, text[s - offset:e - offset], flags, before)
                mark = Mark(s, e, entry.label, entry.entity, "consistency", repl)
                piece.found.append(mark)
                if replace or self.all_spans:
                    marks.append(mark)
            marks.sort(key=lambda m: m.start)
            piece.marks = marks
            yield piece


def segments(pieces: Iterable[Piece]) -> Iterator[tuple[Piece, str, Mark | None]]:
    """The document as consecutive slices `(piece, text, mark)`: unmarked text has mark None; a mark that
    crosses pieces comes as several slices with the same mark."""
    carry: Mark | None = None
    for piece in pieces:
        text, offset, end = piece.text, piece.offset, piece.end
        pos = offset
        if carry is not None:
            stop = min(carry.end, end)
            yield piece, text[:stop - offset], carry
            pos = stop
            if carry.end <= end:
                carry = None
        for mark in piece.marks:
            if mark.start < pos:  # overlaps what was written (never for spans of one tagger)
                continue
            if mark.start > pos:
                yield piece, text[pos - offset:mark.start - offset], None
            stop = min(mark.end, end)
            yield piece, text[mark.start - offset:stop - offset], mark
            pos = stop
            if mark.end > end:
                carry = mark
        if pos < end:
            yield piece, text[pos - offset:], None


class AnonymizedWriter:
    """Writes the pseudonymized text slice by slice: unmarked and kept slices verbatim, each replaced mark's
    replacement once (a mark crossing pieces comes as several slices)."""

    def __init__(self, write: Callable[[str], object]) -> None:
        self.write = write
        self.last: Mark | None = None

    def add(self, text: str, mark: Mark | None) -> None:
        if mark is None or mark.replacement is None:
            self.write(text)
        elif mark is not self.last:
            self.write(mark.replacement)
        self.last = mark


def write_anonymized(slices: Iterable[tuple[Piece, str, Mark | None]], write: Callable[[str], object]) -> None:
    writer = AnonymizedWriter(write)
    for _, text, mark in slices:
        writer.add(text, mark)


# --- in memory ---------------------------------------------------------------------------------------------

@dataclass
class Anonymized:
    text: str
    marks: list[Mark]  # every replaced slice (model spans and consistency), in document order
    found: list[Mark]  # strings found again outside tagged spans (replaced or not)


def store_from_spans(text: str, spans: Iterable[tuple[int, int, str, float]],
                     types: Collection[str] = DEFAULT_TYPES) -> SpanStore:
    """A SpanStore from `(start, end, label, score)` spans of `text` (sorted, overlapping ones dropped), the
    replaced `types` given."""
    kept: list[tuple[int, int, str, float]] = []
    for start, end, label, score in sorted(spans):
        if 0 <= start < end <= len(text) and (not kept or start >= kept[-1][1]):
            kept.append((start, end, label, score))
    store = SpanStore()
    store_spans(store, text, kept, types=types)
    return store


def anonymize_spans(text: str, spans: Iterable[tuple[int, int, str, float]], *, types: Collection[str] = DEFAULT_TYPES,
                    strategy: str = "placeholder", consistency: bool = True, seed: str = "",
                    piece_chars: int | None = None) -> Anonymized:
    """Pseudonymize `text` given its spans (no tagger involved): the same code path as `fastner anonymize`."""
    from fastner.apps.documents import iter_pieces

    store = store_from_spans(text, spans, types)
    rewriter = Rewriter(store, replaced=types, strategy=strategy, consistency=consistency, seed=seed)
    out: list[str] = []
    marks: list[Mark] = []
    found: list[Mark] = []

    def pieces() -> Iterator[Piece]:
        for piece in rewriter.rewrite(iter_pieces([text], piece_chars)):
            marks.extend(piece.marks)
            found.extend(piece.found)
            yield piece

    write_anonymized(segments(pieces()), out.append)
    return Anonymized("".join(out), marks, found)
