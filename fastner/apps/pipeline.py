"""The document pipeline behind `fastner tag` and `fastner anonymize`.

For each document, streamed: `inspect` (hash, validity; skipped if the manifest says it is done) ->
sentences with offsets (`split_sentences`) -> `tagger.predict` on chunks of `chunk_sentences` sentences
*across documents* (so batches are as full and as well sorted as predict's own) -> the tagging pass's
output (JSONL or CoNLL, streamed) and the spans in compact arrays -> a second streamed pass over the text
when needed (pseudonymized text, consistency, review checklist, HTML) -> atomic commit + manifest.

Memory: at most `chunk_sentences` Sentence objects, the spans of the documents in flight (typed arrays),
and pieces of `PIECE_CHARS` characters: never a whole collection, never a whole document.
"""

from __future__ import annotations

import io
import json
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, NamedTuple, TextIO

from fastner.apps.analysis import PERSON_LABELS, SpanStore
from fastner.apps.anonymize import (
    DEFAULT_TYPES,
    AnonymizedWriter,
    Mark,
    Rewriter,
    segments,
)
from fastner.apps.documents import (
    DEFAULT_MAX_BYTES,
    MAX_SENTENCE_CHARS,
    DocumentError,
    Inspection,
    SkippedLink,
    Source,
    count_sources,
    inspect,
    iter_pieces,
    iter_sources,
    iter_text,
    memory_source,
    split_sentences,
)
from fastner.apps.html import HtmlWriter
from fastner.apps.passes import store_spans
from fastner.apps.review import DEFAULT_THRESHOLD, Review, ReviewSummary, review_json
from fastner.apps.runs import Output, RunDir, UsageError, run_key
from fastner.progress import Progress
from fastner.switches import Switches
from fastner.text import Sentence

CHUNK_CHARS = 2_000_000  # a predict chunk also stops at this many characters
KEEP_BUDGET = 64 << 20  # bytes of small documents kept in memory between passes, for all documents in flight


@dataclass(frozen=True)
class Settings:
    """Everything that decides what a run writes (and how fast it runs)."""

    mode: str = "tag"  # "tag" or "anonymize"
    format: str = "jsonl"  # tag: "jsonl" or "conll"
    html: bool = False
    review: bool = True
    review_threshold: float = DEFAULT_THRESHOLD
    strategy: str = "placeholder"
    types: tuple[str, ...] = DEFAULT_TYPES
    consistency: bool = True
    seed: int = 0
    max_bytes: int = DEFAULT_MAX_BYTES
    max_sentence_chars: int = MAX_SENTENCE_CHARS
    chunk_sentences: int = 1000
    mini_batch_size: int = 32
    switches: Switches | None = None
    fsync: bool = False

    def suffixes(self) -> list[str]:
        """The files written for each document: `DOC` + each suffix."""
        out = [(".jsonl" if self.format == "jsonl" else ".conll") if self.mode == "tag" else ".txt"]
        if self.review:
            out.append(".review.json")
        if self.html:
            out.append(".html")
        return out

    def fingerprint(self) -> dict[str, Any]:
        """The settings an output depends on (not speed settings): part of each document's resume key."""
        keys = ["mode", "html", "review", "max_sentence_chars"]
        keys += ["format"] if self.mode == "tag" else ["strategy", "types", "consistency", "seed"]
        if self.review:
            keys.append("review_threshold")
        out = {k: v for k, v in asdict(self).items() if k in keys}
        out["version"] = 1
        return out


@dataclass
class DocResult:
    """What processing one document produced (kept by in-memory runs, for tests and reports)."""

    id: str
    sha256: str
    n_sentences: int
    n_tokens: int
    spans: list[tuple[int, int, str, float]]
    marks: list[Mark] = field(default_factory=list)  # replaced slices (anonymize)
    review: dict[str, Any] | None = None
    files: dict[str, str] = field(default_factory=dict)  # in-memory runs: suffix -> content


