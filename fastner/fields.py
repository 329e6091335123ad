"""Checked fields of a model description (config.json): each check names the field and what it must be.

Nothing is built from a description whose sizes are negative, absurd or of the wrong type: a width above
MAX_SIZE is far beyond any real tagger and far below what would exhaust memory.
"""

from __future__ import annotations

from typing import Any

MAX_SIZE = 1 << 16  # any width: hidden, embedding, vector dimension
MAX_LAYERS = 16


def integer(value: Any, field: str, low: int = 1, high: int = MAX_SIZE) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise ValueError(f"{field} must be an integer in [{low}, {high}], not {value!r}")
    return value


def layers(value: Any, field: str) -> int:
    return integer(value, field, high=MAX_LAYERS)


def boolean(value: Any, field: str) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"{field} must be true or false, not {value!r}")
    return value


def strings(value: Any, field: str, distinct: bool = True) -> list[str]:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{field} must be a non-empty list of strings")
    if distinct and len(set(value)) != len(value):
        raise ValueError(f"{field} has repeated entries")
    return value


def keys(config: Any, field: str, names: tuple[str, ...]) -> dict[str, Any]:
    """`config` as a dict that has every key in `names`."""
    if not isinstance(config, dict):
        raise ValueError(f"{field} must be an object")
    for name in names:
        if name not in config:
            raise ValueError(f"{field} has no key {name!r}")
    return config
