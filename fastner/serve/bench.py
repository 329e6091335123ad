"""`fastner serve-bench`: the load benchmark of `fastner serve` on loopback, and its report (kind "serve").

Servers are `fastner serve` subprocesses (their own interpreter, as in production); clients are asyncio
closed loops in this process (`client.Connection`, one keep-alive connection each): a client sends a
request, waits for the answer, sends the next.

- *Single sentences*: the sentences of the bundled `legal` workload, one per `POST /tag` request, client i
  sending sentences i, i + c, i + 2c...; measured for `duration_s` after `warmup_s`, at each number of
  clients, with batching (`--max-batch 32`) and without (`--max-batch 1`).
- *Whole documents*: the workload's documents, one per request, `max(c, doc_requests)` requests per run.
- *Latency at one client*: each of the first `compare_sentences` sentences predicted alone in this process
  (`predict` of the string, batch of one) and sent to the batching server, interleaved, with a `GET /health`
  round trip (the HTTP cost) before each.
- *Overload*: `overload_clients` clients against a server with `--max-queue overload_queue`: every answer
  must be 200 or 429 (with Retry-After).

Every 200 answer is checked against the record the pipeline gives directly for the same text (same model,
`process_texts`): sentences, offsets, labels, texts identical, scores within `SCORE_GAP`. Throughput counts
the answers completed inside the measured window; latency percentiles are over the requests sent and
answered inside it; the mean batch size is read from the server's own `/metrics` (batches predicted inside
the window). The load average (1 minute) is recorded before and after each run: the machine may be shared.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import queue
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

from fastner.devices import cpu_flags
from fastner.options import command_line
from fastner.perf.setup import environment
from fastner.reports import write_json_and_markdown
from fastner.serve.client import Connection
from fastner.serve.metrics import parse
from fastner.serve.options import BenchSettings

KIND = "serve"
SCORE_GAP = 1.5e-4  # answers' scores are rounded to 4 decimals; float rounding across batches may move the last
PACKAGE_PARENT = Path(__file__).resolve().parents[2]
GOAL_SPEEDUP = 2.0
GOAL_ONE_CLIENT = 1.10


@dataclass
class Item:
    """One request body and the record it must be answered with."""

    body: bytes
    expected: dict
    sentences: int
    tokens: int


@dataclass
class Outcome:
    item: int
    sent: float
    done: float
    status: int  # 0: no answer (connection error)
    body: bytes


@dataclass
class Server:
    """A running `fastner serve` subprocess."""

    url: str
    pid: int

    def cpu_s(self) -> float | None:
        """CPU seconds (user + system) the server process has used so far; None where /proc is missing."""
        try:
            fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Snapshot:
    metrics: dict[str, float]
    cpu_s: float | None


@dataclass
class Window:
    """One measured window: the answers, and the server's metrics and CPU time at both ends."""

    start: float
    end: float
    before: Snapshot
    after: Snapshot
    outcomes: list[Outcome]


# --- servers ---------------------------------------------------------------------------------------------------

@contextlib.contextmanager
def server_process(settings: BenchSettings, max_batch: int, max_queue: int = 256,
                   startup_timeout: float = 180.0) -> Iterator[Server]:
    """A `fastner serve` subprocess on a free loopback port; stopped on exit."""
    command = [sys.executable, "-m", "fastner.cli", "serve", "--port", "0", "--max-batch", str(max_batch),
               "--max-queue", str(max_queue), "--max-wait-ms", str(settings.max_wait_ms), "--log-level", "warning"]
    if settings.model:
        command += ["--model", settings.model]
    if settings.threads:
        command += ["--threads", str(settings.threads)]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(PACKAGE_PARENT),
                                                                    os.environ.get("PYTHONPATH")])))
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env)
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: lines.put(proc.stdout.readline()), daemon=True).start()
    try:
        try:
            line = lines.get(timeout=startup_timeout)
        except queue.Empty:
            raise RuntimeError("fastner serve did not start in time") from None
        if "listening on " not in line:
            raise RuntimeError(f"fastner serve did not start: {line.strip() or 'no output'}")
        yield Server(line.split("listening on ")[1].split()[0], proc.pid)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        proc.stdout.close()