class Job:
    """One document in flight."""

    def __init__(self, engine: Engine, source: Source, sha256: str, n_chars: int, key: str, output) -> None:
        self.engine = engine
        self.source = source
        self.sha256 = sha256
        self.n_chars = n_chars
        self.key = key
        self.output = output
        self.store = SpanStore()
        self.pending = 0
        self.kept = 0  # bytes of the document held in memory (counted against the engine's budget)
        self.ended = self.failed = False
        self.n_sentences = self.n_tokens = 0
        self.marks: list[Mark] = []
        s = engine.settings
        self.primary: TextIO | None = None
        if s.mode == "tag":
            self.primary = output.open(".jsonl" if s.format == "jsonl" else ".conll")
            self._header()

    # -- tagging pass ------------------------------------------------------------------------------------

    def _header(self) -> None:
        e = self.engine
        if e.settings.format == "jsonl":
            head = {"id": self.source.id, "source": self.source.display, "sha256": self.sha256, "model": e.model_id,
                    "n_chars": self.n_chars}
            self.primary.write(json.dumps(head, ensure_ascii=False)[:-1] + ', "sentences": [')
        else:
            self.primary.write(f"# id = {self.source.id}\n# source = {self.source.display}\n"
                               f"# sha256 = {self.sha256}\n# model = {e.model_id}\n"
                               "# columns = token tag score start end\n\n")

    def feed(self, offset: int, sentence: Sentence) -> None:
        """Take one tagged sentence (in document order)."""
        anonymize = self.engine.settings.mode == "anonymize"
        store_spans(self.store, sentence.text, [(sp.start, sp.end, sp.label, sp.score) for sp in sentence.spans],
                    offset, pseudonymize=anonymize, types=self.engine.settings.types)
        spans = [(offset + sp.start, offset + sp.end, sp) for sp in sentence.spans]
        if self.primary is not None:
            if self.engine.settings.format == "jsonl":
                record = {"start": offset, "end": offset + len(sentence.text), "tokens": len(sentence),
                          "spans": [{"start": a, "end": b, "label": sp.label, "score": round(sp.score, 4),
                                     "text": sp.text} for a, b, sp in spans]}
                self.primary.write(("," if self.n_sentences else "") + json.dumps(record, ensure_ascii=False))
            else:
                lines = [f"# sentence = {offset} {offset + len(sentence.text)}"]
                lines += [f"{t.text}\t{t.tag}\t{t.score:.4f}\t{offset + t.start}\t{offset + t.end}"
                          for t in sentence.tokens]
                self.primary.write("\n".join(lines) + "\n\n")
        self.n_sentences += 1
        self.n_tokens += len(sentence)

    # -- second pass and commit --------------------------------------------------------------------------

    def finish(self) -> DocResult:
        e, s = self.engine, self.engine.settings
        if self.primary is not None and s.format == "jsonl":
            self.primary.write(f'], "n_sentences": {self.n_sentences}, "n_tokens": {self.n_tokens}}}\n')
        review = Review(self.source.id, s.review_threshold, watch=s.types if s.mode == "anonymize" else ())
        if s.mode == "anonymize" or s.review or s.html:
            self._second_pass(review)
        if s.review:
            review.add_spans(self.store)
            self.output.open(".review.json").write(review_json(review.to_dict()))
            e.review_summary.add(review)
        result = DocResult(self.source.id, self.sha256, self.n_sentences, self.n_tokens, [], self.marks,
                           review.to_dict() if s.review else None)
        if e.keep_results:
            table = self.store.entities
            result.spans = [(v.start, v.end, table.label[v.entity], float(v.score)) for v in self.store]
        return result

    def _second_pass(self, review: Review) -> None:
        e, s = self.engine, self.engine.settings
        anonymize = s.mode == "anonymize"
        watch = set(PERSON_LABELS) | set(s.types if anonymize else ())
        rewriter = Rewriter(self.store, replaced=s.types if anonymize else (), strategy=s.strategy,
                            consistency=s.consistency, seed=f"{self.sha256}:{s.seed}", watch=watch,
                            all_spans=not anonymize)
        if s.review:
            review.add_demoted(self.store, rewriter.demoted)
            review.add_promoted(self.store, rewriter.promoted)
        writers = []
        if anonymize:
            writers.append(AnonymizedWriter(self.output.open(".txt").write))
        html = None
        if s.html:
            note = (f"pseudonymized ({s.strategy}; replaced: {', '.join(s.types)})" if anonymize
                    else f"tagged by {e.model_id}")
            html = HtmlWriter(self.output.open(".html").write, title=self.source.id, labels=e.labels, note=note,
                              replaced=anonymize, low=s.review_threshold if s.review else 0.0)
            writers.append(html)
        keep = e.keep_results

        def pieces():
            for piece in rewriter.rewrite(iter_pieces(iter_text(self.source, self.sha256))):
                if s.review and piece.found:
                    review.add_found((m, piece.text[m.start - piece.offset:m.end - piece.offset]) for m in piece.found)
                if keep and anonymize:
                    self.marks.extend(m for m in piece.marks if m.replacement is not None)
                yield piece

        for _, text, mark in segments(pieces()):
            for writer in writers:
                writer.add(text, mark)
        if html is not None:
            html.close()

    def fail(self, reason: str, detail: str) -> None:
        if not self.failed:
            self.failed = True
            self.output.discard()
            self.engine.on_fail(self.source, reason, detail)


