"""Resumable runs over an output directory: atomic files, a manifest of finished documents, errors, progress.

Layout of an output directory:

- one set of files per document (`DOC.jsonl` or `DOC.conll`, or `DOC.txt`; `DOC.review.json`; `DOC.html`),
  each written to `.fastner/tmp/` and moved into place with `os.replace`, so a kill at any moment leaves
  either the complete file or none (or the complete file of an earlier run);
- `.fastner/manifest.jsonl`: one line per finished document, appended after all its files are in place:
  its id, the key (content hash x model id x output settings) and its files. A re-run skips a document
  whose id has the same key and whose files all exist; anything else is done (again). Before its files
  are moved, a document's `pending` line names them, so a kill between the two lines loses nothing;
- fastner never writes over a file it did not create: a document whose output path holds a file that no
  manifest line names fails with `output_exists`, and a commit that fails half-way (a name too long, a
  full disk) takes back the files it had moved and fails the document, never leaving half of it;
- `.fastner/lock`: held (flock) by the run in progress, so two runs never write the same directory;
- `errors.jsonl`: the documents that failed in the last run, one JSON object each (id, path, reason,
  detail); `summary.json`: the last run's totals.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
import os
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TextIO

from fastner.apps.documents import DocumentError

STATE_DIR = ".fastner"
MANIFEST = "manifest.jsonl"
ERRORS = "errors.jsonl"
SUMMARY = "summary.json"
SPILL_CHARS = 1 << 20  # an output file stays in memory until it holds this many characters
OUTPUT_SUFFIXES = (".jsonl", ".conll", ".txt", ".review.json", ".html")  # a document's files: DOC + suffix


class UsageError(Exception):
    """A problem with the command line or the output directory (exit code 2)."""


def probe_writable(directory: Path) -> None:
    """Raise `OSError` unless a file can be created (and removed) in `directory`."""
    handle, name = tempfile.mkstemp(dir=directory, prefix=".fastner-probe-")
    os.close(handle)
    os.unlink(name)


def write_atomic(path: Path, text: str, fsync: bool = False) -> None:
    """Write a text file through a temporary file in the same directory and `os.replace`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.parent / f".{path.name}.{os.getpid()}.tmp"
    with open(tmp, "w", encoding="utf-8", newline="") as f:
        f.write(text)
        if fsync:
            f.flush()
            os.fsync(f.fileno())
    os.replace(tmp, path)


def run_key(sha256: str, model_id: str, settings: dict[str, Any]) -> str:
    """What a finished output depends on: the document's bytes, the model and the output settings."""
    blob = json.dumps([sha256, model_id, settings], sort_keys=True, ensure_ascii=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:32]


class SpillFile:
    """A text file written through memory: kept in a buffer until it holds `limit` characters, then written
    to `path` (so thousands of small documents in flight do not hold thousands of open files)."""

    def __init__(self, path: Path, limit: int | None = None) -> None:
        self.path = path
        self.limit = SPILL_CHARS if limit is None else limit
        self.parts: list[str] = []
        self.size = 0
        self.handle: TextIO | None = None

    def write(self, text: str) -> int:
        if self.handle is not None:
            return self.handle.write(text)
        self.parts.append(text)
        self.size += len(text)
        if self.size >= self.limit:
            self.handle = open(self.path, "w", encoding="utf-8", newline="")  # noqa: SIM115 (closed in close)
            self.handle.write("".join(self.parts))
            self.parts = []
        return len(text)

    def close(self, fsync: bool = False) -> None:
        """Write out what is buffered and close the file."""
        if self.handle is None:
            self.handle = open(self.path, "w", encoding="utf-8", newline="")  # noqa: SIM115
            self.handle.write("".join(self.parts))
            self.parts = []
        if fsync:
            self.handle.flush()
            os.fsync(self.handle.fileno())
        self.handle.close()

    def discard(self) -> None:
        self.parts = []
        if self.handle is not None:
            self.handle.close()
            with contextlib.suppress(OSError):
                self.path.unlink()


def _mask(suffixes: Iterable[str]) -> int:
    """The bits of `suffixes` in OUTPUT_SUFFIXES (a suffix not there has no bit: never taken as fastner's)."""
    return sum(1 << OUTPUT_SUFFIXES.index(suffix) for suffix in set(suffixes) if suffix in OUTPUT_SUFFIXES)


class Output:
    """The files of one document in the making: temporary files, moved into place by `RunDir.commit`."""

    def __init__(self, run: RunDir, doc_id: str) -> None:
        self.run = run
        self.doc_id = doc_id
        self.files: list[tuple[SpillFile, Path, str]] = []  # (temporary file, final path, suffix)

    def open(self, suffix: str) -> SpillFile:
        final = self.run.out / f"{self.doc_id}{suffix}"
        spill = SpillFile(self.run.tmp / f"{next(self.run.counter)}{suffix}")
        self.files.append((spill, final, suffix))
        return spill

    def discard(self) -> None:
        for spill, _, _ in self.files:
            spill.discard()
        self.files = []


