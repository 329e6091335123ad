"""The word lists and sentence templates the generators draw from, read once from `data/*.json`.

- `names.json`: the lists partitioned between splits (first names, surnames, streets, cities as
  "POSTCODE City", courts of appeal, court seats, bars named after a département, company names,
  institutions). Their order matters: the `test` split draws every fifth entry, `train` and `dev` the others.
- `vocabulary.json`: words and phrases shared by every split (street types, legal forms, professions,
  chambers, reasoning openers and connectors, month names...).
- `templates.json`: court-decision sentence templates by kind (partitioned between splits by index).
  `{SLOT}` is filled by `decisions._DocumentWriter._slot`; a newline in a template starts a new line.
- `news.json`, `news_templates.json`: the news-like sentences' lists and templates (not partitioned).

Lists with repeated entries (`street_types`, `legal_forms`...) repeat them on purpose: a draw weights them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from importlib import resources
from typing import Any, TypeVar

SLOT = re.compile(r"\{(\w+)\}")  # a template slot: `{NAME}`
SPLITS = ("train", "dev", "test")
T = TypeVar("T")


def split_pool(items: Sequence[T], split: str) -> tuple[T, ...]:
    """The entries of `items` that `split` may use: every fifth entry for `test`, the others otherwise (every
    list the generators draw names and templates from is partitioned so)."""
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    return tuple(item for i, item in enumerate(items) if (i % 5 == 4) == (split == "test"))


def _load(name: str) -> dict[str, Any]:
    return json.loads(resources.files("fastner.synth").joinpath("data", f"{name}.json").read_text("utf-8"))


def _pairs(rows: list[list[str]]) -> tuple[tuple[str, str], ...]:
    return tuple((a, b) for a, b in rows)


_names = _load("names")
MALE_FIRST_NAMES: tuple[str, ...] = tuple(_names["male_first_names"])
FEMALE_FIRST_NAMES: tuple[str, ...] = tuple(_names["female_first_names"])
SURNAMES: tuple[str, ...] = tuple(_names["surnames"])
COMMON_NOUN_SURNAMES: tuple[str, ...] = tuple(_names["common_noun_surnames"])  # "Boulanger": also a noun
STREET_NAMES: tuple[str, ...] = tuple(_names["street_names"])
CITIES: tuple[tuple[str, str], ...] = tuple((entry[:5], entry[6:]) for entry in _names["cities"])  # (postcode, city)
COURTS_OF_APPEAL: tuple[str, ...] = tuple(_names["courts_of_appeal"])
COURT_SEATS: tuple[str, ...] = tuple(_names["court_seats"])  # first-instance courts; bars are named after them
DEPARTEMENT_BARS: tuple[tuple[str, str], ...] = _pairs(_names["departement_bars"])  # (preposition, département)
COMPANY_CORES: tuple[str, ...] = tuple(_names["company_cores"])
INSTITUTIONS: tuple[str, ...] = tuple(_names["institutions"])

_vocabulary = _load("vocabulary")
STREET_TYPES: tuple[str, ...] = tuple(_vocabulary["street_types"])
RESIDENCES: tuple[str, ...] = tuple(_vocabulary["residences"])
LIEUDITS: tuple[str, ...] = tuple(_vocabulary["lieudits"])
LEGAL_FORMS: tuple[str, ...] = tuple(_vocabulary["legal_forms"])
ACTIVITIES: tuple[str, ...] = tuple(_vocabulary["activities"])
LAW_FIRM_FORMS: tuple[str, ...] = tuple(_vocabulary["law_firm_forms"])
PROFESSIONS: tuple[tuple[str, str], ...] = _pairs(_vocabulary["professions"])  # (masculine, feminine)
JOBS: tuple[str, ...] = tuple(_vocabulary["jobs"])
CHAMBERS: tuple[str, ...] = tuple(_vocabulary["chambers"])
FIRST_INSTANCE: tuple[str, ...] = tuple(_vocabulary["first_instance"])
SUBHEADINGS: tuple[str, ...] = tuple(_vocabulary["subheadings"])
ATTENDU_OPENERS: tuple[str, ...] = tuple(_vocabulary["attendu_openers"])
MODERN_OPENERS: tuple[str, ...] = tuple(_vocabulary["modern_openers"])
CONNECTORS: tuple[str, ...] = tuple(_vocabulary["connectors"])
OPERATIVE_OPENINGS: tuple[str, ...] = tuple(_vocabulary["operative_openings"])
MONTHS: tuple[str, ...] = tuple(_vocabulary["months"])

TEMPLATES: dict[str, tuple[str, ...]] = {kind: tuple(items) for kind, items in _load("templates").items()}

_news = _load("news")
COUNTRIES: tuple[str, ...] = tuple(_news["countries"])
CLUBS: tuple[str, ...] = tuple(_news["clubs"])
NEWS_COMPANIES: tuple[str, ...] = tuple(_news["companies"])
NEWS_INSTITUTIONS: tuple[str, ...] = tuple(_news["institutions"])
PARTIES: tuple[str, ...] = tuple(_news["parties"])
EVENTS: tuple[str, ...] = tuple(_news["events"])
WEEKDAYS: tuple[str, ...] = tuple(_news["weekdays"])

NEWS_TEMPLATES: dict[str, tuple[str, ...]] = {kind: tuple(items) for kind, items in _load("news_templates").items()}