class MemoryOutput:
    """Output files kept in memory (in-memory runs)."""

    def __init__(self) -> None:
        self.files: dict[str, io.StringIO] = {}

    def open(self, suffix: str) -> io.StringIO:
        self.files[suffix] = io.StringIO()
        return self.files[suffix]

    def discard(self) -> None:
        self.files = {}


class Engine:
    """Runs jobs through the tagger in cross-document chunks and finishes them in order."""

    def __init__(self, tagger, settings: Settings, model_id: str, *, keep_results: bool = False,
                 progress: Progress | None = None) -> None:
        self.tagger = tagger
        self.settings = settings
        self.model_id = model_id
        self.labels = list(getattr(tagger, "tag_types", []) or [])
        self.keep_results = keep_results
        self.progress = progress or Progress(None, settings.mode, enabled=False)
        self.review_summary = ReviewSummary()
        self.results: list[DocResult] = []
        self.failures: list[dict[str, Any]] = []
        self.on_commit: Callable[[Job, DocResult], None] | None = None
        self.on_error: Callable[[dict[str, Any]], None] | None = None
        self.n_done = self.n_sentences = self.n_tokens = 0
        self.kept_bytes = 0

    def on_fail(self, source: Source, reason: str, detail: str) -> None:
        record = {"id": source.id, "path": source.display, "reason": reason, "detail": detail}
        self.failures.append(record)
        if self.on_error is not None:
            self.on_error(record)
        self.progress.update(failed=1)

    def run(self, jobs: Iterable[Job]) -> None:
        s = self.settings
        pending: list[tuple[Job, int, Sentence]] = []
        chars = 0
        in_flight: deque[Job] = deque()
        for job in jobs:
            in_flight.append(job)
            try:
                for offset, text in split_sentences(iter_text(job.source, job.sha256), s.max_sentence_chars):
                    pending.append((job, offset, Sentence(text)))
                    job.pending += 1
                    chars += len(text)
                    if len(pending) >= s.chunk_sentences or chars >= CHUNK_CHARS:
                        self._predict(pending)
                        pending, chars = [], 0
                        self._finish_ready(in_flight)
                        if job.failed:
                            break
            except DocumentError as err:
                job.fail(err.reason, err.detail)
            except Exception as err:
                job.fail("failed", f"{type(err).__name__}: {err}")
            job.ended = True
            self._finish_ready(in_flight)
        self._predict(pending)
        self._finish_ready(in_flight)

    def _predict(self, pending: list[tuple[Job, int, Sentence]]) -> None:
        live = [item for item in pending if not item[0].failed]
        s = self.settings
        try:
            self.tagger.predict([sentence for _, _, sentence in live], s.mini_batch_size, s.switches)
        except Exception:  # find the document(s) the tagger cannot take, tag the others
            by_job: dict[int, list[Sentence]] = {}
            for job, _, sentence in live:
                by_job.setdefault(id(job), []).append(sentence)
            for job, _, _ in live:
                batch = by_job.pop(id(job), None)
                if batch is None or job.failed:
                    continue
                try:
                    self.tagger.predict(batch, s.mini_batch_size, s.switches)
                except Exception as err:
                    job.fail("tagging_failed", f"{type(err).__name__}: {err}")
        tokens = 0
        for job, offset, sentence in pending:
            job.pending -= 1
            if job.failed:
                continue
            try:
                job.feed(offset, sentence)
            except Exception as err:
                job.fail("failed", f"{type(err).__name__}: {err}")
            tokens += len(sentence)
        self.progress.update(items=tokens)

    def _finish_ready(self, in_flight: deque[Job]) -> None:
        while in_flight and in_flight[0].ended and in_flight[0].pending == 0:
            job = in_flight.popleft()
            if not job.failed:
                try:
                    result = job.finish()
                    if self.on_commit is not None:
                        self.on_commit(job, result)
                    if isinstance(job.output, MemoryOutput):
                        result.files = {k: v.getvalue() for k, v in job.output.files.items()}
                except DocumentError as err:
                    job.fail(err.reason, err.detail)
                except Exception as err:
                    job.fail("failed", f"{type(err).__name__}: {err}")
                else:
                    self.n_done += 1
                    self.n_sentences += job.n_sentences
                    self.n_tokens += job.n_tokens
                    if self.keep_results:
                        self.results.append(result)
                    self.progress.update(done=1)
            self.kept_bytes -= job.kept
            job.source.close()
            job.store = SpanStore()  # free the spans now


