"""Real first names and surnames, from the lists the Faker package ships (an optional dependency of training:
`pip install "fastner[names]"`; inference never needs it).

The generator's own lists were written for it; Faker's are frequency lists of real names per country (the 400
most common French surnames, first names given in France...). French names are drawn half the time, the other
half from nine other countries' lists (the origins of names met in French decisions). Each list is sorted and
partitioned between splits like the generator's own (`lists.split_pool`: the `test` split draws every fifth entry),
so the unseen-template test split still measures names the model never saw.
"""

from __future__ import annotations

import importlib
import random
import re
from functools import cache

from fastner.synth.lists import split_pool

FRENCH = "fr_FR"
OTHERS = ("it_IT", "es_ES", "pt_PT", "de_DE", "nl_NL", "pl_PL", "ro_RO", "tr_TR", "vi_VN")
_NAME = re.compile(r"[^\W\d_]+(?:[-' ][^\W\d_]+)*")  # letters, with inner hyphens, apostrophes or spaces
_LATIN_END = 0x250  # names in other scripts (Faker has some) are not how French decisions write them
_FAKER_ATTRIBUTES = {"male_first_names": "first_names_male", "female_first_names": "first_names_female",
                     "surnames": "last_names"}


class MissingKnowledge(RuntimeError):
    """The optional package a training input needs is not installed."""


@cache
def _locale_lists(locale: str) -> dict[str, tuple[str, ...]]:
    try:
        provider = importlib.import_module(f"faker.providers.person.{locale}").Provider
    except ModuleNotFoundError as err:
        raise MissingKnowledge("real names need the Faker package: pip install \"fastner[names]\"") from err
    lists = {}
    for key, attribute in _FAKER_ATTRIBUTES.items():
        names = getattr(provider, attribute, None) or ()
        lists[key] = tuple(sorted({n for n in names if len(n) >= 2 and _NAME.fullmatch(n)
                                    and all(ord(c) < _LATIN_END for c in n)}))
    return lists


def pools(split: str) -> dict[str, dict[str, tuple[str, ...]]]:
    """locale -> key (male_first_names, female_first_names, surnames) -> the names of `split`; locales with
    fewer than 10 names in a list are left out of that list."""
    out: dict[str, dict[str, tuple[str, ...]]] = {}
    for locale in (FRENCH, *OTHERS):
        lists = {key: split_pool(names, split) for key, names in _locale_lists(locale).items()}
        out[locale] = {key: names for key, names in lists.items() if len(names) >= 10}
    return out


def draw(rng: random.Random, lists: dict[str, dict[str, tuple[str, ...]]], key: str) -> str:
    """A name of kind `key`: French half the time, else from another country that has such a list."""
    if key in lists[FRENCH] and rng.random() < 0.5:
        return rng.choice(lists[FRENCH][key])
    locale = rng.choice([loc for loc in OTHERS if key in lists[loc]])
    return rng.choice(lists[locale][key])