class RunDir:
    """An output directory opened for one run (use as a context manager)."""

    def __init__(self, out: Path, fsync: bool = False) -> None:
        self.out = Path(out)
        self.fsync = fsync
        self.state = self.out / STATE_DIR
        self.tmp = self.state / "tmp"
        self.counter = itertools.count()
        # id -> one byte (bit i: DOC + OUTPUT_SUFFIXES[i] was created by fastner) + the key of the finished
        # outputs (empty while only pending); compact: 100,000s of entries
        self.done: dict[str, bytes] = {}
        self._lock = self._manifest = self._errors = None

    def __enter__(self) -> RunDir:
        if self.out.exists() and not self.out.is_dir():
            raise UsageError(f"--out {self.out}: exists and is not a directory")
        if not self.state.is_dir():
            foreign = [name for name in (ERRORS, SUMMARY) if os.path.lexists(self.out / name)]
            if foreign:
                raise UsageError(f"--out {self.out}: holds {' and '.join(foreign)}, which fastner did not write "
                                 "there (no .fastner/ state): choose another output directory")
        try:
            self.state.mkdir(parents=True, exist_ok=True)
            probe_writable(self.out)
        except OSError as err:
            raise UsageError(f"--out {self.out}: cannot write there ({err.strerror or err})") from None
        self._lock = open(self.state / "lock", "a+")
        try:
            import fcntl

            fcntl.flock(self._lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._lock.close()
            raise UsageError(f"--out {self.out}: another fastner run is writing there") from None
        except ImportError:  # no flock (Windows): no protection against concurrent runs
            pass
        shutil.rmtree(self.tmp, ignore_errors=True)  # leftovers of a killed run
        self.tmp.mkdir()
        self.done = self._load_manifest()
        self._manifest = self._open_append(self.state / MANIFEST)
        self._errors = open(self.out / ERRORS, "w", encoding="utf-8")
        return self

    def __exit__(self, *exc) -> None:
        for handle in (self._manifest, self._errors):
            if handle is not None:
                handle.close()
        shutil.rmtree(self.tmp, ignore_errors=True)
        if self._lock is not None:
            self._lock.close()  # releases the flock

    def _load_manifest(self) -> dict[str, bytes]:
        done: dict[str, bytes] = {}
        path = self.state / MANIFEST
        if not path.exists():
            return done
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                try:
                    entry = json.loads(line)
                    doc_id = entry["id"]
                    names = entry.get("pending") or entry.get("outputs") or []
                    suffixes = [name[len(doc_id):] for name in names if name.startswith(doc_id)]
                    previous = done.get(doc_id, b"\0")
                    key = bytes.fromhex(entry["key"]) if "key" in entry else previous[1:]
                    done[doc_id] = bytes([previous[0] | _mask(suffixes)]) + key
                except (ValueError, KeyError, TypeError, AttributeError):
                    continue  # a line cut by a kill: that document is done again
        return done

    @staticmethod
    def _open_append(path: Path) -> TextIO:
        handle = open(path, "a+", encoding="utf-8")  # noqa: SIM115
        if handle.tell() > 0:
            handle.seek(handle.tell() - 1)
            last = handle.read(1)
            if last != "\n":  # a line cut by a kill: end it, so the next entry starts on its own line
                handle.write("\n")
        return handle

    def is_done(self, doc_id: str, key: str, suffixes: Iterable[str]) -> bool:
        """Whether `doc_id` was finished with this key and its files (`doc_id` + each suffix) are all there."""
        done = self.done.get(doc_id)
        return done is not None and done[1:] == bytes.fromhex(key) and all(
            (self.out / f"{doc_id}{suffix}").is_file() for suffix in suffixes)

    def output(self, doc_id: str) -> Output:
        return Output(self, doc_id)

    def commit(self, output: Output, key: str, meta: dict[str, Any] | None = None) -> None:
        """Move every file of `output` into place, then record the document as done: all of its files or none.

        Raises `DocumentError` (`output_exists`: a path holds a file fastner did not create; `unwritable`:
        the file system refused) after taking back whatever this commit had moved.
        """
        names = [final.relative_to(self.out).as_posix() for _, final, _ in output.files]
        previous = self.done.get(output.doc_id, b"\0")
        for _, final, suffix in output.files:
            if not previous[0] & _mask([suffix]) and os.path.lexists(final):
                raise DocumentError("output_exists", f"{final} exists and was not written by fastner "
                                                     "(move it away or choose another --out)")
        self._record({"id": output.doc_id, "pending": names})
        created = previous[0] | _mask([suffix for _, _, suffix in output.files])
        self.done[output.doc_id] = bytes([created]) + previous[1:]
        moved: list[Path] = []
        try:
            for spill, final, _ in output.files:
                spill.close(self.fsync)
                final.parent.mkdir(parents=True, exist_ok=True)
                os.replace(spill.path, final)
                moved.append(final)
        except OSError as err:
            for path in moved:  # take back this document's files: never half of a document
                with contextlib.suppress(OSError):
                    path.unlink()
            raise DocumentError("unwritable", f"{err.filename or self.out}: {err.strerror or err}") from None
        output.files = []
        self._record({"id": output.doc_id, "key": key, "outputs": names, **(meta or {})})
        self.done[output.doc_id] = bytes([created]) + bytes.fromhex(key)

    def _record(self, entry: dict[str, Any]) -> None:
        self._manifest.write(json.dumps(entry, ensure_ascii=False) + "\n")
        self._manifest.flush()
        if self.fsync:
            os.fsync(self._manifest.fileno())

    def error(self, record: dict[str, Any]) -> None:
        self._errors.write(json.dumps(record, ensure_ascii=False) + "\n")
        self._errors.flush()

    def write_summary(self, summary: dict[str, Any]) -> None:
        write_atomic(self.out / SUMMARY, json.dumps(summary, ensure_ascii=False, indent=2) + "\n", self.fsync)