# --- in memory -------------------------------------------------------------------------------------------

def process_texts(texts: Iterable[str], tagger, settings: Settings | None = None, model_id: str = "memory",
                  ids: Iterable[str] | None = None,
                  on_error: Callable[[dict[str, Any]], None] | None = None) -> list[DocResult]:
    """Run the pipeline on texts in memory; each result's `files` holds what a run would write.
    `on_error` receives the record `fastner tag` writes to errors.jsonl for each document that fails."""
    settings = settings or Settings()
    engine = Engine(tagger, settings, model_id, keep_results=True)
    engine.on_error = on_error
    id_iter = iter(ids) if ids is not None else None

    def jobs() -> Iterator[Job]:
        for i, text in enumerate(texts):
            doc_id = next(id_iter) if id_iter is not None else f"doc{i}"
            source = memory_source(text, doc_id)
            try:
                found = inspect(source, settings.max_bytes)
            except DocumentError as err:
                engine.on_fail(source, err.reason, err.detail)
                continue
            yield Job(engine, source, found.sha256, found.n_chars, "", MemoryOutput())

    engine.run(jobs())
    return engine.results


# --- a collection on disk -----------------------------------------------------------------------------------

class Pending(NamedTuple):
    """A document to do: inspected (readable, hashed) and not already done with this key."""

    source: Source
    found: Inspection
    key: str


Runner = Callable[[Iterator[Pending], RunDir, "Engine"], None]


@dataclass
class RunReport:
    done: int
    skipped: int
    failed: int
    failures: Counter
    sentences: int
    tokens: int
    seconds: float
    review: dict[str, Any] | None
    skipped_links: list[SkippedLink] = field(default_factory=list)
    summary_error: str | None = None  # summary.json could not be written (the documents are done)


def check_paths(inputs: list[str], out: Path) -> None:
    """Refuse an output directory that overlaps the inputs, either way round: the same directory, inside an
    input directory, holding an input directory, or holding an input file at any depth (paths resolved, so
    links count). Outputs would overwrite inputs, or become inputs of the next run."""
    out_real = out.resolve()
    for item in inputs:
        if item == "-":
            continue
        path = Path(item).resolve()
        if path.is_dir():
            if path == out_real:
                raise UsageError(f"--out {out} is also the input directory {item}: choose another output directory")
            if path in out_real.parents:
                raise UsageError(f"--out {out} is inside the input directory {item}: choose a directory outside it")
            if out_real in path.parents:
                raise UsageError(f"--out {out} holds the input directory {item}: choose another output directory")
        elif out_real == path or out_real in path.parents:
            raise UsageError(f"--out {out} holds the input {item}: choose another output directory")


