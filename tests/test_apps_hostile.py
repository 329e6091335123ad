"""Hostile but realistic input to `fastner tag` / `fastner anonymize`: Unicode forms, overlapping paths, names
too long for the file system, unwritable outputs, symbolic links, and a length that has no cap."""

from __future__ import annotations

import errno
import json
import os
import unicodedata
from pathlib import Path

import pytest

from fastner import SequenceTagger
from fastner.apps import runs
from fastner.apps.pipeline import Settings, process_texts
from fastner.apps.tag import load_model
from fastner.cli import main

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


def test_rule_passes_read_the_composed_text_and_stop_at_separators() -> None:
    from fastner.apps.passes import on_read_text

    hélène = unicodedata.normalize("NFD", "Hélène")  # 8 characters, 6 as read
    text = hélène + "\u2028Dupont"
    seen = []

    def whole_text(clean, spans):
        seen.append((clean, spans))
        return [(0, len(clean), "PERS", 1.0)]

    out = on_read_text(text, [(0, 8, "PERS", 0.9)], whole_text)
    assert seen == [("Hélène Dupont", [(0, 6, "PERS", 0.9)])]
    assert out == [(0, 8, "PERS", 1.0), (9, 15, "PERS", 1.0)]  # the separator stays outside


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


# --- paths: nothing the user gave is overwritten, nothing outside the inputs is read ------------------------

@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("model") / "tiny"
    SequenceTagger.random("tiny", tag_types=["PERS", "ADDRESS"], seed=0).save(path)
    return path


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under `root` (links not followed) and its bytes."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and not p.is_symlink()}


def run_cli(*args: str, model: Path) -> int:
    return main([*args, "--model", str(model), "--quiet"])


@pytest.fixture
def nested(tmp_path: Path) -> Path:
    root = tmp_path / "in"
    (root / "sub").mkdir(parents=True)
    (root / "doc.txt").write_text("M. Jean Dupont demeure à Lyon.\n", encoding="utf-8")
    (root / "sub" / "doc.txt").write_text("Mme Claire Martin demeure à Paris.\n", encoding="utf-8")
    return root


@pytest.mark.parametrize("command", ["tag", "anonymize"])
@pytest.mark.parametrize("layout", ["out inside input", "input inside out", "same", "file deep inside out",
                                    "out through a link"])
def test_overlapping_input_and_output_are_refused_before_anything_is_written(
        nested: Path, tiny_model: Path, capsys, command: str, layout: str) -> None:
    tmp = nested.parent
    if layout == "out inside input":
        inputs, out = [str(nested)], nested / "sub"
    elif layout == "input inside out":
        inputs, out = [str(nested / "sub")], nested
    elif layout == "same":
        inputs, out = [str(nested)], nested
    elif layout == "file deep inside out":
        inputs, out = [str(nested / "sub" / "doc.txt")], nested
    else:
        (tmp / "link").symlink_to(nested / "sub")
        inputs, out = [str(nested)], tmp / "link"
    before = snapshot(tmp)
    assert run_cli(command, *inputs, "--out", str(out), model=tiny_model) == 2
    assert "--out" in capsys.readouterr().err
    assert snapshot(tmp) == before
    assert not list(tmp.rglob(".fastner"))