# --- clients ---------------------------------------------------------------------------------------------------

async def _snapshot(server: Server) -> Snapshot:
    cpu = server.cpu_s()
    conn = Connection(server.url)
    try:
        return Snapshot(parse((await conn.request("GET", "/metrics")).body.decode()), cpu)
    finally:
        await conn.close()


async def _closed_loop(server: Server, items: list[Item], clients: int, *, stop_at: float | None = None,
                       total: int | None = None, pause_after_429: float = 0.0,
                       marks: tuple[float, ...] = ()) -> tuple[list[Outcome], list[Snapshot]]:
    """`clients` closed loops over `items`: until `stop_at` (perf_counter), or `total` requests in all.
    `marks`: times at which the server's metrics and CPU time are read (returned in order)."""
    outcomes: list[Outcome] = []
    retry_after_missing = 0

    async def client(i: int) -> None:
        nonlocal retry_after_missing
        conn = Connection(server.url)
        k = 0
        try:
            while True:
                n = i + k * clients
                if (total is not None and n >= total) or (stop_at is not None and time.perf_counter() >= stop_at):
                    return
                index = n % len(items)
                sent = time.perf_counter()
                try:
                    response = await conn.request("POST", "/tag", items[index].body)
                    status, body = response.status, response.body
                    if status == 429 and "retry-after" not in response.headers:
                        retry_after_missing += 1
                except (TimeoutError, OSError, asyncio.IncompleteReadError):
                    await conn.close()
                    status, body = 0, b""
                outcomes.append(Outcome(index, sent, time.perf_counter(), status, body))
                if status == 429 and pause_after_429:
                    await asyncio.sleep(pause_after_429)
                k += 1
        finally:
            await conn.close()

    async def reader() -> list[Snapshot]:
        out = []
        for mark in marks:
            await asyncio.sleep(max(0.0, mark - time.perf_counter()))
            out.append(await _snapshot(server))
        return out

    *_, snapshots = await asyncio.gather(*(client(i) for i in range(clients)), reader())
    if retry_after_missing:
        raise AssertionError(f"{retry_after_missing} answer(s) 429 without Retry-After")
    return outcomes, snapshots


def run_timed(server: Server, items: list[Item], clients: int, settings: BenchSettings) -> Window:
    """Closed loops for warm-up + one measured window of `duration_s`."""
    begin = time.perf_counter()
    start, end = begin + settings.warmup_s, begin + settings.warmup_s + settings.duration_s
    outcomes, (before, after) = asyncio.run(_closed_loop(server, items, clients, stop_at=end, marks=(start, end)))
    return Window(start, end, before, after, outcomes)


def run_counted(server: Server, items: list[Item], clients: int, total: int) -> Window:
    """Closed loops sending `total` requests in all, every one measured."""
    before = asyncio.run(_snapshot(server))
    start = time.perf_counter()
    outcomes, _ = asyncio.run(_closed_loop(server, items, clients, total=total))
    end = time.perf_counter()
    return Window(start, end, before, asyncio.run(_snapshot(server)), outcomes)


async def _one_client_comparison(server: Server, items: list[Item], texts: list[str],
                                 predict: Callable[[str], object]) -> list[tuple[float, float, float]]:
    """Per sentence, interleaved: (bare predict s, GET /health round trip s, served POST /tag s)."""
    conn = Connection(server.url)
    out = []
    try:
        for item, text in zip(items, texts):
            t0 = time.perf_counter()
            predict(text)
            t1 = time.perf_counter()
            health = await conn.request("GET", "/health")
            t2 = time.perf_counter()
            served = await conn.request("POST", "/tag", item.body)
            t3 = time.perf_counter()
            if health.status != 200 or served.status != 200:
                raise AssertionError(f"one-client comparison: answers {health.status}, {served.status}")
            if (problem := _difference(json.loads(served.body), item.expected)) is not None:
                raise AssertionError(f"one-client comparison: answer differs: {problem}")
            out.append((t1 - t0, t2 - t1, t3 - t2))
    finally:
        await conn.close()
    return out


