"""Deterministic synthetic French court-of-appeal decisions, with exact entity offsets.

A document is rendered from sentence templates whose slots are filled with invented parties, lawyers,
judges, companies, addresses, courts and dates. Each sentence is kept as a list of parts
`(text, label)`; variants (dropped titles, lowercased names, merged words, typos...) edit the parts, and
the text and character offsets are computed from the parts last, so offsets stay exact whatever the
variants. Name lists and template lists are partitioned once: the `test` split draws only from a fifth
of every list, never seen by `train` or `dev`.

Everything is driven by `random.Random` instances seeded from strings (hashed with SHA-512 by
`random`, so independent of `PYTHONHASHSEED`): the same arguments give the same documents everywhere.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import astuple, dataclass, replace
from datetime import date, timedelta
from itertools import islice

from fastner.synth.coverage import Coverage, CoverageWriter
from fastner.synth.lists import (
    ACTIVITIES,
    ATTENDU_OPENERS,
    CHAMBERS,
    CITIES,
    COMMON_NOUN_SURNAMES,
    COMPANY_CORES,
    CONNECTORS,
    COURT_SEATS,
    COURTS_OF_APPEAL,
    DEPARTEMENT_BARS,
    FEMALE_FIRST_NAMES,
    FIRST_INSTANCE,
    INSTITUTIONS,
    JOBS,
    LAW_FIRM_FORMS,
    LEGAL_FORMS,
    LIEUDITS,
    MALE_FIRST_NAMES,
    MODERN_OPENERS,
    MONTHS,
    OPERATIVE_OPENINGS,
    PROFESSIONS,
    RESIDENCES,
    SLOT,
    STREET_NAMES,
    STREET_TYPES,
    SUBHEADINGS,
    SURNAMES,
    TEMPLATES,
    split_pool,
)
from fastner.synth.variants import TITLE, Part, Variants, apply_variants

TITLES = {False: {False: "Monsieur", True: "Madame"}, True: {False: "M.", True: "Mme"}}  # [short][female]
CLAUSE_COUNTS = (1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 5, 5, 6)  # clauses in one reasoning sentence


@dataclass(frozen=True)
class _Pools:
    """The name lists and templates one split may draw from."""

    male: tuple[str, ...]
    female: tuple[str, ...]
    surnames: tuple[str, ...]
    common_nouns: tuple[str, ...]
    streets: tuple[str, ...]
    cities: tuple[tuple[str, str], ...]
    courts: tuple[str, ...]
    seats: tuple[str, ...]
    departement_bars: tuple[tuple[str, str], ...]
    cores: tuple[str, ...]
    institutions: tuple[str, ...]
    templates: dict[str, tuple[int, ...]]  # kind -> indices into TEMPLATES[kind]

    @classmethod
    def for_split(cls, split: str) -> _Pools:
        return cls(
            split_pool(MALE_FIRST_NAMES, split), split_pool(FEMALE_FIRST_NAMES, split), split_pool(SURNAMES, split),
            split_pool(COMMON_NOUN_SURNAMES, split), split_pool(STREET_NAMES, split), split_pool(CITIES, split),
            split_pool(COURTS_OF_APPEAL, split), split_pool(COURT_SEATS, split), split_pool(DEPARTEMENT_BARS, split),
            split_pool(COMPANY_CORES, split), split_pool(INSTITUTIONS, split),
            {kind: split_pool(range(len(items)), split) for kind, items in TEMPLATES.items()},
        )


# ---------------------------------------------------------------------------------------------------
# Public data types
# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Entity:
    """A labelled character span `text[start:end]` of a document."""

    start: int
    end: int
    label: str


@dataclass
class Document:
    """A generated decision: its text, entities and sentence spans (character offsets into `text`).

    `templates` names the templates used (`kind:index`), so tests can check the split partition.
    """

    id: str
    text: str
    entities: list[Entity]
    sentences: list[tuple[int, int]]
    templates: tuple[str, ...] = ()


# ---------------------------------------------------------------------------------------------------
# Rendering a document
# ---------------------------------------------------------------------------------------------------

_VOWELS = "aeiouéèêàâîôûh"


@dataclass(frozen=True)
class _Person:
    first: str
    surname: str
    female: bool


@dataclass(frozen=True)
class _Party:
    """One side of the case: a person or a company, with its address and its lawyers."""

    person: _Person | None
    company: str | None
    address: list[Part]
    lawyer: _Person
    lawyer2: _Person
    bar: str
    bar2: str
    firm: str

    @property
    def female(self) -> bool:
        return self.person is None or self.person.female  # "la société" is feminine


def _elide(word: str, following: str) -> str:
    """`que` becomes `qu'` before a vowel."""
    return word[:-1] + "'" if word.endswith("que") and following[:1].lower() in _VOWELS else word


def _with_de(name: str) -> str:
    """"de Lyon", "d'Agen", "du Mans", "des Sables-d'Olonne"."""
    if name.lower().startswith("le "):
        return "du " + name[3:]
    if name.lower().startswith("les "):
        return "des " + name[4:]
    return ("d'" if name[:1].lower() in _VOWELS else "de ") + name


def _article(company: str) -> str:
    """"la " or "l'" before a company name (feminine, as "la société")."""
    return "l'" if company[:1].lower() in _VOWELS else "la "


class _DocumentWriter:
    """Builds one document: draws its cast, renders its sections, applies variants, computes offsets."""

    def __init__(self, doc_id: str, rng: random.Random, vrng: random.Random, variants: Variants,
                 pools: _Pools, cover: CoverageWriter | None = None) -> None:
        self.id = doc_id
        self.cover = cover  # the opt-in additions (`fastner.synth.coverage`), drawn from their own generator
        self.rng = rng  # draws the content, so the variants never change what is said
        self.vrng = vrng  # draws the variants only
        self.variants = variants
        self.pools = pools
        self.paragraphs: list[list[list[Part]]] = []
        self.templates: list[str] = []
        self._decks: dict[str, list[int]] = {}
        self._draw_style()
        self._draw_cast()

    # -- drawing ----------------------------------------------------------------------------------

    def _draw_style(self) -> None:
        rng = self.rng
        self.upper_surnames = rng.random() < 0.8
        self.upper_bars = rng.random() < 0.7
        self.short_titles = rng.random() < 0.4
        self.attendu = rng.random() < 0.6
        self.capital_courts = rng.random() < 0.3
        self.decision = date(2015, 1, 1) + timedelta(days=rng.randrange(6 * 365))
        self.hearing = self.decision - timedelta(days=rng.randint(20, 120))
        self.closure = self.hearing - timedelta(days=rng.randint(7, 60))
        self.appeal = self.closure - timedelta(days=rng.randint(90, 500))
        self.judgment = self.appeal - timedelta(days=rng.randint(10, 60))

    def _person(self, female: bool | None = None) -> _Person:
        rng, pools = self.rng, self.pools
        if female is None:
            female = rng.random() < 0.5
        first = rng.choice(pools.female if female else pools.male)
        surname = rng.choice(pools.surnames)
        if self.vrng.random() < self.variants.common_noun_names:
            surname = self.vrng.choice(pools.common_nouns)
        if self.cover is not None:
            first, surname, female = self.cover.person(first, surname, female)
        return _Person(first, surname, female)

    def _company(self) -> str:
        rng, pools = self.rng, self.pools
        form = rng.choice(LEGAL_FORMS)
        roll = rng.random()
        if roll < 0.15:
            return rng.choice(pools.institutions)
        if roll < 0.45:
            name = f"{rng.choice(pools.surnames).upper()} {rng.choice(ACTIVITIES)}"
        elif roll < 0.55:
            name = f"{rng.choice(pools.surnames).upper()} ET FILS"
        elif roll < 0.8:
            name = rng.choice(pools.cores)
        else:
            name = f"{rng.choice(pools.cores)} {rng.choice(ACTIVITIES)}"
        if self.cover is not None and self.cover.roll("institutions"):
            return self.cover.institution()
        return f"{form} {name}"

    def _bar(self) -> str:
        rng = self.rng
        if rng.random() < 0.15:
            preposition, name = rng.choice(self.pools.departement_bars)
            return f"barreau {preposition}{name.upper() if self.upper_bars else name}"
        seat = rng.choice(self.pools.seats)
        return "barreau " + _with_de(seat.upper() if self.upper_bars else seat)

    def _party(self, company: bool) -> _Party:
        rng = self.rng
        person = None if company else self._person()
        s1, s2 = (s.upper() for s in rng.sample(self.pools.surnames, 2))
        firm = rng.choice((f"{rng.choice(LAW_FIRM_FORMS)} {s1} & ASSOCIÉS", f"SCP {s1}-{s2}",
                           f"{rng.choice(LAW_FIRM_FORMS)} {s1} AVOCATS"))
        return _Party(person, self._company() if company else None, self._address(), self._person(),
                      self._person(), self._bar(), self._bar(), firm)

    def _draw_cast(self) -> None:
        rng = self.rng
        roll = rng.random()  # at least one party is a person
        self.p1 = self._party(company=0.5 <= roll < 0.7)
        self.p2 = self._party(company=roll >= 0.7)
        self.org = self._company()
        self.judges = {"J1": self._person(), "J2": self._person(), "J3": self._person(),
                       "G": self._person(female=rng.random() < 0.7)}
        self.court = rng.choice(self.pools.courts)
        court1 = f"{rng.choice(FIRST_INSTANCE)} {_with_de(rng.choice(self.pools.seats))}"
        self.court1 = court1[0].upper() + court1[1:] if self.capital_courts else court1
        self.chamber = rng.choice(CHAMBERS)
        if self.vrng.random() < self.variants.name_as_company:
            person = self.p1.person or self.p2.person
            assert person is not None
            suffix = self.vrng.choice(("", f" {self.vrng.choice(ACTIVITIES)}", " ET FILS"))
            self.org = f"{self.vrng.choice(LEGAL_FORMS)} {person.surname.upper()}{suffix}"
        if self.cover is not None and self.cover.roll("shared_names"):
            self._share_a_surname(self.cover.rng)

    def _share_a_surname(self, crng: random.Random) -> None:
        """A judge or a lawyer carries the surname of one of the parties (coverage addition)."""
        people = [party.person for party in (self.p1, self.p2) if party.person is not None]
        surname = crng.choice(people).surname
        key = crng.choice(("J1", "J2", "J3", "G", "L1", "L2"))
        if key in self.judges:
            self.judges[key] = replace(self.judges[key], surname=surname)
        else:
            party = self.p1 if key == "L1" else self.p2
            updated = replace(party, lawyer=replace(party.lawyer, surname=surname))
            if key == "L1":
                self.p1 = updated
            else:
                self.p2 = updated

    def _date_text(self, day: date, upper: bool = False) -> str:
        if not upper and self.rng.random() < 0.08:
            return day.strftime("%d/%m/%Y")
        text = f"{'1er' if day.day == 1 else day.day} {MONTHS[day.month - 1]} {day.year}"
        return text.upper() if upper else text

    def _amount(self) -> str:
        value = self.rng.choice((self.rng.randint(300, 9_999), self.rng.randint(1_000, 250_000)))
        text = f"{value:,}".replace(",", " ")
        return text + (f",{self.rng.randint(1, 99):02d}" if self.rng.random() < 0.4 else "")

    def _address(self) -> list[Part]:
        rng = self.rng
        postcode, city = rng.choice(self.pools.cities)
        values = {
            "NUM": str(rng.choice((rng.randint(1, 30), rng.randint(1, 250)))),
            "STREET": f"{rng.choice(STREET_TYPES)} {rng.choice(self.pools.streets)}",
            "CP": postcode,
            "CITY": city.upper() if rng.random() < 0.4 else city,
            "RESIDENCE": rng.choice(RESIDENCES),
            "LIEUDIT": rng.choice(LIEUDITS),
            "LETTER": rng.choice("ABCDEFG"),
            "APT": str(rng.randint(1, 60)),
        }
        address = SLOT.sub(lambda m: values[m.group(1)], self._pick("address"))
        if self.cover is not None and self.cover.roll("addresses"):
            return self.cover.address(postcode, values["CITY"])
        return [(address, "ADDRESS")]

    # -- mentions ---------------------------------------------------------------------------------

    def _surname(self, person: _Person) -> str:
        return person.surname.upper() if self.upper_surnames else person.surname

    def _full_name(self, person: _Person) -> str:
        return f"{person.first} {self._surname(person)}"

    def _titled(self, person: _Person, label: str, full: bool = True) -> list[Part]:
        title = TITLES[self.short_titles][person.female]
        name = self._full_name(person) if full else self._surname(person)
        return [(title, TITLE), (" ", None), (name, label)]

    def _party_mention(self, party: _Party, intro: bool = False) -> list[Part]:
        if party.company is not None:
            return [(_article(party.company), None), (party.company, "ORGANIZATION")]
        assert party.person is not None
        return self._titled(party.person, "PERS", full=intro or self.rng.random() < 0.35)

    def _lawyer(self, person: _Person) -> list[Part]:
        name = self._full_name(person) if self.rng.random() < 0.85 else self._surname(person)
        return [(name, "LAWYER")]

    def _date_slot(self, name: str) -> date:
        fixed = {"DDATE": self.decision, "HDATE": self.hearing, "JDATE": self.judgment, "ADATE": self.appeal,
                 "CDATE": self.closure}
        if name in fixed:
            return fixed[name]
        if name == "BDATE":
            return date(1940, 1, 1) + timedelta(days=self.rng.randrange(58 * 365))
        return self.judgment - timedelta(days=self.rng.randint(30, 3_000))

    def _slot(self, name: str, party: _Party | None) -> list[Part]:
        """The parts filling `{name}`; `party` is the party in focus in intro and lawyer lines."""
        rng, sides = self.rng, {"1": self.p1, "2": self.p2}
        if party is None and name in {"N", "e", "iere", "eL", "L", "L2", "BAR", "BAR2", "FIRM", "FIRMNAME",
                                      "PROF"}:
            raise KeyError(f"template slot {{{name}}} needs a party in focus")
        match name:
            case "P1" | "P2":
                return self._party_mention(sides[name[1]])
            case "N":
                return self._party_mention(party, intro=True)
            case "ORG":
                return [(_article(self.org), None), (self.org, "ORGANIZATION")]
            case "FIRM":
                return [("la ", None), (party.firm, "ORGANIZATION")]
            case "FIRMNAME":
                return [(party.firm, "ORGANIZATION")]
            case "ADDR":
                return list(party.address if party is not None else self._address())
            case "L" | "L2":
                return self._lawyer(party.lawyer if name == "L" else party.lawyer2)
            case "LA1" | "LA2":
                return self._lawyer(sides[name[2]].lawyer)
            case "BAR" | "BAR2":
                return [(party.bar if name == "BAR" else party.bar2, "BAR")]
            case "J1" | "J2" | "J3" | "G":
                return self._titled(self.judges[name], "JUDGE_CLERK")
            case "COURT1":
                return [(self.court1, "COURT")]
            case "DATE" | "BDATE" | "DDATE" | "HDATE" | "JDATE" | "ADATE" | "CDATE":
                return [(self._date_text(self._date_slot(name)), "DATE")]
            case "e":
                text = "e" if party.female else ""
            case "iere":
                text = "ière" if party.female else "ier"
            case "e1" | "e2":
                text = "e" if sides[name[1]].female else ""
            case "il1" | "il2":
                text = "elle" if sides[name[2]].female else "il"
            case "eL":
                text = "e" if party.lawyer.female else ""
            case "eJ1" | "eJ2" | "eG":
                text = "e" if self.judges[name[1:]].female else ""
            case "fJ1":
                text = "présidente" if self.judges["J1"].female else "président"
            case "fJ2" | "fJ3":
                text = "conseillère" if self.judges[name[1:]].female else "conseiller"
            case "fG":
                text = "greffière" if self.judges["G"].female else "greffier"
            case "PROF":
                text = rng.choice(PROFESSIONS)[party.female]
            case "BIRTHPLACE":  # a place that locates a person, with the additions' `conventions`
                conventions = self.cover is not None and self.cover.conventions
                return [(rng.choice(self.pools.seats), "ADDRESS" if conventions else None)]
            case "RCS":
                text = rng.choice(self.pools.seats)
            case "CORE":
                text = rng.choice(self.pools.cores)
            case "SIREN":
                text = f"{rng.randint(300, 899)} {rng.randint(100, 999)} {rng.randint(100, 999)}"
            case "NUMBER":
                text = f"{rng.randint(2010, 2020)}/{rng.randint(1, 30_000):06d}"
            case "TOQUE":
                text = str(rng.randint(10, 3_500))
            case "AMOUNT":
                text = self._amount()
            case "RATE":
                text = f"{rng.randint(1, 19)},{rng.randint(0, 99):02d}"
            case "MONTHS":
                text = str(rng.choice((12, 24, 36, 48, 60, 72, 84, 120)))
            case "KM":
                text = f"{rng.randint(15, 220)} {rng.randint(0, 999):03d}"
            case "JOB":
                text = rng.choice(JOBS)
            case "YEAR":
                text = str(rng.randint(2000, 2008))
            case "YEAR2":
                text = str(rng.randint(2009, 2016))
            case "MONTH":
                text = rng.choice(MONTHS)
            case _:
                raise KeyError(f"unknown template slot {{{name}}}")
        return [(text, None)]

    def _render(self, template: str, party: _Party | None = None) -> list[Part]:
        parts: list[Part] = []
        for i, piece in enumerate(SLOT.split(template)):
            if i % 2:
                parts.extend(self._slot(piece, party))
            elif piece:
                parts.append((piece, None))
        return parts

    # -- sections ---------------------------------------------------------------------------------

    def _use(self, kind: str, index: int) -> str:
        self.templates.append(f"{kind}:{index}")
        return TEMPLATES[kind][index]

    def _pick(self, kind: str) -> str:
        """A template of `kind`, drawn without replacement until the split's pool is used up."""
        deck = self._decks.setdefault(kind, [])
        if not deck:
            deck.extend(self.pools.templates[kind])
            self.rng.shuffle(deck)
        return self._use(kind, deck.pop())

    def _sentence(self, parts: list[Part], new_paragraph: bool = False) -> None:
        if new_paragraph or not self.paragraphs:
            self.paragraphs.append([])
        self.paragraphs[-1].append(parts)

    def _lines(self, kind: str, party: _Party | None = None) -> None:
        """Render a template of `kind`; each of its lines becomes a one-sentence paragraph."""
        for line in self._pick(kind).split("\n"):
            self._sentence(self._render(line, party), new_paragraph=True)

    def _line(self, text: str) -> None:
        self._sentence([(text, None)], new_paragraph=True)

    def _paragraph(self, kinds: Sequence[str]) -> None:
        for i, kind in enumerate(kinds):
            self._sentence(self._render(self._pick(kind)), new_paragraph=i == 0)

    def _header(self) -> None:
        rng = self.rng
        if rng.random() < 0.3:
            self._line("RÉPUBLIQUE FRANÇAISE")
            self._line("AU NOM DU PEUPLE FRANÇAIS")
        self._sentence([(f"COUR D'APPEL {_with_de(self.court).upper()}", "COURT")], new_paragraph=True)
        self._line(self.chamber)
        self._sentence([("ARRÊT DU ", None), (self._date_text(self.decision, upper=True), "DATE")],
                       new_paragraph=True)
        rg = f"N° RG {self.appeal.year % 100:02d}/{rng.randint(1, 9_999):05d}"
        if rng.random() < 0.5:
            letters = "".join(rng.choice("BCDFGHJKLMNPQRSTVWXZ") for _ in range(4))
            rg += f" - N° Portalis DBV{rng.choice('XYZ')}-V-B7{rng.choice('BCD')}-{letters}"
        self._line(rg)
        self._sentence([("Décision du ", None), (self.court1, "COURT"), (" du ", None),
                        (self._date_text(self.judgment), "DATE"),
                        (f" (RG n° {self.judgment.year % 100:02d}/{rng.randint(1, 9_999):05d})", None)],
                       new_paragraph=True)
        for heading, party in (("APPELANT", self.p1), ("INTIMÉ", self.p2)):
            self._line(f"{heading}{'E' if party.female else ''} :")
            self._lines("party_company" if party.company else "party_person", party)
            self._lines("lawyer", party)
        self._lines("composition")
        self._lines("delivery")

    def _facts(self) -> None:
        rng = self.rng
        self._line(rng.choice(("EXPOSÉ DU LITIGE", "FAITS ET PROCÉDURE", "RAPPEL DES FAITS")))
        self._paragraph(["facts_org"] + ["facts"] * rng.randint(1, 3))
        if rng.random() < 0.5:
            self._paragraph(["facts"] * rng.randint(1, 2))
        self._paragraph(["judgment", "appeal"])
        self._paragraph(["conclusions"] * rng.randint(1, 3))
        if self.cover is not None:
            people = [astuple(p.person) for p in (self.p1, self.p2) if p.person is not None]
            companies = [p.company for p in (self.p1, self.p2) if p.company is not None] + [self.org]
            facts, self._cover_reasons = self.cover.sections(
                people, companies, lambda female: TITLES[self.short_titles][female], self.upper_surnames,
                [astuple(p.lawyer) for p in (self.p1, self.p2)], [astuple(p) for p in self.judges.values()])
            for i, parts in enumerate(facts):
                self._sentence(parts, new_paragraph=i == 0)
        self._paragraph(["closure"])

    def _reason(self) -> list[Part]:
        """One long reasoning sentence: an opener, then clauses chained with connectors."""
        rng = self.rng
        joiner = rng.choice(ATTENDU_OPENERS if self.attendu else MODERN_OPENERS)
        parts: list[Part] = []
        for _ in range(rng.choice(CLAUSE_COUNTS)):
            clause = self._render(self._pick("clause"))
            word = _elide(joiner, clause[0][0])
            parts.append((word if word.endswith("'") else word + " ", None))
            parts.extend(clause)
            joiner = rng.choice(CONNECTORS)
        parts.append((" ;" if self.attendu else ".", None))
        return parts

    def _reasons(self) -> None:
        rng = self.rng
        self._line(rng.choice(("MOTIFS DE LA DÉCISION", "SUR CE", "MOTIFS", "DISCUSSION")))
        for _ in range(rng.randint(3, 5)):
            if rng.random() < 0.5:
                self._line(rng.choice(SUBHEADINGS))
            for _ in range(rng.randint(4, 7)):
                self._sentence(self._reason(), new_paragraph=True)
                if not self.attendu and rng.random() < 0.3:
                    self._sentence(self._render(self._pick("conclusion")))
        for i, parts in enumerate(getattr(self, "_cover_reasons", ())):
            self._sentence(parts, new_paragraph=i == 0)

    def _operative_part(self) -> None:
        rng = self.rng
        self._line("PAR CES MOTIFS")
        self._line(rng.choice(OPERATIVE_OPENINGS))
        available = self.pools.templates["dispositif"]
        for index in sorted(rng.sample(available, min(4, len(available)))):
            self._sentence(self._render(self._use("dispositif", index)), new_paragraph=True)
        self._line("LE GREFFIER LE PRÉSIDENT")
        if rng.random() < 0.5:
            self._sentence([(self._full_name(self.judges["G"]), "JUDGE_CLERK"), (" ", None),
                            (self._full_name(self.judges["J1"]), "JUDGE_CLERK")], new_paragraph=True)

    # -- assembly ---------------------------------------------------------------------------------

    def build(self) -> Document:
        self._header()
        self._facts()
        self._reasons()
        self._operative_part()
        chunks: list[str] = []
        entities: list[Entity] = []
        sentences: list[tuple[int, int]] = []
        offset = 0
        for p, paragraph in enumerate(self.paragraphs):
            for s, parts in enumerate(paragraph):
                if p or s:
                    chunks.append(" " if s else "\n")
                    offset += 1
                start = offset
                for text, label in apply_variants(parts, self.variants, self.vrng):
                    if label is not None:
                        entities.append(Entity(offset, offset + len(text), label))
                    chunks.append(text)
                    offset += len(text)
                sentences.append((start, offset))
        return Document(self.id, "".join(chunks), entities, sentences, tuple(self.templates))


