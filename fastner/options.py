"""Settings declared once: a frozen dataclass whose fields carry their help text, from which the command line
(argparse, or pytest's `addoption`) is generated, as `Switches` is for the tagger.

    @dataclass(frozen=True)
    class Mine:
        rounds: int = option(3, "timed rounds", "N")
    add_arguments(parser, Mine); Mine(**...) == from_args(Mine, parser.parse_args())
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import field
from typing import Any

_TYPES: dict[str, Callable[[str], Any]] = {"int": int, "float": float, "int | None": int, "float | None": float}


def option(default: Any, help: str, metavar: str | None = None, choices: tuple | None = None,
           parse: Callable[[str], Any] | None = None, flag: str | None = None) -> Any:
    """A settings field: `help` for `--help`; `parse` turns the flag's text into the value (default: the
    field's type); `flag` overrides the flag name (default `--field-name`; for a boolean that defaults to
    true, `--no-field-name`, which sets it false)."""
    return field(default=default, metadata={"help": help, "metavar": metavar, "choices": choices, "parse": parse,
                                            "flag": flag})


def flag(f: dataclasses.Field) -> str:
    if f.metadata.get("flag"):
        return f.metadata["flag"]
    name = f.name.replace("_", "-")
    return f"--no-{name}" if f.default is True else f"--{name}"


def add_arguments(parser: Any, cls: type, only: tuple[str, ...] | None = None, add: Callable | None = None,
                  defaults: Any = None) -> None:
    """One flag per field of the dataclass `cls` (or of the fields named in `only`), with the field's type,
    default and help. `add` is the parser's method (default `parser.add_argument`; pytest: `addoption`);
    `defaults`, an instance of `cls` whose values are the flags' defaults (a recipe), else the fields'."""
    add = add or parser.add_argument
    for f in dataclasses.fields(cls):
        if only is not None and f.name not in only:
            continue
        meta = f.metadata
        default = f.default if defaults is None else getattr(defaults, f.name)
        if str(f.type) == "bool":
            add(flag(f), dest=f.name, action="store_false" if f.default else "store_true", default=default,
                help=meta["help"])
            continue
        kind = meta["parse"] or _TYPES.get(str(f.type), str)
        shown = "" if default is None else f" (default {text(default)})"
        add(flag(f), dest=f.name, type=kind, default=default, metavar=meta["metavar"],
            choices=meta["choices"], help=meta["help"] + shown)


def from_args(cls: type, args: Any, **overrides: Any) -> Any:
    """The dataclass `cls` from parsed flags (an argparse Namespace, or anything with the fields as
    attributes); fields without a flag keep their default; its validation raises ValueError."""
    values = {f.name: getattr(args, f.name) for f in dataclasses.fields(cls) if hasattr(args, f.name)}
    return cls(**{**values, **overrides})


def command_line(prog: str, settings: Any) -> str:
    """`prog` followed by the flags that give `settings` (fields at their default left out)."""
    parts = [prog]
    for f in dataclasses.fields(settings):
        value = getattr(settings, f.name)
        if value != f.default:
            parts.append(flag(f) if isinstance(value, bool) else f"{flag(f)} {text(value)}")
    return " ".join(parts)


def text(value: Any) -> str:
    """A value as its flag takes it."""
    if value is None:
        return "0"
    if isinstance(value, tuple):
        return ",".join(map(str, value))
    return f"{value:g}" if isinstance(value, float) else str(value)