# --- checking and summing up -------------------------------------------------------------------------------------

def _check(outcomes: list[Outcome], items: list[Item]) -> tuple[int, list[str]]:
    """(200 answers checked, descriptions of those that differ from the direct pipeline's record)."""
    checked, problems = 0, []
    for o in outcomes:
        if o.status != 200:
            continue
        checked += 1
        problem = _difference(json.loads(o.body), items[o.item].expected)
        if problem:
            problems.append(f"item {o.item}: {problem}")
    return checked, problems


def _difference(got, want, path: str = "") -> str | None:
    """Where two JSON values differ (numbers under "score" may differ by SCORE_GAP), or None."""
    if isinstance(want, dict):
        if not isinstance(got, dict) or got.keys() != want.keys():
            return f"{path}: keys differ"
        for key in want:
            if key == "score" and isinstance(want[key], float) and isinstance(got[key], float):
                if abs(got[key] - want[key]) > SCORE_GAP:
                    return f"{path}.score: {got[key]} != {want[key]}"
            elif (found := _difference(got[key], want[key], f"{path}.{key}")) is not None:
                return found
        return None
    if isinstance(want, list):
        if not isinstance(got, list) or len(got) != len(want):
            return f"{path}: lengths differ"
        for i, (g, w) in enumerate(zip(got, want)):
            if (found := _difference(g, w, f"{path}[{i}]")) is not None:
                return found
        return None
    return None if got == want else f"{path}: {got!r} != {want!r}"


def _percentiles(seconds: list[float]) -> dict[str, float | None]:
    if not seconds:
        return {"p50_ms": None, "p95_ms": None, "p99_ms": None, "mean_ms": None}
    ms = np.asarray(seconds) * 1000
    return {"p50_ms": float(np.percentile(ms, 50)), "p95_ms": float(np.percentile(ms, 95)),
            "p99_ms": float(np.percentile(ms, 99)), "mean_ms": float(ms.mean())}


def _delta(windows: list[Window], key: str) -> float:
    return sum(w.after.metrics[key] - w.before.metrics[key] for w in windows)


def summarize(windows: list[Window], items: list[Item], clients: int) -> dict:
    """One table row from the windows of one (workload kind, server, clients): throughput per window (median
    across windows), latency over the requests sent and answered inside the windows, batch sizes and queue
    wait from the server's metrics, the server's CPU time per answered request, statuses of every answer."""
    inside = [[o for o in w.outcomes if w.start <= o.done <= w.end and o.status == 200] for w in windows]
    spans = [w.end - w.start for w in windows]
    rates = [len(done) / span for done, span in zip(inside, spans)]
    answered = sum(map(len, inside))
    latencies = [o.done - o.sent for w, done in zip(windows, inside) for o in done if o.sent >= w.start]
    statuses = Counter(str(o.status) for w in windows for o in w.outcomes)
    batches = _delta(windows, "fastner_batch_sentences_count")
    waits = _delta(windows, "fastner_queue_wait_seconds_count")
    cpu = None if any(w.before.cpu_s is None or w.after.cpu_s is None for w in windows) else sum(
        w.after.cpu_s - w.before.cpu_s for w in windows)
    return {
        "clients": clients, "windows": len(windows), "window_s": sum(spans), "requests": answered,
        "requests_per_s": float(np.median(rates)), "requests_per_s_windows": rates,
        "sentences_per_s": float(np.median([sum(items[o.item].sentences for o in done) / span
                                            for done, span in zip(inside, spans)])),
        "tokens_per_s": float(np.median([sum(items[o.item].tokens for o in done) / span
                                         for done, span in zip(inside, spans)])),
        "latency": _percentiles(latencies), "latency_samples": len(latencies),
        "statuses": dict(sorted(statuses.items())), "failed": sum(n for st, n in statuses.items() if st != "200"),
        "batches": int(batches),
        "mean_batch_sentences": _delta(windows, "fastner_batch_sentences_sum") / batches if batches else None,
        "mean_queue_wait_ms": 1000 * _delta(windows, "fastner_queue_wait_seconds_sum") / waits if waits else None,
        "predict_busy": _delta(windows, "fastner_predict_seconds_sum") / sum(spans),
        "server_cpu_ms_per_request": 1000 * cpu / answered if cpu is not None and answered else None,
        "server_cores": cpu / sum(spans) if cpu is not None else None,
    }


