"""`--engine ray`: `fastner tag` and `fastner anonymize` on a Ray cluster, with the local engine's guarantees.

Who does what:

- the driver (the `fastner` process) runs `run_collection`, the local engine's own function: it walks the
  inputs, inspects each document (hash, validity), skips those already done, and writes errors.jsonl, the
  manifest and the summary. Instead of tagging, it sends the documents to the workers in batches and commits
  what comes back through the same `RunDir` (temporary file + `os.replace`, manifest line after the files):
  it is the only writer of the output directory;
- each worker is a Ray actor holding one model, loaded once. It runs the local pipeline (`pipeline.Engine`:
  cross-document predict chunks, streamed tagging and second passes, output files spilled to its disk past
  `SPILL_CHARS`) on its batch, so every output is made by the same code as the local engine's, and streams
  each finished document back: its files inline, or in pieces of `spill_chars` characters when large.

Documents travel inside their batch when `inspect` kept them in memory (up to `KEEP_BYTES`), else as blocks
in Ray's object store that the worker spools to a temporary file: no shared file system is needed, and no
process holds a large document, or its outputs, in memory.

Faults: a worker process that dies is restarted by Ray (it loads its model again); the documents of its
batch not yet committed are sent again, one per batch, and one still in flight when workers died
`max_attempts` times fails with `worker_died`. A document is committed at most once, when all its files have
arrived, so nothing is lost or duplicated. A killed driver: re-running the same command resumes from the
manifest, as with the local engine. One bad document fails alone, in the worker's engine as locally.

Ray is imported here only, when an engine starts (`pip install 'fastner[ray]'`).
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import os
import queue
import shutil
import socket
import statistics
import sys
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from fastner.apps.documents import DocumentError, Source
from fastner.apps.pipeline import DocResult, Engine, Job, Pending, RunReport, Settings, run_collection
from fastner.apps.runs import SPILL_CHARS, Output, RunDir, SpillFile, UsageError

OBJECT_BLOCK = 4 << 20  # a large document goes to the object store in blocks of this many bytes
BACKPRESSURE = 16  # items a worker may have produced that the driver has not taken yet (per batch)
FINISHED_QUEUE = 4  # finished documents a worker's engine may get ahead of what it has sent
WAIT_S = 0.25  # the driver redraws its progress line at least this often
MODEL_FILES = ("config.json", "model.safetensors")
WORKER_DIR = "fastner-worker-"  # + pid + "-": a worker's temporary directory (spooled inputs, spilled outputs)
RAY_MISSING = "the ray engine needs Ray, an optional extra: pip install 'fastner[ray]'"


@dataclass(frozen=True)
class RayOptions:
    """How a run uses Ray: where the cluster is, how many workers, how work is cut."""

    address: str | None = None  # an existing cluster (HOST:PORT, auto); None: a local instance for the run
    workers: int | None = None  # default: as many as the free CPUs (GPUs with device cuda) allow
    threads_per_worker: int = 1  # torch CPU threads of each worker (and the CPUs it reserves)
    device: str = "cpu"  # cuda: one GPU per worker
    batch_docs: int = 8  # documents per batch at most...
    batch_bytes: int = 1 << 20  # ...and bytes (a document too large to travel inline goes alone)
    max_attempts: int = 3  # worker deaths a document may be caught in before it fails with worker_died
    spill_chars: int = SPILL_CHARS  # a worker's output file goes to its disk, and comes back in pieces, past this
    start_timeout: float = 300.0  # seconds the workers may take to start and load their model
    probe_timeout: float = 5.0  # seconds to reach --address before giving up


def import_ray():
    """Ray, or a `UsageError` saying how to install it."""
    try:
        import ray
    except ImportError:
        raise UsageError(RAY_MISSING) from None
    return ray


# --- the worker side ----------------------------------------------------------------------------------------

@dataclass
class ModelFiles:
    """A model directory's files, read once by the driver: each worker loads the model from these bytes (so
    the workers need neither the directory nor a shared file system)."""

    files: dict[str, bytes]
    device: str = "cpu"

    @classmethod
    def read(cls, directory: str | Path, device: str = "cpu") -> ModelFiles:
        return cls({name: (Path(directory) / name).read_bytes() for name in MODEL_FILES}, device)

    def __call__(self):
        from fastner.tagger import SequenceTagger

        with tempfile.TemporaryDirectory(prefix="fastner-model-") as tmp:
            for name, data in self.files.items():
                (Path(tmp) / name).write_bytes(data)
            tagger = SequenceTagger.load(tmp)
        return tagger.to(self.device) if self.device != "cpu" else tagger


@dataclass
class DocTask:
    """One document of a batch, as a worker gets it: its bytes inline (`data`) or as object-store blocks."""

    index: int  # the driver's number for it
    id: str
    display: str
    sha256: str
    n_chars: int
    data: bytes | None = None
    blocks: list[Any] | None = None  # ray ObjectRefs of consecutive byte blocks


class WorkerFile(SpillFile):
    """An output file on a worker: in memory until `SPILL_CHARS`, then on its disk; sent back in pieces."""

    def inline(self) -> bool:
        return self.handle is None

    def pieces(self, size: int) -> Iterator[str]:
        """The content in pieces of at most `size` characters; the file on disk is removed after."""
        if self.handle is None:
            text = "".join(self.parts)
            for start in range(0, len(text), size):
                yield text[start:start + size]
            return
        self.close()
        try:
            with open(self.path, encoding="utf-8", newline="") as f:
                while piece := f.read(size):
                    yield piece
        finally:
            self.path.unlink(missing_ok=True)


class WorkerOutput:
    """The files of one document in the making on a worker (what `Output` is to a `RunDir`)."""

    def __init__(self, tmp: Path, counter: Iterator[int], spill_chars: int) -> None:
        self.tmp, self.counter, self.spill_chars = tmp, counter, spill_chars
        self.files: list[tuple[str, WorkerFile]] = []

    def open(self, suffix: str) -> WorkerFile:
        file = WorkerFile(self.tmp / f"{next(self.counter)}{suffix}", self.spill_chars)
        self.files.append((suffix, file))
        return file

    def discard(self) -> None:
        for _, file in self.files:
            file.discard()
        self.files = []


class Worker:
    """A Ray actor: one model, loaded once, and the local pipeline run on each batch it is given.

    `process` is a generator (a Ray streaming call): for each document, as soon as it is finished,
    `("doc", index, [(suffix, text)...], stats)` when its files are small, else `("open", index, suffixes)`,
    `("piece", index, file number, text)`... and `("end", index, stats)`; `("fail", index, reason, detail)`
    for a document that failed; finally `("batch", {"seconds": ..., "peak_private_kb": ...})`.
    """

    def __init__(self, model_id: str, threads: int) -> None:
        import torch

        torch.set_num_threads(threads)
        self.model_id = model_id
        self.tagger = None
        self.load_s = 0.0
        _remove_orphans(Path(tempfile.gettempdir()))
        self.tmp = Path(tempfile.mkdtemp(prefix=f"{WORKER_DIR}{os.getpid()}-"))
        self.counter = itertools.count()

    def close(self) -> None:
        """Remove this worker's temporary directory (the driver calls it before ending the worker)."""
        shutil.rmtree(self.tmp, ignore_errors=True)

    def _load(self, load: list[Any]) -> None:
        """Load the model once (again after a restart): `load` holds the reference of the loader that the driver
        put in the object store (not an argument of the constructor, which Ray would have to keep for restarts)."""
        if self.tagger is None:
            import ray

            started = time.perf_counter()
            self.tagger = ray.get(load[0])()
            self.load_s = time.perf_counter() - started

    def ready(self, load: list[Any]) -> dict[str, Any]:
        self._load(load)
        return {"pid": os.getpid(), "host": socket.gethostname(), "load_s": self.load_s,
                "private_kb": private_memory_kb()}

    def process(self, load: list[Any], tasks: list[DocTask], settings: Settings,
                spill_chars: int = SPILL_CHARS) -> Iterator[tuple]:
        started = time.perf_counter()
        self._load(load)
        finished: queue.Queue = queue.Queue(maxsize=FINISHED_QUEUE)
        thread = threading.Thread(target=self._run, args=(tasks, settings, spill_chars, finished), daemon=True)
        thread.start()
        with MemorySampler() as memory:
            while (item := finished.get()) is not None:
                if item[0] == "raise":
                    raise item[1]
                if item[0] == "fail":
                    yield item
                else:
                    yield from self._send(*item[1:], spill_chars)
            thread.join()
        yield ("batch", {"seconds": time.perf_counter() - started, "peak_private_kb": memory.peak_kb})

    def _run(self, tasks: list[DocTask], settings: Settings, spill_chars: int, finished: queue.Queue) -> None:
        """The local engine over the batch (in a thread: `process` sends what it finishes meanwhile)."""
        try:
            engine = Engine(self.tagger, settings, self.model_id)
            index = {task.id: task.index for task in tasks}
            engine.on_commit = lambda job, result: finished.put(("done", index[job.source.id], job.output, result))
            engine.on_error = lambda r: finished.put(("fail", index[r["id"]], r["reason"], r["detail"]))
            engine.run(self._jobs(engine, tasks, spill_chars))
        except BaseException as err:  # a bug: the driver sends the batch's documents again
            finished.put(("raise", err))
        finally:
            finished.put(None)

    def _jobs(self, engine: Engine, tasks: list[DocTask], spill_chars: int) -> Iterator[Job]:
        for task in tasks:
            try:
                source = self._source(task)
            except Exception as err:
                engine.on_fail(Source(task.id, None, task.display), "unreadable",
                               f"could not fetch it from the driver ({type(err).__name__}: {err})")
                continue
            output = WorkerOutput(self.tmp, self.counter, spill_chars)
            yield Job(engine, source, task.sha256, task.n_chars, "", output)

    def _source(self, task: DocTask) -> Source:
        if task.data is not None:
            return Source(task.id, None, task.display, task.data)
        import ray

        spool = tempfile.TemporaryFile(dir=self.tmp)  # noqa: SIM115 (closed with the source)
        for ref in task.blocks or []:
            spool.write(ray.get(ref))  # one block in memory at a time
        return Source(task.id, None, task.display, None, spool)

    @staticmethod
    def _send(index: int, output: WorkerOutput, result: DocResult, piece_chars: int) -> Iterator[tuple]:
        review = result.review
        stats = {"sentences": result.n_sentences, "tokens": result.n_tokens,
                 "review": None if review is None else {"counts": review["counts"], "total": review["total"]}}
        if all(file.inline() for _, file in output.files):
            yield ("doc", index, [(suffix, "".join(file.parts)) for suffix, file in output.files], stats)
            return
        yield ("open", index, [suffix for suffix, _ in output.files])
        for number, (_, file) in enumerate(output.files):
            for piece in file.pieces(piece_chars):
                yield ("piece", index, number, piece)
        yield ("end", index, stats)


