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

from fastner.perf.report import write_json_and_markdown
from fastner.perf.setup import environment
from fastner.serve.client import Connection
from fastner.serve.metrics import parse
from fastner.serve.options import BenchSettings, command_line

KIND = "serve"
SCORE_GAP = 1.5e-4  # answers' scores are rounded to 4 decimals; float rounding across batches may move the last
PACKAGE_PARENT = Path(__file__).resolve().parents[2]
GOAL_SPEEDUP = 2.0
GOAL_ONE_CLIENT = 1.10


@dataclass
class Item:
    """One request body and the record(s) it must be answered with."""

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


# --- servers ---------------------------------------------------------------------------------------------------

@contextlib.contextmanager
def server_process(settings: BenchSettings, max_batch: int, max_queue: int = 256,
                   startup_timeout: float = 180.0) -> Iterator[str]:
    """A `fastner serve` subprocess on a free loopback port; yields its base URL; stopped on exit."""
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
        yield line.split("listening on ")[1].split()[0]
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        proc.stdout.close()


# --- clients ---------------------------------------------------------------------------------------------------

async def _metrics(url: str) -> dict[str, float]:
    conn = Connection(url)
    try:
        return parse((await conn.request("GET", "/metrics")).body.decode())
    finally:
        await conn.close()


async def _closed_loop(url: str, items: list[Item], clients: int, *, stop_at: float | None = None,
                       total: int | None = None, pause_after_429: float = 0.0,
                       marks: tuple[float, ...] = ()) -> tuple[list[Outcome], list[dict[str, float]]]:
    """`clients` closed loops over `items`: until `stop_at` (perf_counter), or `total` requests in all.
    `marks`: times at which `/metrics` is read (returned in order)."""
    outcomes: list[Outcome] = []
    retry_after_missing = 0

    async def client(i: int) -> None:
        nonlocal retry_after_missing
        conn = Connection(url)
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

    async def reader() -> list[dict[str, float]]:
        out = []
        for mark in marks:
            await asyncio.sleep(max(0.0, mark - time.perf_counter()))
            out.append(await _metrics(url))
        return out

    *_, snapshots = await asyncio.gather(*(client(i) for i in range(clients)), reader())
    if retry_after_missing:
        raise AssertionError(f"{retry_after_missing} answer(s) 429 without Retry-After")
    return outcomes, snapshots


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


def _batches(before: dict[str, float], after: dict[str, float]) -> dict[str, float | None]:
    count = after["fastner_batch_sentences_count"] - before["fastner_batch_sentences_count"]
    sentences = after["fastner_batch_sentences_sum"] - before["fastner_batch_sentences_sum"]
    waits = after["fastner_queue_wait_seconds_count"] - before["fastner_queue_wait_seconds_count"]
    wait_s = after["fastner_queue_wait_seconds_sum"] - before["fastner_queue_wait_seconds_sum"]
    return {"batches": int(count), "mean_batch_sentences": sentences / count if count else None,
            "mean_queue_wait_ms": 1000 * wait_s / waits if waits else None}


def _summary(outcomes: list[Outcome], items: list[Item], start: float, end: float) -> dict:
    """Throughput inside [start, end], latency of the requests sent and answered inside it, statuses of all."""
    inside = [o for o in outcomes if start <= o.done <= end and o.status == 200]
    window = end - start
    latencies = [o.done - o.sent for o in inside if o.sent >= start]
    statuses = Counter(str(o.status) for o in outcomes)
    return {"window_s": window, "requests": len(inside),
            "requests_per_s": len(inside) / window,
            "sentences_per_s": sum(items[o.item].sentences for o in inside) / window,
            "tokens_per_s": sum(items[o.item].tokens for o in inside) / window,
            "latency": _percentiles(latencies), "latency_samples": len(latencies),
            "statuses": dict(sorted(statuses.items())),
            "failed": sum(n for s, n in statuses.items() if s != "200")}


def run_timed(url: str, items: list[Item], clients: int, settings: BenchSettings) -> tuple[dict, list[Outcome]]:
    """Closed loops for warm-up + duration; the summary of the measured window."""
    load_before = os.getloadavg()[0]
    begin = time.perf_counter()
    start, end = begin + settings.warmup_s, begin + settings.warmup_s + settings.duration_s
    outcomes, (before, after) = asyncio.run(_closed_loop(url, items, clients, stop_at=end, marks=(start, end)))
    result = {"clients": clients, **_summary(outcomes, items, start, end), **_batches(before, after),
              "loadavg_1m": [load_before, os.getloadavg()[0]]}
    return result, outcomes


