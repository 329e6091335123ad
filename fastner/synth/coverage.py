"""What real decisions contain and the base generator lacks, as opt-in additions (`Coverage`).

The base documents of `fastner.synth.decisions` name few people (two parties, their lawyers, the
judges), always with a title and a full name, at one address each, with French names. Real decisions
also name witnesses, children, relatives, doctors, experts, notaries and social workers, refer back to
people by a first name or a surname alone, place people in a bare town ("s'est installée à Morlaix"),
write addresses in many forms (lieu-dit, résidence/bâtiment/appartement, BP/CEDEX, "chez M. X"), name
people of many origins with compound and particle surnames, name institutions after a département
("Caisse primaire d'assurance maladie du Finistère": an organization, not an address), and sometimes a
judge or a lawyer shares a party's surname.

Each addition has its own rate in `Coverage` (all 0 by default: the base documents stay byte-identical,
as the pinned digests require) and draws from its own random generator (`crng`), never from the base
one, so turning an addition on adds to a document without changing what the base generator says.
Lists and templates come from `data/coverage_names.json` and `data/coverage_templates.json`, partitioned
between splits like the base lists (the `test` split draws only every fifth entry).
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import date, timedelta
from importlib import resources
from typing import Any

from fastner.synth import real_names
from fastner.synth.lists import JOBS, MONTHS, SLOT, STREET_NAMES, STREET_TYPES, split_pool
from fastner.synth.variants import TITLE, Part, check_rates

Person = tuple[str, str, bool]  # (first name, surname, female)


@dataclass(frozen=True)
class Coverage:
    """Rates (0..1) of the additions; `Coverage.full()` turns every one on at the recipe's rates.

    Attributes:
        names: a person's first name or surname is drawn from names of many origins, compound and
            particle surnames, and surnames that are common nouns, first names or places.
        addresses: an address takes one of the extra forms (lieu-dit, résidence, BP/CEDEX, chez...).
        institutions: a document's company is an institution named after a place.
        shared_names: a judge or a lawyer carries a party's surname.
        others: the document names other people (witnesses, children, doctors...) and places, and
            refers back to people by first name or surname alone.
        real_names: a person's first name and surname are real ones, from the lists Faker ships
            (`fastner.synth.real_names`: an optional dependency of training).
        appositions: people who are not judges written "Title Full-name, <job or role>" too, as
            judges are in the composition of the court ("Mme X, éducatrice"; needs `others`).
        court_mentions: the reasons name the parties' lawyers and the judges in the prose too ("Me Y a plaidé
            pour M. X"), not only in the header and the composition (needs `others`).
        more_forms: a template of the additions is drawn from a wider pool: its kind's templates and the
            kind's `_more` list (more forms of addresses, places, first and later mentions of other people).
        conventions: a document is labelled as the hand-written set is annotated: the host of "chez M. X,
            <address>" a person, not part of the address, and a party's birthplace a place (the data of the
            bundled model left both as they were).
    """

    names: float = 0.0
    addresses: float = 0.0
    institutions: float = 0.0
    shared_names: float = 0.0
    others: float = 0.0
    real_names: float = 0.0
    appositions: float = 0.0
    court_mentions: float = 0.0
    more_forms: float = 0.0
    conventions: float = 0.0

    def __post_init__(self) -> None:
        check_rates(self)

    @classmethod
    def full(cls) -> Coverage:
        return cls(names=0.5, addresses=0.5, institutions=0.3, shared_names=0.3, others=1.0, court_mentions=1.0,
                   more_forms=1.0, conventions=1.0)

    @property
    def active(self) -> bool:
        return any(getattr(self, f.name) for f in fields(self))


def _load(name: str) -> dict[str, Any]:
    return json.loads(resources.files("fastner.synth").joinpath("data", f"{name}.json").read_text("utf-8"))


NAMES = _load("coverage_names")
TEMPLATES = _load("coverage_templates")
_FEMININE_INSTITUTIONS = ("Caisse", "Union", "Direction", "Mutualité", "Chambre", "Commune", "Ville",
                          "Association", "Banque", "URSSAF")


class CoverageWriter:
    """Draws the additions of one document from `crng`; the document writer calls it at fixed points."""

    def __init__(self, coverage: Coverage, crng: random.Random, split: str) -> None:
        self.coverage = coverage
        self.rng = crng
        self.split = split
        self.lists = {key: split_pool(value, split) for key, value in NAMES.items()}
        self.templates = {kind: split_pool(items, split) for kind, items in TEMPLATES.items()}
        self.streets = split_pool(STREET_NAMES, split)
        self.real = real_names.pools(split) if coverage.real_names else None
        # drawn first when asked for (a rate of 0 draws nothing: the other additions unchanged)
        self.conventions = bool(coverage.conventions) and self.roll("conventions")

    def template(self, kind: str) -> str:
        """A template of `kind`, from the wider pool (with the kind's `_more` list) at the `more_forms` rate."""
        pool = self.templates[kind]
        if self.coverage.more_forms and self.roll("more_forms"):
            pool = pool + self.templates[f"{kind}_more"]
        return self.rng.choice(pool)

    def roll(self, name: str) -> bool:
        return self.rng.random() < getattr(self.coverage, name)

    # -- what the base writer draws, changed -------------------------------------------------------

    def person(self, first: str, surname: str, female: bool) -> Person:
        rng = self.rng
        if self.roll("names"):
            if rng.random() < 0.7:
                surname = rng.choice(self.lists["surnames"])
            if rng.random() < 0.5:
                first = rng.choice(self.lists["female_first_names" if female else "male_first_names"])
        return self._real(first, surname, female)

    def _real(self, first: str, surname: str, female: bool) -> Person:
        """The person renamed with real names at the `real_names` rate."""
        if self.real is None or not self.roll("real_names"):
            return first, surname, female
        key = "female_first_names" if female else "male_first_names"
        return real_names.draw(self.rng, self.real, key), real_names.draw(self.rng, self.real, "surnames"), female

    def town(self) -> str:
        return self.rng.choice(self.lists["towns"])

    def address(self, postcode: str, city: str) -> list[Part]:
        """An address in one of the extra forms, as parts; with `conventions`, the host of "chez M. X, ..." is a
        person, not a piece of the address, and "chez M. " is neither."""
        rng = self.rng
        host = f"{rng.choice(self.lists['male_first_names'])} {rng.choice(self.lists['surnames'])}"
        values = {
            "NUM": str(rng.randint(1, 140)), "STREET": f"{rng.choice(STREET_TYPES)} {rng.choice(self.streets)}",
            "CP": postcode, "CITY": city.upper() if rng.random() < 0.3 else city,
            "LIEUDIT": rng.choice(self.lists["lieudits"]), "RESKIND": rng.choice(self.lists["residence_kinds"]),
            "RESNAME": rng.choice(self.lists["residence_names"]), "LETTER": rng.choice("ABCDEFGH"),
            "APT": str(rng.randint(1, 120)), "BP": str(rng.randint(10, 99_999)), "CEDEX": str(rng.randint(1, 9)),
            "HOST": host,
        }
        template = self.template("address")
        before, host_slot, after = template.partition("{HOST}")
        if not (host_slot and self.conventions):
            return [(SLOT.sub(lambda m: values[m.group(1)], template), "ADDRESS")]
        rest = SLOT.sub(lambda m: values[m.group(1)], after)
        separator = rest[:len(rest) - len(rest.lstrip(", "))]
        return [(before, None), (host, "PERS"), (separator, None), (rest[len(separator):], "ADDRESS")]

    def institution(self) -> str:
        rng = self.rng
        text = rng.choice(self.lists["institutions"])
        town = self.town()
        de_town = ("d'" if town[:1].lower() in "aeiouéèêâîôûh" else "de ") + town
        return (text.replace("{DEP}", rng.choice(self.lists["departements"]))
                .replace("{REGION}", rng.choice(self.lists["regions"])).replace("{CITYDE}", de_town))

    # -- the other people and places ---------------------------------------------------------------

    def sections(self, parties: list[Person], companies: list[str], render_title: Callable[[bool], str],
                 upper_surnames: bool, lawyers: list[Person], judges: list[Person],
                 ) -> tuple[list[list[Part]], list[list[Part]]]:
        """(sentences for the facts, sentences for the reasons) naming other people and places; each
        sentence is a list of parts. `parties`: the parties that are persons; `lawyers`, `judges`: the
        document's, for `court_mentions`."""
        if not parties or not self.roll("others"):
            return [], []
        rng = self.rng
        others = [self._other() for _ in range(rng.randint(2, 4))]
        ctx = _Context(self, parties, companies, others, render_title, upper_surnames, lawyers, judges)
        facts = [ctx.render(self.template("other_intro"), i % len(others)) for i in range(rng.randint(2, 4))]
        facts += [ctx.render(self.template("place"), 0) for _ in range(rng.randint(1, 2))]
        reasons = [ctx.render(self.template("other_mention"), i % len(others)) for i in range(rng.randint(2, 4))]
        if self.coverage.appositions and self.roll("appositions"):  # drawn last: the other additions unchanged
            facts += [ctx.render(self.template("apposition"), i % len(others)) for i in range(rng.randint(1, 3))]
        if self.coverage.court_mentions and self.roll("court_mentions"):  # drawn last, as appositions
            reasons += [ctx.render(rng.choice(self.templates["court_mention"]), 0) for _ in range(rng.randint(1, 3))]
        return facts, reasons

    def _other(self) -> Person:
        rng = self.rng
        female = rng.random() < 0.5
        firsts = self.lists["female_first_names" if female else "male_first_names"]
        return self._real(rng.choice(firsts), rng.choice(self.lists["surnames"]), female)

    def date_text(self, start_year: int, years: int) -> str:
        day = date(start_year, 1, 1) + timedelta(days=self.rng.randrange(years * 365))
        if self.rng.random() < 0.1:
            return day.strftime("%d/%m/%Y")
        return f"{'1er' if day.day == 1 else day.day} {MONTHS[day.month - 1]} {day.year}"


class _Context:
    """Fills the slots of one coverage template."""

    def __init__(self, writer: CoverageWriter, parties: list[Person], companies: list[str],
                 others: list[Person], title: Callable[[bool], str], upper_surnames: bool,
                 lawyers: list[Person], judges: list[Person]) -> None:
        self.w = writer
        self.parties = parties
        self.companies = companies
        self.others = others
        self.title = title
        self.upper = upper_surnames
        self.lawyers = lawyers
        self.judges = judges

    def _surname(self, surname: str) -> str:
        return surname.upper() if self.upper or self.w.rng.random() < 0.2 else surname

    def _full(self, person: Person) -> str:
        first, surname, _ = person
        if self.w.rng.random() < 0.2:
            return f"{surname.upper()} {first}"
        return f"{first} {self._surname(surname)}"

    def _titled(self, person: Person, text: str) -> list[Part]:
        return [(self.title(person[2]), TITLE), (" ", None), (text, "PERS")]

    def render(self, template: str, focus: int) -> list[Part]:
        rng = self.w.rng
        party = rng.choice(self.parties)
        other = self.others[focus]
        other2 = self.others[(focus + 1) % len(self.others)]
        # one lawyer and one judge a sentence, drawn only where the template names them
        lawyer = rng.choice(self.lawyers) if "{LW}" in template else other
        judge = rng.choice(self.judges) if "{JG}" in template or "{JS}" in template else other
        parts: list[Part] = []
        for i, piece in enumerate(SLOT.split(template)):
            if not i % 2:
                if piece:
                    parts.append((piece, None))
                continue
            parts.extend(self._slot(piece, party, other, other2, lawyer, judge))
        return parts

    def _slot(self, name: str, party: Person, other: Person, other2: Person, lawyer: Person,
              judge: Person) -> list[Part]:
        rng, w = self.w.rng, self.w
        match name:
            case "LW":  # "Maître {LW}": the full name, at times the surname alone
                return [(self._full(lawyer) if rng.random() < 0.85 else self._surname(lawyer[1]), "LAWYER")]
            case "JG":
                return [(self.title(judge[2]), TITLE), (" ", None), (self._full(judge), "JUDGE_CLERK")]
            case "JS":
                return [(self.title(judge[2]), TITLE), (" ", None), (self._surname(judge[1]), "JUDGE_CLERK")]
            case "eW":
                return [("e" if lawyer[2] else "", None)]
            case "eJ":
                return [("e" if judge[2] else "", None)]
            case "OT":
                return self._titled(other, self._full(other))
            case "OT2":
                return self._titled(other2, self._full(other2))
            case "OTS":
                return self._titled(other, self._surname(other[1]))
            case "OF":
                return [(self._full(other), "PERS")]
            case "OF2":
                return [(self._full(other2), "PERS")]
            case "OS":
                return [(self._surname(other[1]), "PERS")]
            case "OU":
                return [(other[1].upper(), "PERS")]
            case "OR":
                return [(f"{other[1].upper()} {other[0]}", "PERS")]
            case "OG":
                return [(other[0], "PERS")]
            case "OG2":
                return [(other2[0], "PERS")]
            case "P":
                if self.companies and rng.random() < 0.3:
                    return [("la ", None), (rng.choice(self.companies), "ORGANIZATION")]
                return self._titled(party, self._surname(party[1]))
            case "PT":
                return self._titled(party, self._full(party) if rng.random() < 0.5 else self._surname(party[1]))
            case "PTS":
                return self._titled(party, self._surname(party[1]))
            case "PS":
                return [(self._surname(party[1]), "PERS")]
            case "PU":
                return [(party[1].upper(), "PERS")]
            case "PG":
                return [(party[0], "PERS")]
            case "PGS":
                return [(f"{party[0]} {party[1]}", "PERS")]
            case "PF":  # first name and surname (upper case at times): one person, one span
                return [(f"{party[0]} {self._surname(party[1])}", "PERS")]
            case "ORGP":
                return [(rng.choice(self.companies) if self.companies else w.institution(), "ORGANIZATION")]
            case "ORGI":
                name = w.institution()
                article = "l'" if name[:1] in "AEIOUÉU" else (
                    "la " if name.startswith(_FEMININE_INSTITUTIONS) else "le ")
                return [(article, None), (name, "ORGANIZATION")]
            case "ADDR":
                return w.address(f"{rng.randint(1, 95):02d}{rng.randint(0, 999):03d}", w.town())
            case "TOWN" | "BIRTHPLACE":
                return [(w.town(), "ADDRESS")]
            case "FOREIGN":  # with its country: "Tunis (Tunisie)" is one place
                place = rng.choice(w.lists["foreign_places"])
                return [(f"{place} ({rng.choice(w.lists['countries'])})", "ADDRESS")]
            case "LIEUDIT":
                return [(rng.choice(w.lists["lieudits"]), "ADDRESS")]
            case "DATE":
                return [(w.date_text(2010, 12), "DATE")]
            case "BDATE":
                return [(w.date_text(1940, 70), "DATE")]
            case "ROLE":
                return [(rng.choice(w.lists["roles"])[other[2]], None)]
            case "e":
                return [("e" if other[2] else "", None)]
            case "pe":
                return [("e" if party[2] else "", None)]
            case "YEAR":
                return [(str(rng.randint(1995, 2022)), None)]
            case "MONTH":
                return [(rng.choice(MONTHS), None)]
            case "JOB":
                return [(rng.choice(JOBS), None)]
            case "AMOUNT":
                return [(f"{rng.randint(200, 90_000):,}".replace(",", " "), None)]
        raise KeyError(f"unknown coverage template slot {{{name}}}")
