"""Hostile but realistic input to `fastner tag` / `fastner anonymize`: Unicode forms, overlapping paths, names
too long for the file system, unwritable outputs, symbolic links, and a length that has no cap."""

from __future__ import annotations

import unicodedata

import pytest

from fastner.apps.pipeline import Settings, process_texts
from fastner.apps.tag import load_model

DOCUMENT = (
    "COUR D'APPEL DE RENNES\n"
    "Entre M. René Dupont, né le 3 janvier 1961 à Quimper, demeurant 12 rue des Hêtres 29000 Quimper, "
    "et Mme Hélène Le Gall épouse Müller, demeurant 5 allée des Châtaigniers 35000 Rennes.\n"
    "Attendu que M. René Dupont soutient que Mme Hélène Le Gall a quitté le domicile ; que René Dupont "
    "produit une attestation de Mme Zoë Lefèvre.\n"
)


def _forms() -> dict[str, str]:
    return {
        "nfd": unicodedata.normalize("NFD", DOCUMENT),
        "soft hyphens": DOCUMENT.replace("Dupont", "Du\u00adpont").replace("Hélène", "Hé\u00adlène"),
        "zero-width joiners": DOCUMENT.replace("René", "Re\u200dné").replace("Lefèvre", "Le\u2060fèvre"),
        "mixed nfc and nfd": DOCUMENT.replace("René Dupont,", unicodedata.normalize("NFD", "René Dupont,"), 1),
    }


def _readable(text: str) -> str:
    """What a reader sees: NFC, without invisible format characters."""
    return unicodedata.normalize("NFC", "".join(c for c in text if unicodedata.category(c) != "Cf"))


@pytest.fixture(scope="module")
def bundled():
    return load_model(None)[0]


@pytest.mark.parametrize("strategy", ["placeholder", "cassation"])
@pytest.mark.parametrize("form", list(_forms()))
def test_unicode_forms_get_the_same_replacements(bundled, form: str, strategy: str) -> None:
    settings = Settings(mode="anonymize", strategy=strategy, review=False)
    reference = process_texts([DOCUMENT], bundled, settings)[0]
    text = _forms()[form]
    result = process_texts([text], bundled, settings)[0]
    assert [(m.label, m.replacement) for m in result.marks] == [(m.label, m.replacement) for m in reference.marks]
    assert _readable(result.files[".txt"]) == reference.files[".txt"]
    assert "Dupont" not in _readable(result.files[".txt"]) and "René" not in _readable(result.files[".txt"])
    for mark in result.marks:  # each replaced slice covers whole characters: no mark left hanging outside
        assert not unicodedata.combining(text[mark.end:mark.end + 1] or "a")
        assert text[mark.start - 1:mark.start] != "\u00ad" or mark.start == 0


def test_a_replacement_never_swallows_line_or_paragraph_separators(bundled) -> None:
    seps = ["\u2029", "\x0c", "\u2028", "\x85", "\x0b"]
    text = "Attendu que M. " + "Durand\u2029Dupont\x0cMartin\u2028Bernard\x85Moreau\x0bLefèvre" + " est parti.\n"
    for strategy in ("placeholder", "numbered"):
        result = process_texts([text], bundled, Settings(mode="anonymize", strategy=strategy, review=False))[0]
        out = result.files[".txt"]
        assert [c for c in out if c in seps] == [c for c in text if c in seps]
        for mark in result.marks:
            assert not set(text[mark.start:mark.end]) & set(seps)


def test_a_lone_combining_mark_is_not_an_entity(bundled) -> None:
    result = process_texts(["Le dossier \u0301 est clos.\n\u0301\n"], bundled, Settings(mode="tag", review=False))[0]
    assert all("\u0301" not in text[a:b] for text in ["Le dossier \u0301 est clos.\n\u0301\n"]
               for a, b, _, _ in result.spans)