def _items(texts: list[str], tagger, model_id: str) -> list[Item]:
    """Request bodies and the records the pipeline gives for them directly (the reference answers)."""
    from fastner.apps.pipeline import Settings, process_texts

    results = process_texts(texts, tagger, Settings(mode="tag", review=False), model_id, ids=["doc0"] * len(texts))
    if len(results) != len(texts):
        raise RuntimeError("the pipeline refused a workload text")
    out = []
    for text, result in zip(texts, results):
        out.append(Item(json.dumps({"text": text}, ensure_ascii=False).encode("utf-8"),
                        json.loads(result.files[".jsonl"]), result.n_sentences, result.n_tokens))
    return out


# --- the whole benchmark ---------------------------------------------------------------------------------------

LABELS = ("batched", "max-batch-1")


def measure(settings: BenchSettings | None = None, progress: Callable[[str], None] = lambda line: None) -> dict:
    """Run the whole benchmark; the JSON the report is rendered from."""
    from fastner.apps.tag import load_model
    from fastner.perf.workloads import load_workload
    from fastner.switches import Switches

    settings = settings or BenchSettings()
    if settings.threads:
        torch.set_num_threads(settings.threads)
    tagger, model_id = load_model(settings.model)
    workload = load_workload(settings.workload)
    sentences = list(workload.sentences)
    documents = ["\n".join(doc) + "\n" for doc in workload.documents]
    progress(f"reference answers for {len(sentences)} sentences and {len(documents)} documents")
    items = {"sentences": _items(sentences, tagger, model_id), "documents": _items(documents, tagger, model_id)}
    switches = Switches.preset("fastest")
    loads = {"start": list(os.getloadavg())}
    started = time.perf_counter()
    runs: dict[str, dict[str, list[dict]]] = {kind: {label: [] for label in LABELS} for kind in items}
    paired: dict[str, dict[str, list[float]]] = {kind: {} for kind in items}
    checked, problems = 0, []

    def measured(kind: str, label: str, windows: list[Window], clients: int, load_before: float) -> dict:
        nonlocal checked
        for w in windows:
            n, found = _check(w.outcomes, items[kind])
            checked += n
            problems.extend(f"{kind} {label} c={clients}: {p}" for p in found[:5])
        row = {**summarize(windows, items[kind], clients), "loadavg_1m": [load_before, os.getloadavg()[0]]}
        runs[kind][label].append(row)
        lat = row["latency"]
        progress(f"{kind:9s} {label:11s} {clients:3d} clients: {row['requests_per_s']:7.2f} req/s, "
                 f"p50 {_ms(lat['p50_ms'])}, p95 {_ms(lat['p95_ms'])} ms, batch {_num(row['mean_batch_sentences'])}, "
                 f"server CPU {_num(row['server_cpu_ms_per_request'])} ms/req, failed {row['failed']}, "
                 f"load {row['loadavg_1m'][1]:.2f}")
        return row

    with contextlib.ExitStack() as stack:  # both servers up at once, each idle while the other is measured
        servers = {"batched": stack.enter_context(server_process(settings, settings.max_batch)),
                   "max-batch-1": stack.enter_context(server_process(settings, 1))}
        n = min(settings.compare_sentences, len(sentences))
        predict = lambda text: tagger.predict([text], 1, switches)  # noqa: E731
        head = items["sentences"]
        asyncio.run(_one_client_comparison(servers["batched"], head[:2], sentences[:2], predict))  # warm-up
        comparison = _comparison(asyncio.run(_one_client_comparison(servers["batched"], head[:n], sentences[:n],
                                                                    predict)))
        progress(f"one client: served / (bare predict + HTTP) = {comparison['ratio_median']:.3f}")
        for clients in settings.clients:  # windows alternate between the servers: drift of the machine hits both
            windows: dict[str, list[Window]] = {label: [] for label in LABELS}
            load_before = os.getloadavg()[0]
            for r in range(settings.rounds):
                for label in (LABELS if r % 2 == 0 else LABELS[::-1]):
                    windows[label].append(run_timed(servers[label], head, clients, settings))
            rows = {label: measured("sentences", label, windows[label], clients, load_before) for label in LABELS}
            paired["sentences"][str(clients)] = [b / m if m else None for b, m in zip(
                rows["batched"]["requests_per_s_windows"], rows["max-batch-1"]["requests_per_s_windows"])]
        for clients in settings.clients:
            rows = {}
            for label in LABELS:
                load_before = os.getloadavg()[0]
                window = run_counted(servers[label], items["documents"], clients, max(clients, settings.doc_requests))
                rows[label] = measured("documents", label, [window], clients, load_before)
            paired["documents"][str(clients)] = [rows["batched"]["requests_per_s"] /
                                                 rows["max-batch-1"]["requests_per_s"]]
    with server_process(settings, settings.max_batch, max_queue=settings.overload_queue) as server:
        overload, outcomes = _overload(server, head, settings)
        n_checked, found = _check(outcomes, head)
        checked += n_checked
        problems.extend(f"overload: {p}" for p in found[:5])
        progress(f"overload: statuses {overload['statuses']}")
    loads["end"] = list(os.getloadavg())
    failures = [f"{kind} {label} c={r['clients']}: statuses {r['statuses']}" for kind, by in runs.items()
                for label, rs in by.items() for r in rs if r["failed"]]
    return {
        "kind": KIND,
        "settings": {**asdict(settings), "clients": list(settings.clients)},
        "model": {"id": model_id, "path": settings.model or "bundled (fastner/models/default)",
                  "tag_types": list(tagger.tag_types)},
        "workload": {"name": settings.workload, "sentences": len(sentences), "documents": len(documents),
                     "sentence_tokens_mean": float(np.mean([i.tokens for i in head])),
                     "document_sentences_mean": float(np.mean([i.sentences for i in items["documents"]]))},
        "runs": runs,
        "speedup_windows": paired,
        "one_client": comparison,
        "overload": overload,
        "checks": {"responses_checked": checked, "mismatches": len(problems), "examples": problems[:10],
                   "failed_requests_below_queue_limit": failures, "passed": not problems},
        "loadavg": loads,
        "seconds": time.perf_counter() - started,
        "environment": {**environment(torch.device("cpu")), "cpu_flags": cpu_flags()},
        "command": command_line("fastner serve-bench", settings),
    }