def test_a_file_fastner_did_not_create_is_never_overwritten(nested: Path, tiny_model: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    (out / "sub").mkdir(parents=True)
    (out / "sub" / "doc.txt").write_text("mine", encoding="utf-8")  # the user's file, where an output would go
    for _ in range(2):  # and again: the refusal holds on a re-run
        assert run_cli("anonymize", str(nested), "--out", str(out), model=tiny_model) == 1
        assert (out / "sub" / "doc.txt").read_text(encoding="utf-8") == "mine"
        assert not (out / "sub" / "doc.review.json").exists()  # none of that document's files
        errors = [json.loads(line) for line in (out / "errors.jsonl").read_text().splitlines()]
        assert [(e["id"], e["reason"]) for e in errors] == [("sub/doc", "output_exists")]
        assert (out / "doc.txt").is_file() and (out / "doc.review.json").is_file()
    (nested / "doc.txt").write_text("M. Paul Durand demeure à Nice.\n", encoding="utf-8")
    assert run_cli("anonymize", str(nested / "doc.txt"), "--out", str(out), model=tiny_model) == 0  # its own file


def test_foreign_run_files_refuse_the_output_directory(nested: Path, tiny_model: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "errors.jsonl").write_text("the user's notes", encoding="utf-8")
    assert run_cli("tag", str(nested), "--out", str(out), model=tiny_model) == 2
    assert snapshot(out) == {"errors.jsonl": b"the user's notes"}


def test_a_name_too_long_for_the_file_system_is_shortened_not_half_written(tiny_model: Path, tmp_path: Path) -> None:
    root = tmp_path / "in"
    root.mkdir()
    long_a, long_b = "a" * 244 + ".txt", "a" * 243 + "b.txt"  # 248 characters, sharing a long prefix
    for name in (long_a, long_b, "short.txt"):
        (root / name).write_text("M. Jean Dupont demeure à Lyon.\n", encoding="utf-8")
    out = tmp_path / "out"
    assert run_cli("anonymize", str(root), "--out", str(out), model=tiny_model) == 0
    manifest = [json.loads(line) for line in (out / ".fastner" / "manifest.jsonl").read_text().splitlines()]
    done = {m["id"]: m["outputs"] for m in manifest if "key" in m}
    assert len(done) == 3
    for outputs in done.values():  # every document has all of its files, each named in the manifest
        assert len(outputs) == 2 and all((out / name).is_file() for name in outputs)
        assert all(len(name.encode()) <= 255 for name in outputs)
    assert sorted(p.name for p in out.iterdir() if p.name.endswith(".txt")) == sorted(
        name for outputs in done.values() for name in outputs if name.endswith(".txt"))
    assert not (out / "errors.jsonl").read_text()


def test_a_commit_that_fails_half_way_takes_its_files_back(nested: Path, tiny_model: Path, tmp_path: Path,
                                                          monkeypatch) -> None:
    out = tmp_path / "out"
    real_replace = os.replace

    def failing_replace(src, dst):
        if str(dst).endswith("sub/doc.review.json"):
            raise OSError(errno.ENAMETOOLONG, "File name too long", str(dst))
        return real_replace(src, dst)

    monkeypatch.setattr(runs.os, "replace", failing_replace)
    assert run_cli("anonymize", str(nested), "--out", str(out), model=tiny_model) == 1
    assert not (out / "sub").exists() or not list((out / "sub").iterdir())  # not its text without its review
    errors = [json.loads(line) for line in (out / "errors.jsonl").read_text().splitlines()]
    assert [(e["id"], e["reason"]) for e in errors] == [("sub/doc", "unwritable")]
    assert not list((out / ".fastner" / "tmp").glob("*")) if (out / ".fastner" / "tmp").exists() else True
    monkeypatch.setattr(runs.os, "replace", real_replace)
    assert run_cli("anonymize", str(nested), "--out", str(out), model=tiny_model) == 0  # the re-run finishes it
    assert (out / "sub" / "doc.txt").is_file() and (out / "sub" / "doc.review.json").is_file()


def test_an_output_root_that_cannot_be_written_is_a_usage_error(nested: Path, tiny_model: Path, tmp_path: Path,
                                                                monkeypatch, capsys) -> None:
    out = tmp_path / "out"

    def refuse(directory):
        raise PermissionError(errno.EACCES, "Permission denied", str(directory))

    monkeypatch.setattr(runs, "probe_writable", refuse)
    assert run_cli("tag", str(nested), "--out", str(out), model=tiny_model) == 2
    assert "cannot write there (Permission denied)" in capsys.readouterr().err


def test_a_summary_that_cannot_be_written_is_reported_without_a_traceback(nested: Path, tiny_model: Path,
                                                                          tmp_path: Path, monkeypatch, capsys) -> None:
    def refuse(self, summary):
        raise PermissionError(errno.EACCES, "Permission denied", str(self.out / "summary.json"))

    monkeypatch.setattr(runs.RunDir, "write_summary", refuse)
    assert main(["tag", str(nested), "--out", str(tmp_path / "out"), "--model", str(tiny_model)]) == 1
    err = capsys.readouterr().err
    assert "summary.json not written" in err and "Traceback" not in err


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes through any permission bits")
def test_a_read_only_output_root(nested: Path, tiny_model: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    (out / ".fastner").mkdir(parents=True)
    out.chmod(0o555)
    try:
        assert run_cli("tag", str(nested), "--out", str(out), model=tiny_model) == 2
    finally:
        out.chmod(0o755)


def test_links_are_followed_only_inside_the_named_input(tiny_model: Path, tmp_path: Path, capsys) -> None:
    root, outside = tmp_path / "in", tmp_path / "outside"
    (root / "real").mkdir(parents=True)
    outside.mkdir()
    (root / "real" / "a.txt").write_text("M. Jean Dupont.\n", encoding="utf-8")
    (outside / "secret.txt").write_text("Mme Claire Martin.\n", encoding="utf-8")
    (root / "inside-file.txt").symlink_to(root / "real" / "a.txt")
    (root / "inside-dir").symlink_to(root / "real")
    (root / "real" / "loop").symlink_to(root)
    (root / "outside-file.txt").symlink_to(outside / "secret.txt")
    (root / "outside-dir").symlink_to(outside)
    (root / "broken.txt").symlink_to(tmp_path / "nothing.txt")
    out = tmp_path / "out"
    assert main(["tag", str(root), "--out", str(out), "--model", str(tiny_model)]) == 0
    ids = {json.loads(p.read_text())["id"] for p in out.rglob("*.jsonl") if p.name != "errors.jsonl"
           and ".fastner" not in p.parts}
    assert ids == {"inside-file", "real/a"}  # the linked directory is the directory already walked
    summary = json.loads((out / "summary.json").read_text())
    skipped = {(Path(link["path"]).name, link["reason"]) for link in summary["skipped_links"]}
    assert skipped == {("outside-file.txt", "outside the input"), ("outside-dir", "outside the input"),
                       ("broken.txt", "broken"), ("loop", "already walked"), ("inside-dir", "already walked")}
    assert "not followed" in capsys.readouterr().err
    assert not any("secret" in p.name for p in out.rglob("*"))
    named = tmp_path / "named.txt"  # a link the user names on the command line is followed
    named.symlink_to(outside / "secret.txt")
    assert run_cli("tag", str(named), "--out", str(tmp_path / "out2"), model=tiny_model) == 0
