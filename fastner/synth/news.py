"""News-like French sentences in the CoNLL-03 shape (short, about 14 whitespace tokens on average).

Articles are a headline, a dateline, body sentences and, for sport, a results table; templates and names
come from `lists` (the full name lists: news sentences are not split into train/dev/test). Driven by one
`random.Random` seeded from a string, so the same seed gives the same sentences everywhere.
"""

from __future__ import annotations

import random
import re

from fastner.synth.lists import (
    CITIES,
    CLUBS,
    COMMON_NOUN_SURNAMES,
    COUNTRIES,
    EVENTS,
    FEMALE_FIRST_NAMES,
    MALE_FIRST_NAMES,
    MONTHS,
    NEWS_COMPANIES,
    NEWS_INSTITUTIONS,
    NEWS_TEMPLATES,
    PARTIES,
    SLOT,
    SURNAMES,
    WEEKDAYS,
)

_NEW_WORD_VOWEL = re.compile(r"\b([dD]|[qQ]u)e (?=[AEIOUÉÈÎaeiouéèî])")


def _news_sentence(rng: random.Random, template: str) -> str:
    """Fill a news template; names come from the full (unpartitioned) lists."""
    female = rng.random() < 0.4
    first = rng.choice(FEMALE_FIRST_NAMES if female else MALE_FIRST_NAMES)
    surname = rng.choice(SURNAMES + COMMON_NOUN_SURNAMES)
    city = rng.choice(CITIES)[1]
    values = {
        "PER": f"{first} {surname}", "SUR": surname, "e": "e" if female else "", "CITY": city,
        "CITY_UPPER": city.upper(), "CLUB_UPPER": rng.choice(CLUBS).upper(),
        "POINTS": str(rng.randint(0, 60)), "YEAR2": str(rng.randint(2025, 2035)),
        "PER2": f"{rng.choice(MALE_FIRST_NAMES + FEMALE_FIRST_NAMES)} {rng.choice(SURNAMES)}",
        "CITY2": rng.choice(CITIES)[1], "COUNTRY": rng.choice(COUNTRIES), "COUNTRY2": rng.choice(COUNTRIES),
        "CLUB": rng.choice(CLUBS), "CLUB2": rng.choice(CLUBS), "ORG": rng.choice(NEWS_COMPANIES),
        "ORG2": rng.choice(NEWS_COMPANIES), "INST": rng.choice(NEWS_INSTITUTIONS),
        "PARTY": rng.choice(PARTIES), "EVENT": rng.choice(EVENTS), "DAY": rng.choice(WEEKDAYS),
        "MONTH": rng.choice(MONTHS), "DAYNUM": str(rng.randint(1, 28)), "YEAR": str(rng.randint(1995, 2019)),
        "MM": f"{rng.randint(1, 12):02d}", "DD": f"{rng.randint(1, 28):02d}",
        "NUM": str(rng.choice((rng.randint(2, 30), rng.randint(30, 2_000)))),
        "NUM2": str(rng.randint(2, 300)), "PCT": f"{rng.randint(0, 30)},{rng.randint(0, 9)}",
        "SCORE": f"{rng.randint(0, 4)}-{rng.randint(0, 3)}", "RANK": str(rng.randint(1, 20)),
        "GOALS": str(rng.randint(0, 5)), "GOALS2": str(rng.randint(0, 4)), "MIN": str(rng.randint(2, 90)),
        "HOUR": str(rng.randint(0, 23)), "AGE": str(rng.randint(18, 85)),
    }
    text = SLOT.sub(lambda m: values[m.group(1)], template)
    text = _NEW_WORD_VOWEL.sub(lambda m: m.group(1) + "'", text)
    return text[0].upper() + text[1:]


def _news_article(rng: random.Random) -> list[str]:
    """A headline, a dateline, then body sentences (and, for sport, a results table)."""
    sport = rng.random() < 0.15
    article = [_news_sentence(rng, rng.choice(NEWS_TEMPLATES["headline"])),
               _news_sentence(rng, rng.choice(NEWS_TEMPLATES["dateline"]))]
    body = NEWS_TEMPLATES["sport" if sport else "news"]
    n_body = rng.randint(2, 5) if sport else rng.randint(6, 14)
    article += [_news_sentence(rng, rng.choice(body)) for _ in range(n_body)]
    if sport:
        results = NEWS_TEMPLATES["result"]
        article += [_news_sentence(rng, rng.choice(results)) for _ in range(rng.randint(2, 6))]
    return article


def conll_like_articles(n: int, seed: int) -> list[list[str]]:
    """News articles holding `n` short French sentences in all (the last article is cut to fit)."""
    rng = random.Random(f"fastner-conll:{seed}")
    articles: list[list[str]] = []
    remaining = n
    while remaining > 0:
        article = _news_article(rng)[:remaining]
        articles.append(article)
        remaining -= len(article)
    return articles


def conll_like_sentences(n: int, seed: int) -> list[str]:
    """`n` short news-like French sentences (CoNLL-03 shape: about 14 whitespace tokens on average)."""
    return [sentence for article in conll_like_articles(n, seed) for sentence in article]