# ---------------------------------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------------------------------


def iter_documents(seed: int, *, split: str = "train", variants: Variants | None = None,
                   coverage: Coverage | None = None) -> Iterator[Document]:
    """An endless stream of documents; document i depends only on (seed, split, variants, coverage, i).
    `coverage` (`fastner.synth.coverage`) adds what the base documents lack; None or all-zero rates give
    the base documents byte for byte."""
    return _documents(seed, split, variants or Variants(), _Pools.for_split(split), coverage)  # split checked


def _documents(seed: int, split: str, variants: Variants, pools: _Pools,
               coverage: Coverage | None) -> Iterator[Document]:
    index = 0
    while True:
        rng = random.Random(f"fastner-doc:{split}:{seed}:{index}")
        vrng = random.Random(f"fastner-variants:{split}:{seed}:{index}")
        cover = None
        if coverage is not None and coverage.active:
            cover = CoverageWriter(coverage, random.Random(f"fastner-coverage:{split}:{seed}:{index}"), split)
        yield _DocumentWriter(f"{split}-{seed}-{index:06d}", rng, vrng, variants, pools, cover).build()
        index += 1


def generate_documents(n_docs: int, seed: int, *, split: str = "train", variants: Variants | None = None,
                       coverage: Coverage | None = None) -> list[Document]:
    """`n_docs` synthetic court-of-appeal decisions (the first `n_docs` of `iter_documents`)."""
    if n_docs < 0:
        raise ValueError(f"n_docs must be >= 0, got {n_docs}")
    return list(islice(iter_documents(seed, split=split, variants=variants, coverage=coverage), n_docs))


def legal_sentences(n: int, seed: int) -> list[str]:
    """The first `n` sentences of the `train` documents drawn with `seed`, in document order."""
    sentences = (doc.text[start:end] for doc in iter_documents(seed) for start, end in doc.sentences)
    return list(islice(sentences, n))
