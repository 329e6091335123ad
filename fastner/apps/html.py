"""A self-contained HTML view of a tagged (or pseudonymized) document: one file, inline CSS, no script, no
external asset; every piece of document text escaped; entities highlighted with one colour per type.

Written as a stream of slices (`HtmlWriter.add`), so a huge document never sits in memory as one string.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from html import escape

from fastner.apps.anonymize import Mark
from fastner.synth.labels import LABELS

PALETTE = dict(zip(LABELS, ("#ffd3d3", "#d4f0d0", "#d7e3ff", "#ffe9c2", "#eed9ff", "#d9f3f6", "#e8e8c8", "#f1e0d0"),
                   strict=True))  # one colour per entity type of the bundled model


def colour(label: str) -> str:
    """A fixed light colour per type (a stable hash-derived hue for types outside the palette)."""
    if label in PALETTE:
        return PALETTE[label]
    hue = int(hashlib.sha256(label.encode("utf-8")).hexdigest()[:4], 16) % 360
    return f"hsl({hue}, 80%, 88%)"


def _css_name(label: str) -> str:
    return "t-" + "".join(c if c.isalnum() or c in "-_" else f"_{ord(c):x}" for c in label)


def _head(title: str, labels: Sequence[str], note: str) -> str:
    rules = "\n".join(f".{_css_name(label)} {{ background: {colour(label)}; }}" for label in labels)
    legend = " ".join(f'<mark class="{_css_name(label)}">{escape(label)}</mark>' for label in labels)
    return f"""<!DOCTYPE html>
<html lang="fr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)}</title>
<style>
body {{ font-family: Georgia, serif; margin: 2em auto; max-width: 60em; line-height: 1.5; color: #222; }}
header {{ font-family: sans-serif; font-size: 0.9em; border-bottom: 1px solid #ccc; margin-bottom: 1em; }}
.doc {{ white-space: pre-wrap; overflow-wrap: anywhere; }}
mark {{ border-radius: 3px; padding: 0 2px; color: inherit; }}
mark sup {{ font-family: sans-serif; font-size: 0.6em; margin-left: 2px; color: #555; }}
mark.found {{ outline: 1px dashed #a00; }}
mark.low {{ outline: 2px solid #e08000; }}
{rules}
</style>
</head>
<body>
<header><p><strong>{escape(title)}</strong> {escape(note)}</p><p>{legend}</p></header>
<div class="doc">"""


class HtmlWriter:
    """Writes the page slice by slice. `replaced`: show each mark's replacement (the pseudonymized view, which
    never shows the original of a replaced slice) instead of the original text. Marks below confidence
    `low` and strings found by the consistency pass are outlined."""

    def __init__(self, write: Callable[[str], object], *, title: str, labels: Sequence[str], note: str = "",
                 replaced: bool = False, low: float = 0.0) -> None:
        self.write = write
        self.replaced = replaced
        self.low = low
        self.last: Mark | None = None
        write(_head(title, labels, note))

    def add(self, text: str, mark: Mark | None) -> None:
        if mark is not self.last:  # a mark crossing pieces comes as several slices: one element
            if self.last is not None:
                self.write(f"<sup>{escape(self.last.label, quote=False)}</sup></mark>")
            if mark is not None:
                self.write(_open(mark, self.low))
                if self.replaced and mark.replacement is not None:
                    self.write(escape(mark.replacement, quote=False))
            self.last = mark
        if mark is None or not (self.replaced and mark.replacement is not None):
            self.write(escape(text, quote=False))

    def close(self) -> None:
        self.add("", None)
        self.write("</div>\n</body>\n</html>\n")


def _open(mark: Mark, low: float) -> str:
    classes = [_css_name(mark.label)]
    tip = mark.label
    if mark.source == "consistency":
        classes.append("found")
        tip += ", found again (consistency)" if mark.replacement is not None else ", tagged elsewhere, not here"
    elif mark.score is not None:
        tip += f" {mark.score:.2f}"
        if mark.score < low:
            classes.append("low")
    return f'<mark class="{" ".join(classes)}" title="{escape(tip)}">'