def run_counted(url: str, items: list[Item], clients: int, total: int) -> tuple[dict, list[Outcome]]:
    """Closed loops sending `total` requests in all; every request is measured."""
    load_before = os.getloadavg()[0]
    before = asyncio.run(_metrics(url))
    start = time.perf_counter()
    outcomes, _ = asyncio.run(_closed_loop(url, items, clients, total=total))
    end = time.perf_counter()
    after = asyncio.run(_metrics(url))
    result = {"clients": clients, **_summary(outcomes, items, start, end), **_batches(before, after),
              "loadavg_1m": [load_before, os.getloadavg()[0]]}
    return result, outcomes


async def _one_client_comparison(url: str, items: list[Item], texts: list[str], predict: Callable[[str], object]
                                 ) -> list[tuple[float, float, float]]:
    """Per sentence, interleaved: (bare predict s, GET /health round trip s, served POST /tag s)."""
    conn = Connection(url)
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


# --- the whole benchmark ---------------------------------------------------------------------------------------

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


def cpu_flags() -> dict[str, bool]:
    """The vector extensions that matter to torch's CPU kernels."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return {}
    flags = next((line.split(":", 1)[1].split() for line in text.splitlines() if line.startswith("flags")), [])
    return {name: name in flags for name in ("avx2", "avx512f", "avx512_bf16", "amx_bf16")}


def measure(settings: BenchSettings | None = None, progress: Callable[[str], None] = lambda line: None) -> dict:
    """Run the whole benchmark; the JSON the report is rendered from."""
    from fastner.apps.tag import load_model
    from fastner.perf.workloads import load_workload
    from fastner.switches import Switches

    settings = settings or BenchSettings()
    if settings.threads:
        torch.set_num_threads(settings.threads)
    runs: dict[str, dict[str, list[dict]]] = {"sentences": {}, "documents": {}}
    tagger, model_id = load_model(settings.model)
    workload = load_workload(settings.workload)
    sentences = list(workload.sentences)
    documents = ["\n".join(doc) + "\n" for doc in workload.documents]
    progress(f"reference answers for {len(sentences)} sentences and {len(documents)} documents")
    sentence_items = _items(sentences, tagger, model_id)
    document_items = _items(documents, tagger, model_id)
    switches = Switches.preset("fastest")
    loads = {"start": list(os.getloadavg())}
    started = time.perf_counter()
    checked, problems = 0, []

    def record(kind: str, label: str, result: dict, outcomes: list[Outcome], items: list[Item]) -> None:
        nonlocal checked
        n, found = _check(outcomes, items)
        checked += n
        problems.extend(f"{kind} {label} c={result['clients']}: {p}" for p in found[:5])
        result["checked"], result["mismatches"] = n, len(found)
        runs[kind].setdefault(label, []).append(result)
        lat = result["latency"]
        progress(f"{kind:9s} {label:9s} {result['clients']:3d} clients: {result['requests_per_s']:7.2f} req/s, "
                 f"p50 {_ms(lat['p50_ms'])}, p95 {_ms(lat['p95_ms'])} ms, "
                 f"batch {_num(result['mean_batch_sentences'])}, "
                 f"failed {result['failed']}, load {result['loadavg_1m'][1]:.2f}")

    servers = {"batched": settings.max_batch, "max-batch-1": 1}
    with contextlib.ExitStack() as stack:  # both servers up at once, each idle while the other is measured
        urls = {label: stack.enter_context(server_process(settings, mb)) for label, mb in servers.items()}
        n = min(settings.compare_sentences, len(sentences))
        predict = lambda text: tagger.predict([text], 1, switches)  # noqa: E731
        asyncio.run(_one_client_comparison(urls["batched"], sentence_items[:2], sentences[:2], predict))  # warm-up
        comparison = _comparison(asyncio.run(
            _one_client_comparison(urls["batched"], sentence_items[:n], sentences[:n], predict)))
        progress(f"one client: served / (bare predict + HTTP) = {comparison['ratio_median']:.3f}")
        for clients in settings.clients:  # each row's two servers measured back to back, so drift hits both
            for label, url in urls.items():
                result, outcomes = run_timed(url, sentence_items, clients, settings)
                record("sentences", label, result, outcomes, sentence_items)
        for clients in settings.clients:
            for label, url in urls.items():
                result, outcomes = run_counted(url, document_items, clients, max(clients, settings.doc_requests))
                record("documents", label, result, outcomes, document_items)
    with server_process(settings, settings.max_batch, max_queue=settings.overload_queue) as url:
        overload = _overload(url, sentence_items, settings)
        n, found = _check(overload.pop("_outcomes"), sentence_items)
        checked += n
        problems.extend(f"overload: {p}" for p in found[:5])
        overload["checked"], overload["mismatches"] = n, len(found)
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
                     "sentence_tokens_mean": float(np.mean([i.tokens for i in sentence_items])),
                     "document_sentences_mean": float(np.mean([i.sentences for i in document_items]))},
        "runs": runs,
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


def _overload(url: str, items: list[Item], settings: BenchSettings) -> dict:
    load_before = os.getloadavg()[0]
    begin = time.perf_counter()
    stop = begin + settings.overload_s
    outcomes, _ = asyncio.run(_closed_loop(url, items, settings.overload_clients, stop_at=stop,
                                           pause_after_429=0.01))
    end = time.perf_counter()
    summary = _summary(outcomes, items, begin, end)
    statuses = summary["statuses"]
    return {"clients": settings.overload_clients, "max_queue": settings.overload_queue,
            "seconds": end - begin, "statuses": statuses,
            "only_200_and_429": set(statuses) <= {"200", "429"},
            "server_errors": sum(n for s, n in statuses.items() if s.startswith("5")),
            "requests_per_s": summary["requests_per_s"], "latency_200": summary["latency"],
            "loadavg_1m": [load_before, os.getloadavg()[0]], "_outcomes": outcomes}


# --- the report ------------------------------------------------------------------------------------------------

def _ms(x: float | None) -> str:
    return "n/a" if x is None else f"{x:,.0f}" if x >= 100 else f"{x:.1f}"


def _num(x: float | None, digits: int = 1) -> str:
    return "n/a" if x is None else f"{x:.{digits}f}"


def _run(data: dict, kind: str, label: str, clients: int) -> dict | None:
    return next((r for r in data["runs"][kind].get(label, []) if r["clients"] == clients), None)


def goals(data: dict) -> list[tuple[str, str, bool | None]]:
    """(goal, what was measured, met) for the issue's goals; None when the runs needed are missing."""
    top = max(data["settings"]["clients"])
    batched, single = _run(data, "sentences", "batched", top), _run(data, "sentences", "max-batch-1", top)
    out: list[tuple[str, str, bool | None]] = []
    if batched and single and single["requests_per_s"]:
        speedup = batched["requests_per_s"] / single["requests_per_s"]
        out.append((f"{top} clients, single sentences: throughput >= {GOAL_SPEEDUP:g}x `--max-batch 1`",
                    f"{speedup:.2f}x ({batched['requests_per_s']:.1f} vs {single['requests_per_s']:.1f} req/s)",
                    speedup >= GOAL_SPEEDUP))
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
                ", ".join(f"{n} x {s}" for s, n in o["statuses"].items()), o["only_200_and_429"]))
    return out