def run_collection(inputs: list[str], out: Path, tagger, model_id: str, settings: Settings, *,
                   quiet: bool = False, stdin=None, stderr: TextIO | None = None,
                   runner: Runner | None = None) -> RunReport:
    """Process every document named by `inputs` into `out`, resuming a previous run; see `fastner.apps.runs`.

    `runner` replaces the local engine (`fastner.apps.distributed`): it gets the documents still to do
    (inspected, not done), the open `RunDir` to commit into and the `Engine` that keeps the run's totals.
    """
    import sys

    stderr = stderr or sys.stderr
    out = Path(out)
    if not inputs:
        raise UsageError("no input given")
    if inputs.count("-") > 1:
        raise UsageError("standard input (-) can be given once")
    check_paths(inputs, out)
    started = time.perf_counter()
    with RunDir(out, fsync=settings.fsync) as run:
        total = count_sources(inputs)
        progress = Progress(total, settings.mode, unit="docs", items="tokens", enabled=not quiet, stream=stderr)
        engine = Engine(tagger, settings, model_id, progress=progress)
        fingerprint = settings.fingerprint()
        suffixes = settings.suffixes()
        skipped = 0

        def commit(job: Job, result: DocResult) -> None:
            run.commit(job.output, job.key, {"sha256": job.sha256, "model": model_id,
                                             "sentences": result.n_sentences, "tokens": result.n_tokens})

        engine.on_commit = commit
        engine.on_error = run.error
        links: list[SkippedLink] = []

        def pending() -> Iterator[Pending]:
            nonlocal skipped
            for source in iter_sources(inputs, stdin=stdin, skipped=links):
                try:
                    found = inspect(source, settings.max_bytes)
                except DocumentError as err:
                    source.close()
                    engine.on_fail(source, err.reason, err.detail)
                    continue
                key = run_key(found.sha256, model_id, fingerprint)
                if run.is_done(source.id, key, suffixes):
                    skipped += 1
                    progress.update(skipped=1)
                    source.close()
                    continue
                yield Pending(source, found, key)

        def jobs() -> Iterator[Job]:
            for source, found, key in pending():
                kept = len(source.data) if source.data is not None and source.path is not None else 0
                if kept and engine.kept_bytes + kept > KEEP_BUDGET:  # small documents in flight stay in
                    source.release()  # memory between passes, up to a budget
                    kept = 0
                output: Output = run.output(source.id)
                try:
                    job = Job(engine, source, found.sha256, found.n_chars, key, output)
                except OSError as err:
                    output.discard()
                    source.close()
                    engine.on_fail(source, "unwritable", str(err))
                    continue
                job.kept = kept
                engine.kept_bytes += kept
                yield job

        try:
            if runner is None:
                engine.run(jobs())
            else:
                runner(pending(), run, engine)
        finally:
            progress.close()
        seconds = time.perf_counter() - started
        failures = Counter(f["reason"] for f in engine.failures)
        report = RunReport(engine.n_done, skipped, len(engine.failures), failures, engine.n_sentences,
                           engine.n_tokens, seconds, engine.review_summary.to_dict() if settings.review else None,
                           links)
        try:
            run.write_summary({
                "command": settings.mode, "model": model_id, "inputs": inputs, "settings": settings.fingerprint(),
                "documents": {"total": total, "done": report.done, "skipped": skipped, "failed": report.failed},
                "failed_by_reason": dict(failures), "sentences": report.sentences, "tokens": report.tokens,
                "seconds": round(seconds, 3), "documents_per_s": round(report.done / seconds, 2) if seconds else None,
                "tokens_per_s": round(report.tokens / seconds, 1) if seconds else None, "review": report.review,
                "skipped_links": [{"path": link.path, "reason": link.reason} for link in links],
            })
        except OSError as err:
            report.summary_error = f"{err.filename or out}: {err.strerror or err}"
    if not quiet or report.failed or report.skipped_links or report.summary_error:
        for line in summary_lines(report, out, settings):
            print(line, file=stderr)
    return report


def summary_lines(report: RunReport, out: Path, settings: Settings) -> list[str]:
    verb = "tagged" if settings.mode == "tag" else "pseudonymized"
    lines = [f"{settings.mode}: {report.done} document(s) {verb}, {report.skipped} skipped (already done), "
             f"{report.failed} failed" + (f" (see {out / 'errors.jsonl'}): " + ", ".join(
                 f"{reason} {n}" for reason, n in report.failures.most_common()) if report.failed else "")]
    rate = f"{report.done / report.seconds:.1f} docs/s, " if report.seconds else ""
    tok_rate = f"{report.tokens / report.seconds:,.0f} tokens/s" if report.seconds else ""
    lines.append(f"  {report.tokens:,} tokens in {report.seconds:.1f} s ({rate}{tok_rate}); output in {out}")
    if report.skipped_links:
        reasons = Counter(link.reason for link in report.skipped_links)
        first = ", ".join(link.path for link in report.skipped_links[:3])
        lines.append(f"  {len(report.skipped_links)} symbolic link(s) not followed ("
                     + ", ".join(f"{reason} {n}" for reason, n in reasons.most_common())
                     + f"), listed in {out / 'summary.json'}: {first}"
                     + (", ..." if len(report.skipped_links) > 3 else ""))
    if report.summary_error:
        lines.append(f"  error: summary.json not written ({report.summary_error})")
    if report.review is not None and report.review["documents"]:
        r = report.review
        lines.append(f"  review: {r['documents_with_items']} of {r['documents']} document(s) have items to check: "
                     + ", ".join(f"{k} {n}" for k, n in r["counts"].items()))
        if r["most_items"]:
            lines.append("    most items: " + ", ".join(f"{d['id']} ({d['items']})" for d in r["most_items"]))
    return lines