# --- the driver side ----------------------------------------------------------------------------------------

@dataclass
class _Doc:
    """A document sent to the workers, until it is committed or has failed."""

    pending: Pending
    index: int
    attempts: int = 0  # worker deaths it was caught in
    blocks: list[Any] | None = None  # its bytes in the object store (large documents)

    @property
    def id(self) -> str:
        return self.pending.source.id


@dataclass
class _Batch:
    slot: int  # the worker's place in `RayEngine.actors`
    docs: dict[int, _Doc]  # not yet committed or failed
    submitted: float
    streams: dict[int, tuple[Output, list[SpillFile]]] = field(default_factory=dict)  # large documents arriving
    worker_s: float | None = None


@dataclass
class _Committed:
    """What `Engine.on_commit` reads of a job."""

    output: Output
    key: str
    sha256: str


@dataclass
class _ReviewCounts:
    """What `ReviewSummary.add` reads of a review."""

    doc_id: str
    counts: dict[str, int]
    total: int


class RayEngine:
    """A Ray cluster (joined, or a local instance started for it) and workers holding the model.

    Use as a context manager; `run` processes a collection like `run_collection`, and can be called again.
    A Ray session already open in this process (`ray.init` by the caller) is used as it is and left open.
    """

    def __init__(self, load: Callable[[], Any], model_id: str, options: RayOptions | None = None, *,
                 quiet: bool = False, stderr: TextIO | None = None) -> None:
        self.load, self.model_id = load, model_id
        self.options = options or RayOptions()
        self.quiet = quiet
        self.stderr = stderr or sys.stderr
        self.actors: list[Any] = []
        self.workers: list[dict[str, Any]] = []
        self.stats: dict[str, Any] = {}
        self._ray = None
        self._shutdown = False  # whether closing ends the Ray session (we opened it)
        self._actor_class = None
        self.load_ref = None

    # -- start and stop -------------------------------------------------------------------------------

    def __enter__(self) -> RayEngine:
        try:
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def start(self) -> None:
        o = self.options
        ray = self._ray = import_ray()
        started = time.perf_counter()
        self._connect(ray)
        self.stats["connect_s"] = time.perf_counter() - started
        resource = "GPU" if o.device == "cuda" else "CPU"
        per_worker = 1 if o.device == "cuda" else o.threads_per_worker
        total = ray.cluster_resources().get(resource, 0.0)
        free = ray.available_resources().get(resource, 0.0)
        n = o.workers or max(1, int((free if free >= per_worker else total) // per_worker))
        if n * per_worker > total:
            raise UsageError(f"{n} worker(s) need {n * per_worker:g} {resource}s and the Ray cluster has {total:g}: "
                             "lower --workers or --threads-per-worker")
        self._actor_class = ray.remote(Worker).options(
            num_cpus=o.threads_per_worker, num_gpus=1 if o.device == "cuda" else 0,
            max_restarts=-1, max_task_retries=0)
        self.load_ref = ray.put(self.load)
        self.actors = [self.new_actor() for _ in range(n)]
        try:
            self.workers = ray.get([a.ready.remote([self.load_ref]) for a in self.actors], timeout=o.start_timeout)
        except ray.exceptions.GetTimeoutError:
            raise UsageError(f"the {n} Ray worker(s) did not start within {o.start_timeout:g} s (they need "
                             f"{n * per_worker:g} {resource}s; {free:g} of {total:g} were free)") from None
        except ray.exceptions.RayError as err:
            raise UsageError(f"a Ray worker could not load the model: {_last_line(err)}") from None
        self.stats["start_s"] = time.perf_counter() - started
        self.stats["workers"] = n
        self.stats["hosts"] = len({w["host"] for w in self.workers})
        self._say(f"ray: {n} worker(s) x {o.threads_per_worker} thread(s) on {self.stats['hosts']} host(s), "
                  f"ready in {self.stats['start_s']:.1f} s")

    def _connect(self, ray) -> None:
        o = self.options
        if o.address:
            _probe(o.address, o.probe_timeout)
        if ray.is_initialized():
            return
        if o.address:
            try:
                ray.init(address=o.address, log_to_driver=False, logging_level=logging.ERROR)
            except Exception as err:
                raise UsageError(f"--address {o.address}: cannot join a Ray cluster there ({_last_line(err)})") \
                    from None
        else:
            if o.device == "cuda":
                import torch

                cpus, gpus = os.cpu_count() or 1, o.workers or torch.cuda.device_count()
            else:
                cpus, gpus = (o.workers * o.threads_per_worker if o.workers else os.cpu_count() or 1), 0
            ray.init(num_cpus=cpus, num_gpus=gpus, include_dashboard=False, log_to_driver=False,
                     logging_level=logging.ERROR)
        self._shutdown = True

    def new_actor(self):
        return self._actor_class.remote(self.model_id, self.options.threads_per_worker)

    def close(self) -> None:
        ray = self._ray
        if ray is None:
            return
        started = time.perf_counter()
        with contextlib.suppress(Exception):  # a worker restarting or dead: its successor cleans up
            ray.get([actor.close.remote() for actor in self.actors], timeout=10)
        for actor in self.actors:
            ray.kill(actor, no_restart=True)
        self.actors = []
        if self._shutdown:
            ray.shutdown()
            self._shutdown = False
        self.stats["close_s"] = time.perf_counter() - started
        self._ray = None

    def _say(self, line: str) -> None:
        if not self.quiet:
            print(line, file=self.stderr)

    # -- runs -----------------------------------------------------------------------------------------

    def run(self, inputs: list[str], out: str | Path, settings: Settings, *, stdin=None) -> RunReport:
        """`run_collection` with this engine's workers doing the tagging."""
        dispatch = _Dispatch(self, settings)
        report = run_collection(list(inputs), Path(out), None, self.model_id, settings, quiet=self.quiet,
                                stdin=stdin, stderr=self.stderr, runner=dispatch)
        self.stats["last_run"] = dispatch.summary()
        s = self.stats["last_run"]
        self._say(f"ray: {s['batches']} batches, {s['worker_deaths']} worker death(s), "
                  f"{s['resent']} document(s) sent again")
        return report

    def round_trips(self, n: int = 20) -> list[float]:
        """Seconds of `n` empty batches sent to the first worker one after the other (Ray's cost per batch)."""
        ray, times = self._ray, []
        for _ in range(n):
            started = time.perf_counter()
            call = self.actors[0].process.options(num_returns="streaming").remote([self.load_ref], [], Settings())
            items = [ray.get(ref) for ref in call]
            times.append(time.perf_counter() - started)
            if [item[0] for item in items] != ["batch"]:
                raise RuntimeError(f"an empty batch came back with {items!r}")
        return times


class _Dispatch:
    """One run on the driver: batches out, documents back, each committed once (the `runner` of
    `run_collection`)."""

    def __init__(self, engine: RayEngine, settings: Settings) -> None:
        self.ray_engine, self.ray, self.settings = engine, engine._ray, settings
        self.options = engine.options
        self.in_flight: dict[Any, _Batch] = {}  # streaming call -> its batch
        self.retry: deque[_Doc] = deque()
        self.carry: _Doc | None = None
        self.numbers = itertools.count()
        self.down: dict[int, Any] = {}  # workers that died -> the ping that asks whether they are back
        self.next_ping = 0.0
        self.exhausted = False  # every document of the run has been taken from `pending`
        self.busy = [0] * len(engine.actors)
        self.batches = self.deaths = self.resent = self.replaced = 0
        self.overheads: list[float] = []  # per batch: driver round trip - worker time
        self.worker_s = 0.0
        self.worker_peak_private_kb = 0
        self.streamed = self.blocks = 0  # documents whose outputs came back in pieces; blocks put in the store

    def __call__(self, pending: Iterator[Pending], run: RunDir, engine: Engine) -> None:
        self.pending, self.run, self.engine = pending, run, engine
        n = len(self.ray_engine.actors)
        started = self.last_alive = time.perf_counter()
        try:
            while True:
                self._ping()
                self._fill()
                if not self.in_flight and self._no_more_docs():
                    break
                pings = {ref: slot for slot, ref in self.down.items() if ref is not None}
                ready, _ = self.ray.wait([*self.in_flight, *pings], num_returns=1, timeout=WAIT_S)
                for ref in ready:
                    if ref in pings:
                        self._answered(pings[ref], ref)
                    else:
                        self._advance(ref)
                engine.progress.update(workers_alive=n - len(self.down))
        finally:
            for batch in self.in_flight.values():
                self._drop_streams(batch)
            self.wall_s = time.perf_counter() - started

    def summary(self) -> dict[str, Any]:
        return {"batches": self.batches, "worker_deaths": self.deaths, "resent": self.resent,
                "seconds": self.wall_s, "worker_s": self.worker_s,
                "worker_peak_private_kb": self.worker_peak_private_kb,
                "streamed_docs": self.streamed, "blocks_put": self.blocks,
                "batch_overhead_s": statistics.median(self.overheads) if self.overheads else None,
                "batch_overheads_s": self.overheads}

    # -- workers that died --------------------------------------------------------------------------

    def _ping(self) -> None:
        """Ask the workers that died whether Ray has restarted them (none is sent a batch before it answers)."""
        now = time.perf_counter()
        if len(self.down) < len(self.busy):
            self.last_alive = now
        elif now - self.last_alive > self.options.start_timeout:
            raise UsageError(f"no Ray worker has been alive for {self.options.start_timeout:g} s; re-run the same "
                             "command to resume")
        if now < self.next_ping:
            return
        for slot, ref in self.down.items():
            if ref is None:
                self.down[slot] = self.ray_engine.actors[slot].ready.remote([self.ray_engine.load_ref])

    def _answered(self, slot: int, ref) -> None:
        try:
            self.ray.get(ref)
        except self.ray.exceptions.ActorDiedError:  # dead for good: a new one takes its place
            self._replace(slot)
            self.down[slot] = None
        except self.ray.exceptions.RayError:  # still restarting: ask again a little later
            self.down[slot] = None
            self.next_ping = time.perf_counter() + WAIT_S
        else:
            del self.down[slot]

    def _replace(self, slot: int) -> None:
        self.replaced += 1
        if self.replaced > 2 * len(self.busy) + 2:
            raise UsageError("Ray workers keep dying for good; re-run the same command to resume")
        self.ray_engine.actors[slot] = self.ray_engine.new_actor()

    def _no_more_docs(self) -> bool:
        return self.exhausted and not self.retry and self.carry is None

    # -- sending -----------------------------------------------------------------------------------------

    def _fill(self) -> None:
        """Give every idle worker that is alive a batch, while there are documents."""
        for slot in range(len(self.busy)):
            while not self.busy[slot] and slot not in self.down:
                docs = self._next_docs()
                if not docs:
                    return
                sent = [(doc, task) for doc in docs if (task := self._task(doc)) is not None]
                if not sent:
                    continue
                call = self.ray_engine.actors[slot].process.options(
                    num_returns="streaming", _generator_backpressure_num_objects=BACKPRESSURE).remote(
                    [self.ray_engine.load_ref], [task for _, task in sent], self.settings, self.options.spill_chars)
                self.in_flight[call] = _Batch(slot, {doc.index: doc for doc, _ in sent}, time.perf_counter())
                self.busy[slot] += 1
                self.batches += 1

    def _next_docs(self) -> list[_Doc]:
        """The next batch: a document sent again goes alone; new ones up to `batch_docs` and `batch_bytes`,
        a large one (not in memory) alone."""
        if self.retry:
            return [self.retry.popleft()]
        docs: list[_Doc] = []
        size = 0
        while len(docs) < self.options.batch_docs and size < self.options.batch_bytes:
            if self.carry is not None:
                doc, self.carry = self.carry, None
            else:
                found = next(self.pending, None)
                if found is None:
                    self.exhausted = True
                    break
                doc = _Doc(found, next(self.numbers))
            large = doc.pending.source.data is None
            if large and docs:
                self.carry = doc
                break
            docs.append(doc)
            size += doc.pending.found.n_bytes
            if large:
                break
        return docs

    def _task(self, doc: _Doc) -> DocTask | None:
        source, found = doc.pending.source, doc.pending.found
        task = DocTask(doc.index, source.id, source.display, found.sha256, found.n_chars, source.data)
        if source.data is None:
            if doc.blocks is None:
                try:
                    doc.blocks = self._put_blocks(source)
                except DocumentError as err:
                    self._fail(doc, err.reason, err.detail)
                    return None
                except OSError as err:
                    self._fail(doc, "unreadable", f"{source.display}: {err.strerror or err}")
                    return None
            task.blocks = doc.blocks
        return task

    def _put_blocks(self, source: Source) -> list[Any]:
        blocks = []
        with source.open() as stream:
            while block := stream.read(OBJECT_BLOCK):
                blocks.append(self.ray.put(block))
                self.blocks += 1
        return blocks

    # -- receiving ---------------------------------------------------------------------------------------

    def _advance(self, call) -> None:
        batch = self.in_flight[call]
        try:
            item = self.ray.get(next(call))
        except StopIteration:
            self._end(call, None)
            return
        except Exception as err:  # the worker died, or its batch raised
            self._end(call, err)
            return
        kind, index = item[0], item[1]
        if kind == "batch":
            batch.worker_s = item[1]["seconds"]
            self.worker_peak_private_kb = max(self.worker_peak_private_kb, item[1]["peak_private_kb"])
        elif kind == "doc":
            _, _, files, stats = item
            output = self.run.output(batch.docs[index].id)
            for suffix, text in files:
                output.open(suffix).write(text)
            self._commit(batch.docs.pop(index), output, stats)
        elif kind == "open":
            self.streamed += 1
            output = self.run.output(batch.docs[index].id)
            batch.streams[index] = (output, [output.open(suffix) for suffix in item[2]])
        elif kind == "piece":
            batch.streams[index][1][item[2]].write(item[3])
        elif kind == "end":
            output, _ = batch.streams.pop(index)
            self._commit(batch.docs.pop(index), output, item[2])
        elif kind == "fail":
            self._fail(batch.docs.pop(index), item[2], item[3])

    def _commit(self, doc: _Doc, output: Output, stats: dict[str, Any]) -> None:
        """Move the document's files into place and record it, as the local engine does."""
        e, source = self.engine, doc.pending.source
        result = DocResult(source.id, doc.pending.found.sha256, stats["sentences"], stats["tokens"], [])
        try:
            e.on_commit(_Committed(output, doc.pending.key, doc.pending.found.sha256), result)
        except Exception as err:  # as the local engine: output_exists, unwritable (DocumentError), or a bug
            output.discard()
            if isinstance(err, DocumentError):
                self._fail(doc, err.reason, err.detail)
            else:
                self._fail(doc, "failed", f"{type(err).__name__}: {err}")
            return
        e.n_done += 1
        e.n_sentences += result.n_sentences
        e.n_tokens += result.n_tokens
        if stats["review"] is not None:
            e.review_summary.add(_ReviewCounts(source.id, stats["review"]["counts"], stats["review"]["total"]))
        e.progress.update(done=1, items=result.n_tokens)
        self._forget(doc)

    def _fail(self, doc: _Doc, reason: str, detail: str) -> None:
        self.engine.on_fail(doc.pending.source, reason, detail)
        self._forget(doc)

    def _forget(self, doc: _Doc) -> None:
        doc.pending.source.close()
        doc.blocks = None  # frees its blocks in the object store

    def _end(self, call, error: Exception | None) -> None:
        """A batch is over: every document left in it (all of them, if the worker died) is sent again."""
        batch = self.in_flight.pop(call)
        self.busy[batch.slot] -= 1
        self._drop_streams(batch)
        if error is None and batch.worker_s is not None:
            self.worker_s += batch.worker_s
            self.overheads.append(time.perf_counter() - batch.submitted - batch.worker_s)
        died = isinstance(error, self.ray.exceptions.RayActorError)
        if died:
            self.deaths += 1
            self.down[batch.slot] = None
            if isinstance(error, self.ray.exceptions.ActorDiedError):
                self._replace(batch.slot)
        why = "the worker ended its batch without it" if error is None else _last_line(error)
        for doc in batch.docs.values():
            doc.attempts += 1
            if doc.attempts >= self.options.max_attempts:
                self._fail(doc, "worker_died" if died else "failed",
                           f"{doc.attempts} attempts, the last one lost: {why}")
            else:
                self.resent += 1
                self.retry.append(doc)

    @staticmethod
    def _drop_streams(batch: _Batch) -> None:
        for output, _ in batch.streams.values():
            output.discard()
        batch.streams.clear()


def _probe(address: str, timeout: float) -> None:
    """Fail fast, with a clear message, when nothing listens at `address` (Ray would retry for a minute)."""
    if address in ("auto", "local"):
        return
    host, _, port = address.split("://", 1)[-1].rpartition(":")
    if not host or not port.isdigit():
        raise UsageError(f"--address {address}: expected HOST:PORT (the head node's address that "
                         "`ray start --head` prints) or auto")
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=timeout).close()
    except OSError as err:
        raise UsageError(f"--address {address}: cannot reach a Ray cluster there ({err.strerror or err}); "
                         "start one with `ray start --head`, or leave --address out to start a local one") from None


def orphan_dirs(tmp: Path) -> list[Path]:
    """The temporary directories of workers whose process is gone (killed, they could not remove them)."""
    found = []
    for path in tmp.glob(f"{WORKER_DIR}*-*"):
        pid = path.name[len(WORKER_DIR):].split("-", 1)[0]
        if pid.isdigit() and not _alive(int(pid)):
            found.append(path)
    return found


def _remove_orphans(tmp: Path) -> None:
    for path in orphan_dirs(tmp):
        shutil.rmtree(path, ignore_errors=True)


def _alive(pid: int) -> bool:
    """Whether process `pid` runs (a zombie, killed and not yet reaped, does not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True  # no /proc: a process that answers signals runs
    return stat[stat.rfind(")") + 2:][:1] != "Z"


def private_memory_kb() -> int:
    """This process's resident memory less the shared memory it maps (KiB; Linux), i.e. without the pages of
    Ray's object store that passing objects through it maps in (they belong to the store, not the worker)."""
    fields = {}
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            name, _, value = line.partition(":")
            if name in ("VmRSS", "RssShmem"):
                fields[name] = int(value.split()[0])
    return fields.get("VmRSS", 0) - fields.get("RssShmem", 0)


class MemorySampler:
    """The peak of `private_memory_kb` while the block runs, sampled every `interval` seconds by a thread."""

    def __init__(self, interval: float = 0.05) -> None:
        self.interval = interval
        self.peak_kb = private_memory_kb()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(self.interval):
            self.peak_kb = max(self.peak_kb, private_memory_kb())

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.peak_kb = max(self.peak_kb, private_memory_kb())


def _last_line(err: BaseException) -> str:
    """The last non-empty line of an error's message (Ray's carry whole tracebacks)."""
    lines = [line.strip() for line in str(err).splitlines() if line.strip()]
    return lines[-1] if lines else type(err).__name__


def run_collection_ray(inputs: list[str], out: str | Path, load: Callable[[], Any], model_id: str,
                       settings: Settings, options: RayOptions | None = None, *, quiet: bool = False,
                       stdin=None, stderr: TextIO | None = None) -> RunReport:
    """`run_collection` on a Ray cluster: start (or join) it, start the workers, run, stop them."""
    with RayEngine(load, model_id, options, quiet=quiet, stderr=stderr) as engine:
        return engine.run(inputs, out, settings, stdin=stdin)
