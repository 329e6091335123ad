"""The ablation ladder, read from `patches/*.toml` (one file per optimization, in file-name order).

Each patch sets some switches. The ladder applies them cumulatively from the baseline; `one_on` applies
one patch (and the patches it requires) to the baseline; `leave_one_out` applies every patch but one (and
the patches that require it). Nothing about the ladder is written in code: it all comes from the files.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastner.switches import Switches

REQUIRED = ("id", "title", "pr", "what", "upstream", "predicted_cpu", "switches")


@dataclass(frozen=True)
class Patch:
    id: str
    title: str
    pr: str
    what: str
    upstream: str
    predicted_cpu: str
    switches: dict[str, Any]
    upstream_ratio: float | None = None
    requires: tuple[str, ...] = ()
    milestone: str | None = None


@dataclass(frozen=True)
class Config:
    """One benchmarked configuration: a name, its switches, and what it was built from."""

    mode: str  # baseline | ladder | one-on | leave-one-out
    name: str
    switches: Switches
    patches: tuple[str, ...] = field(default=())
    note: str = ""


def patches_dir() -> Path:
    """`$FASTNER_PATCHES`, else the repository's `patches/` (fastner is installed editable from it)."""
    env = os.environ.get("FASTNER_PATCHES")
    return Path(env) if env else Path(__file__).resolve().parents[2] / "patches"


def load_patches(directory: Path | None = None) -> list[Patch]:
    directory = directory or patches_dir()
    files = sorted(directory.glob("*.toml"))
    if not files:
        raise FileNotFoundError(f"no patch files (*.toml) in {directory}")
    patches = []
    for path in files:
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as err:
            raise ValueError(f"{path}: invalid TOML ({err})") from None
        missing = [k for k in REQUIRED if k not in data]
        if missing:
            raise ValueError(f"{path}: missing {', '.join(missing)}")
        if data["id"] != path.stem:
            raise ValueError(f"{path}: id {data['id']!r} must equal the file name")
        unknown = sorted(set(data["switches"]) - {f.name for f in dataclasses.fields(Switches)})
        if unknown:  # values are validated when the ladder applies the patch on top of those it requires
            raise ValueError(f"{path}: unknown switches {unknown}")
        patches.append(Patch(**{**data, "requires": tuple(data.get("requires", ()))}))
    ids = [p.id for p in patches]
    for p in patches:
        unknown = [r for r in p.requires if r not in ids[: ids.index(p.id)]]
        if unknown:
            raise ValueError(f"patch {p.id} requires {unknown}, which are not earlier patches")
    return patches


def _apply(patches: list[Patch]) -> Switches:
    values: dict[str, Any] = {}
    for p in patches:
        values.update(p.switches)
    return Switches(**values)


def ladder(patches: list[Patch]) -> list[Config]:
    """Baseline, then each patch applied on top of all earlier ones."""
    out = [Config("baseline", "baseline", Switches())]
    for i, p in enumerate(patches):
        out.append(Config("ladder", p.id, _apply(patches[: i + 1]), tuple(q.id for q in patches[: i + 1])))
    return out


def _closure(start: str, patches: list[Patch], forward: bool) -> list[str]:
    """Patches required by `start` (forward=False) or requiring it (forward=True), transitively, with it."""
    by_id = {p.id: p for p in patches}
    found, todo = {start}, [start]
    while todo:
        current = todo.pop()
        related = [p.id for p in patches if current in p.requires] if forward else list(by_id[current].requires)
        for r in related:
            if r not in found:
                found.add(r)
                todo.append(r)
    return [p.id for p in patches if p.id in found]


def one_on(patches: list[Patch]) -> list[Config]:
    """Each patch alone on the baseline (with the patches it requires)."""
    out = []
    for p in patches:
        ids = _closure(p.id, patches, forward=False)
        note = f"with {', '.join(i for i in ids if i != p.id)}" if len(ids) > 1 else ""
        out.append(Config("one-on", p.id, _apply([q for q in patches if q.id in ids]), tuple(ids), note))
    return out


def leave_one_out(patches: list[Patch], use_crf: bool | None = None) -> list[Config]:
    """The full ladder minus each patch (and the patches that require it). A patch whose removal changes
    nothing (a later patch sets the same switches, or the switches it sets are inert there) says so in its
    note and is not timed."""
    full = _apply(patches)
    out = []
    for p in patches:
        removed = _closure(p.id, patches, forward=True)
        switches = _apply([q for q in patches if q.id not in removed])
        note = f"also without {', '.join(i for i in removed if i != p.id)}" if len(removed) > 1 else ""
        inert = full.inert(use_crf)
        if switches == full:
            note = "superseded: later patches set the same switches"
        elif set(switches.diff(full)) <= set(inert):
            note = "inert in the full ladder: " + "; ".join(sorted({inert[k] for k in switches.diff(full)}))
        out.append(Config("leave-one-out", p.id, switches, tuple(q.id for q in patches if q.id not in removed), note))
    return out


def configs(mode: str, patches: list[Patch] | None = None, use_crf: bool | None = None) -> list[Config]:
    """The configurations of a bench mode (baseline first; leave-one-out also times the full ladder)."""
    patches = patches if patches is not None else load_patches()
    steps = ladder(patches)
    if mode == "ladder":
        return steps
    if mode == "one-on":
        return [steps[0], *one_on(patches)]
    if mode == "leave-one-out":
        return [steps[0], steps[-1], *leave_one_out(patches, use_crf)]
    if mode == "all":
        return [*steps, *one_on(patches), *leave_one_out(patches, use_crf)]
    raise ValueError(f"unknown mode {mode!r}: expected ladder, one-on, leave-one-out or all")