def _comparison(rows: list[tuple[float, float, float]]) -> dict:
    bare, http, served = (np.asarray(col) * 1000 for col in zip(*rows))
    ratios = served / (bare + np.median(http))
    return {"sentences": len(rows), "bare_predict_ms": _percentiles(list(bare / 1000)),
            "http_roundtrip_ms": _percentiles(list(http / 1000)), "served_ms": _percentiles(list(served / 1000)),
            "ratio_median": float(np.median(ratios)),
            "ratio_of_means": float(served.mean() / (bare.mean() + http.mean()))}


def _overload(server: Server, items: list[Item], settings: BenchSettings) -> tuple[dict, list[Outcome]]:
    load_before = os.getloadavg()[0]
    before = asyncio.run(_snapshot(server))
    begin = time.perf_counter()
    outcomes, _ = asyncio.run(_closed_loop(server, items, settings.overload_clients,
                                           stop_at=begin + settings.overload_s, pause_after_429=0.01))
    window = Window(begin, time.perf_counter(), before, asyncio.run(_snapshot(server)), outcomes)
    row = summarize([window], items, settings.overload_clients)
    statuses = row["statuses"]
    return {"clients": settings.overload_clients, "max_queue": settings.overload_queue, "seconds": row["window_s"],
            "statuses": statuses, "only_200_and_429": set(statuses) <= {"200", "429"},
            "server_errors": sum(n for st, n in statuses.items() if st.startswith("5")),
            "requests_per_s": row["requests_per_s"], "latency_200": row["latency"],
            "mean_batch_sentences": row["mean_batch_sentences"],
            "loadavg_1m": [load_before, os.getloadavg()[0]]}, outcomes