def render(data: dict) -> str:
    """The markdown report, from the JSON only (the same JSON renders the same bytes)."""
    s, env, checks = data["settings"], data["environment"], data["checks"]
    flags = env.get("cpu_flags", {})
    lines = [
        "# `fastner serve`: load on loopback, dynamic batching against `--max-batch 1`", "",
        f"Generated by `{data['command']}` from the JSON beside it (`reports/data/serve-cpu.json`): do not edit "
        "by hand. Closed-loop clients (each sends a request, waits for the answer, sends the next) over one "
        f"keep-alive connection each, against `fastner serve` subprocesses with `--max-wait-ms {s['max_wait_ms']:g}`; "
        f"model `{data['model']['id']}` ({data['model']['path']}); workload `{s['workload']}`: "
        f"{data['workload']['sentences']} sentences (mean {data['workload']['sentence_tokens_mean']:.1f} tokens) "
        f"in {data['workload']['documents']} documents.", "",
        "## Goals", "", "| goal | measured | met |", "|---|---|---|"]
    lines += [f"| {g} | {m} | {'yes' if ok else 'no' if ok is not None else 'n/a'} |" for g, m, ok in goals(data)]
    lines += ["", f"Outputs checked: {checks['responses_checked']:,} answers compared with the pipeline run directly "
                  f"(spans, offsets, labels identical; scores within {SCORE_GAP:g}): "
                  f"**{checks['mismatches']} mismatches**.", ""]
    for kind, title, note in (
            ("sentences", "Single sentences (one per request)",
             f"measured for {s['duration_s']:g} s after {s['warmup_s']:g} s of warm-up per row"),
            ("documents", "Whole documents (one per request)",
             f"max(clients, {s['doc_requests']}) requests per row, all measured")):
        lines += [f"## {title}", "", f"{note}; latency in ms; batch = mean sentences per predict mini-batch "
                                     "(from the server's `/metrics`).", "",
                  "| server | clients | req/s | sentences/s | tokens/s | p50 | p95 | p99 | batch | "
                  "queue wait ms | failed | load 1m |", "|---|---|---|---|---|---|---|---|---|---|---|---|"]
        for label, rows in data["runs"][kind].items():
            name = f"`--max-batch {s['max_batch']}`" if label == "batched" else "`--max-batch 1`"
            for r in rows:
                lat = r["latency"]
                lines.append(f"| {name} | {r['clients']} | {r['requests_per_s']:.2f} | {r['sentences_per_s']:.1f} | "
                             f"{r['tokens_per_s']:,.0f} | {_ms(lat['p50_ms'])} | {_ms(lat['p95_ms'])} | "
                             f"{_ms(lat['p99_ms'])} | {_num(r['mean_batch_sentences'])} | "
                             f"{_num(r['mean_queue_wait_ms'])} | {r['failed']} | {r['loadavg_1m'][1]:.2f} |")
        lines.append("")
        for clients in s["clients"]:
            b, one = _run(data, kind, "batched", clients), _run(data, kind, "max-batch-1", clients)
            if b and one and one["requests_per_s"]:
                speedup = b["requests_per_s"] / one["requests_per_s"]
                lines.append(f"- {clients} client(s): batching gives {speedup:.2f}x the throughput of `--max-batch 1`.")
        lines.append("")
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
              f"{_ms(lat['p50_ms'])} ms, p95 {_ms(lat['p95_ms'])} ms.", "",
              "## Machine and settings", "",
              f"- CPU: {env['cpu_model']}, {env['cpu_count']} cores; flags: "
              + ", ".join(f"{k} {'yes' if v else 'no'}" for k, v in flags.items())
              + f" (AVX512-BF16: {'yes' if flags.get('avx512_bf16') else 'no'}).",
              f"- torch {env['torch']}; torch threads: {s['threads'] or 'torch default'} in each server and "
              f"{env['torch_threads']} for the direct predicts (one per process: with more, processes sharing a few "
              f"cores stall at OpenMP barriers); Python {env['python']}; fastner {env['git_commit']}.",
              f"- Load average (1, 5, 15 min): {_loads(data['loadavg']['start'])} at the start, "
              f"{_loads(data['loadavg']['end'])} at the end (the machine is shared; the clients run on the same "
              f"cores as the server). Total {data['seconds']:.0f} s.",
              f"- Settings: `--max-batch {s['max_batch']}` (batched) and 1, `--max-wait-ms {s['max_wait_ms']:g}`, "
              "`--max-queue 256` (overload: as above), default `--max-batch-tokens`; preset `fastest`.", "",
              f"Regenerate: `{data['command']}` (about {data['seconds'] / 60:.0f} minutes).", ""]
    return "\n".join(lines)


def _loads(values: list[float]) -> str:
    return ", ".join(f"{v:.2f}" for v in values)


def stem(data: dict) -> str:
    """`serve-cpu`: the report's file name stem (the service runs on the CPU)."""
    return f"serve-{data['environment']['device']}"


def write(data: dict, out_dir: Path) -> tuple[Path, Path]:
    return write_json_and_markdown(data, render(data), out_dir, stem(data))