# --- the report ------------------------------------------------------------------------------------------------

def _ms(x: float | None) -> str:
    return "n/a" if x is None else f"{x:,.0f}" if x >= 100 else f"{x:.1f}"


def _num(x: float | None, digits: int = 1) -> str:
    return "n/a" if x is None else f"{x:.{digits}f}"


def _run(data: dict, kind: str, label: str, clients: int) -> dict | None:
    return next((r for r in data["runs"][kind].get(label, []) if r["clients"] == clients), None)


def speedup(data: dict, kind: str, clients: int) -> float | None:
    """Throughput of batching over `--max-batch 1`: the median of the ratios of windows measured back to back."""
    ratios = [r for r in data["speedup_windows"][kind].get(str(clients), []) if r is not None]
    return float(np.median(ratios)) if ratios else None


def goals(data: dict) -> list[tuple[str, str, bool | None]]:
    """(goal, what was measured, met) for the issue's goals; None when the runs needed are missing."""
    top = max(data["settings"]["clients"])
    batched, single = _run(data, "sentences", "batched", top), _run(data, "sentences", "max-batch-1", top)
    out: list[tuple[str, str, bool | None]] = []
    gain = speedup(data, "sentences", top)
    if batched and single and gain is not None:
        out.append((f"{top} clients, single sentences: throughput >= {GOAL_SPEEDUP:g}x `--max-batch 1`",
                    f"{gain:.2f}x (median of paired windows; {batched['requests_per_s']:.1f} vs "
                    f"{single['requests_per_s']:.1f} req/s)", gain >= GOAL_SPEEDUP))
        p95, p95_single = batched["latency"]["p95_ms"], single["latency"]["p95_ms"]
        out.append((f"{top} clients, single sentences: p95 latency no worse than `--max-batch 1`",
                    f"{_ms(p95)} ms vs {_ms(p95_single)} ms",
                    None if p95 is None or p95_single is None else p95 <= p95_single))
    one = data.get("one_client")
    if one:
        out.append((f"1 client: latency within {100 * (GOAL_ONE_CLIENT - 1):.0f}% of a bare predict of one sentence "
                    "plus HTTP", f"median ratio {one['ratio_median']:.3f} (ratio of means {one['ratio_of_means']:.3f})",
                    one["ratio_median"] <= GOAL_ONE_CLIENT))
    failed = data["checks"]["failed_requests_below_queue_limit"]
    out.append(("zero failed requests below the queue limit", "none" if not failed else "; ".join(failed), not failed))
    o = data["overload"]
    out.append((f"overload ({o['clients']} clients, `--max-queue {o['max_queue']}`): only 429s, never a 5xx",
                ", ".join(f"{n:,} x {st}" for st, n in o["statuses"].items()), o["only_200_and_429"]))
    return out


def _table(data: dict, kind: str) -> list[str]:
    s = data["settings"]
    lines = ["| server | clients | req/s | sentences/s | tokens/s | p50 | p95 | p99 | batch | queue wait ms | "
             "predict busy | server CPU ms/answer | server cores | failed | load 1m |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for clients in s["clients"]:
        for label in LABELS:
            r = _run(data, kind, label, clients)
            if r is None:
                continue
            lat = r["latency"]
            name = f"`--max-batch {s['max_batch']}`" if label == "batched" else "`--max-batch 1`"
            lines.append(f"| {name} | {clients} | {r['requests_per_s']:.2f} | {r['sentences_per_s']:.1f} | "
                         f"{r['tokens_per_s']:,.0f} | {_ms(lat['p50_ms'])} | {_ms(lat['p95_ms'])} | "
                         f"{_ms(lat['p99_ms'])} | {_num(r['mean_batch_sentences'])} | "
                         f"{_num(r['mean_queue_wait_ms'])} | {100 * r['predict_busy']:.0f}% | "
                         f"{_num(r['server_cpu_ms_per_request'])} | "
                         f"{_num(r['server_cores'], 2)} | {r['failed']} | "
                         f"{r['loadavg_1m'][1]:.2f} |")
    lines.append("")
    for clients in s["clients"]:
        b, one, gain = (_run(data, kind, "batched", clients), _run(data, kind, "max-batch-1", clients),
                        speedup(data, kind, clients))
        if b is None or one is None or gain is None:
            continue
        windows = data["speedup_windows"][kind][str(clients)]
        line = f"- {clients} client(s): batching gives **{gain:.2f}x** the throughput of `--max-batch 1`"
        if len(windows) > 1:
            line += " (windows: " + ", ".join(_num(w, 2) for w in windows) + ")"
        if b["server_cpu_ms_per_request"] and one["server_cpu_ms_per_request"]:
            line += (f"; CPU per answer {_num(b['server_cpu_ms_per_request'])} ms against "
                     f"{_num(one['server_cpu_ms_per_request'])} ms")
        if b["mean_batch_sentences"] == 1.0 and kind == "sentences":
            line += " (both servers predict batches of one here: the spread is the machine's noise)"
        lines.append(line + ".")
    return [*lines, ""]


def _cpu_note(data: dict) -> list[str]:
    """What the servers' CPU time says at the largest number of clients (single sentences)."""
    top = max(data["settings"]["clients"])
    b, one = _run(data, "sentences", "batched", top), _run(data, "sentences", "max-batch-1", top)
    if not (b and one and b["server_cpu_ms_per_request"] and one["server_cpu_ms_per_request"]):
        return []
    return [f"At {top} clients the batching server spends {_num(b['server_cpu_ms_per_request'])} ms of CPU per answer "
            f"against {_num(one['server_cpu_ms_per_request'])} ms for `--max-batch 1` "
            f"({one['server_cpu_ms_per_request'] / b['server_cpu_ms_per_request']:.2f}x less), with its predict thread "
            f"busy {100 * b['predict_busy']:.0f}% of the time; it got {_num(b['server_cores'], 2)} cores of the shared "
            f"machine and the other {_num(one['server_cores'], 2)}: the throughput ratio is the CPU ratio scaled by "
            "the share of CPU each got.", ""]


def render(data: dict) -> str:
    """The markdown report, from the JSON only (the same JSON renders the same bytes)."""
    s, env, checks = data["settings"], data["environment"], data["checks"]
    flags = env.get("cpu_flags", {})
    lines = [
        "# `fastner serve`: load on loopback, dynamic batching against `--max-batch 1`", "",
        f"Generated by `{data['command']}` from the JSON beside it (`reports/data/serve-cpu.json`): do not edit "
        "by hand. Closed-loop clients (each sends a request, waits for the answer, sends the next) over one "
        "keep-alive connection each, against two `fastner serve` subprocesses up at once (`--max-batch "
        f"{s['max_batch']}` and `--max-batch 1`, `--max-wait-ms {s['max_wait_ms']:g}`); model `{data['model']['id']}` "
        f"({data['model']['path']}); workload `{s['workload']}`: {data['workload']['sentences']} sentences "
        f"(mean {data['workload']['sentence_tokens_mean']:.1f} tokens) in {data['workload']['documents']} documents "
        f"(mean {data['workload']['document_sentences_mean']:.1f} sentences).", "",
        "## Goals", "", "| goal | measured | met |", "|---|---|---|"]
    lines += [f"| {g} | {m} | {'yes' if ok else 'no' if ok is not None else 'n/a'} |" for g, m, ok in goals(data)]
    lines += ["", f"Outputs checked: {checks['responses_checked']:,} answers compared with the pipeline run directly "
                  f"(sentences, spans, offsets, labels, texts identical; scores within {SCORE_GAP:g}): "
                  f"**{checks['mismatches']} mismatches**.", "",
              "Columns: req/s, sentences/s and tokens/s answered inside the measured windows (median across windows); "
              "latency (ms) of the requests sent and answered inside them; batch = mean sentences per predict "
              "mini-batch, queue wait = mean wait before a request's first sentence enters a batch and predict busy = "
              "share of the time the predict thread spent predicting, all from the server's own `/metrics`; server "
              "CPU = the server process's CPU time (all threads) per answer, and in cores over the windows (how much "
              "CPU it got on the shared machine); load 1m = load average at the row's end.", "",
              *_cpu_note(data),
              "## Single sentences (one per request)", "",
              f"{s['rounds']} windows of {s['duration_s']:g} s per row, each after {s['warmup_s']:g} s of warm-up, "
              "alternating between the two servers (speedups are medians of the ratios of windows measured back "
              "to back).", "", *_table(data, "sentences"),
              "## Whole documents (one per request)", "",
              f"max(clients, {s['doc_requests']}) requests per row, all measured; the two servers back to back.", "",
              *_table(data, "documents")]
    one = data.get("one_client")
    if one:
        lines += ["## One client: served latency against a bare predict", "",
                  f"The first {one['sentences']} sentences, each predicted alone in the benchmark's process (`predict` "
                  "of the string, batch of one) and sent to the batching server, interleaved, with a `GET /health` "
                  "round trip (the HTTP cost) before each. Milliseconds:", "",
                  "| what | p50 | p95 | mean |", "|---|---|---|---|"]
        for name, key in (("bare predict", "bare_predict_ms"), ("HTTP round trip (`GET /health`)", "http_roundtrip_ms"),
                          ("served `POST /tag`", "served_ms")):
            p = one[key]
            lines.append(f"| {name} | {_ms(p['p50_ms'])} | {_ms(p['p95_ms'])} | {_ms(p['mean_ms'])} |")
        lines += ["", f"Served / (bare predict + median HTTP round trip), per sentence: median "
                      f"**{one['ratio_median']:.3f}**; ratio of the means {one['ratio_of_means']:.3f}.", ""]
    o = data["overload"]
    lat = o["latency_200"]
    lines += ["## Overload", "",
              f"{o['clients']} clients for {o['seconds']:.1f} s against `--max-queue {o['max_queue']}` (a client "
              "answered 429 sends its next request 10 ms later): answers "
              + ", ".join(f"{n:,} x {st}" for st, n in o["statuses"].items())
              + f"; {o['server_errors']} server errors; the 200s: {o['requests_per_s']:.1f} req/s, p50 "
              f"{_ms(lat['p50_ms'])} ms, p95 {_ms(lat['p95_ms'])} ms, mean batch "
              f"{_num(o['mean_batch_sentences'])} sentences.", "",
              "## Machine and settings", "",
              f"- CPU: {env['cpu_model']}, {env['cpu_count']} cores; flags: "
              + ", ".join(f"{k} {'yes' if v else 'no'}" for k, v in flags.items())
              + f" (AVX512-BF16: {'yes' if flags.get('avx512_bf16') else 'no'}).",
              f"- torch {env['torch']}; torch threads: {s['threads'] or 'torch default'} in each server and "
              f"{env['torch_threads']} for the direct predicts (one per process: with more, processes sharing a few "
              f"cores stall at OpenMP barriers); Python {env['python']}; fastner {env['git_commit']}.",
              f"- Load average (1, 5, 15 min): {_loads(data['loadavg']['start'])} at the start, "
              f"{_loads(data['loadavg']['end'])} at the end: the machine is shared with other work, and the clients "
              f"run on the same cores as the servers. Total {data['seconds']:.0f} s.",
              f"- Settings: `--max-batch {s['max_batch']}` and 1, `--max-wait-ms {s['max_wait_ms']:g}`, "
              "`--max-queue 256` (overload: as above), default `--max-batch-tokens`; preset `fastest`.", "",
              f"Regenerate: `{data['command']}` (about {max(1, round(data['seconds'] / 60))} minutes).", ""]
    return "\n".join(lines)


def _loads(values: list[float]) -> str:
    return ", ".join(f"{v:.2f}" for v in values)


def stem(data: dict) -> str:
    """`serve-cpu`: the report's file name stem (the service runs on the CPU)."""
    return f"serve-{data['environment']['device']}"


def write(data: dict, out_dir: Path) -> tuple[Path, Path]:
    return write_json_and_markdown(data, render(data), out_dir, stem(data))
