"""The service's counters and histograms, rendered in the Prometheus text format (`GET /metrics`).

Metrics (all names start with `fastner_`): requests by endpoint and status, request latency, queue wait
(a submission's arrival to its first sentence entering a batch), batch sizes in sentences and tokens,
predict time per batch, sentences and tokens tagged, tokens/s over the last `RATE_WINDOW_S` seconds,
requests cancelled by their clients; values given at render time (queue depth, sentences dropped with
cancelled requests). Thread-safe: the worker thread and the event loop both record.
"""

from __future__ import annotations

import bisect
import math
import threading
import time
from collections import Counter, deque

ENDPOINTS = ("/tag", "/anonymize", "/health", "/metrics")
SECONDS_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
SIZE_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256)
TOKEN_BUCKETS = (16, 64, 256, 1024, 4096, 16384)
RATE_WINDOW_S = 60.0
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class Histogram:
    """Cumulative-bucket histogram (Prometheus semantics: `le` upper bounds, plus +Inf)."""

    def __init__(self, bounds: tuple[float, ...]) -> None:
        self.bounds = bounds
        self.counts = [0] * (len(bounds) + 1)
        self.sum = 0.0
        self.count = 0

    def observe(self, value: float) -> None:
        self.counts[bisect.bisect_left(self.bounds, value)] += 1
        self.sum += value
        self.count += 1

    def lines(self, name: str, labels: str = "") -> list[str]:
        out, running = [], 0
        sep = "," if labels else ""
        for bound, n in zip((*self.bounds, math.inf), self.counts):
            running += n
            le = "+Inf" if bound == math.inf else _number(bound)
            out.append(f'{name}_bucket{{{labels}{sep}le="{le}"}} {running}')
        suffix = f"{{{labels}}}" if labels else ""
        out.append(f"{name}_sum{suffix} {_number(self.sum)}")
        out.append(f"{name}_count{suffix} {self.count}")
        return out


def _number(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else repr(float(x))


class Metrics:
    """Everything `/metrics` shows, recorded as requests and batches happen."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests: Counter[tuple[str, int]] = Counter()
        self.latency = {endpoint: Histogram(SECONDS_BUCKETS) for endpoint in ENDPOINTS[:2]}
        self.queue_wait = Histogram(SECONDS_BUCKETS)
        self.batch_sentences = Histogram(SIZE_BUCKETS)
        self.batch_tokens = Histogram(TOKEN_BUCKETS)
        self.predict_seconds = Histogram(SECONDS_BUCKETS)
        self.sentences = self.tokens = self.cancelled = 0
        self._recent: deque[tuple[float, int, int]] = deque()  # (time, sentences, tokens) of recent batches

    def request(self, endpoint: str, status: int, seconds: float) -> None:
        endpoint = endpoint if endpoint in ENDPOINTS else "other"
        with self._lock:
            self.requests[endpoint, status] += 1
            if endpoint in self.latency:
                self.latency[endpoint].observe(seconds)

    def request_cancelled(self) -> None:
        with self._lock:
            self.cancelled += 1

    def waited(self, seconds: float) -> None:
        with self._lock:
            self.queue_wait.observe(seconds)

    def batch(self, sentences: int, tokens: int, seconds: float) -> None:
        now = time.monotonic()
        with self._lock:
            self.batch_sentences.observe(sentences)
            self.batch_tokens.observe(tokens)
            self.predict_seconds.observe(seconds)
            self.sentences += sentences
            self.tokens += tokens
            self._recent.append((now, sentences, tokens))
            self._forget(now)

    def _forget(self, now: float) -> None:
        while self._recent and self._recent[0][0] < now - RATE_WINDOW_S:
            self._recent.popleft()

    def rates(self) -> tuple[float, float]:
        """(sentences/s, tokens/s) over the last `RATE_WINDOW_S` seconds (0 when idle)."""
        now = time.monotonic()
        with self._lock:
            self._forget(now)
            sentences = sum(r[1] for r in self._recent)
            tokens = sum(r[2] for r in self._recent)
        return sentences / RATE_WINDOW_S, tokens / RATE_WINDOW_S

    def render(self, extra: dict[str, tuple[str, str, float]]) -> str:
        """The Prometheus text exposition; `extra`: name -> (kind, help, value) of values the caller reads just
        before (queue depth, dropped sentences)."""
        sentences_per_s, tokens_per_s = self.rates()
        out: list[str] = []

        def head(name: str, kind: str, help: str) -> None:
            out.append(f"# HELP {name} {help}")
            out.append(f"# TYPE {name} {kind}")

        with self._lock:
            head("fastner_requests_total", "counter", "HTTP requests answered, by endpoint and status.")
            for (endpoint, status), n in sorted(self.requests.items()):
                out.append(f'fastner_requests_total{{endpoint="{endpoint}",status="{status}"}} {n}')
            head("fastner_request_duration_seconds", "histogram",
                 "Time from a request's arrival to its answer (tag and anonymize).")
            for endpoint, hist in self.latency.items():
                out += hist.lines("fastner_request_duration_seconds", f'endpoint="{endpoint}"')
            head("fastner_queue_wait_seconds", "histogram",
                 "Time sentences waited in the queue before the first of them entered a batch.")
            out += self.queue_wait.lines("fastner_queue_wait_seconds")
            head("fastner_batch_sentences", "histogram", "Sentences per predict mini-batch.")
            out += self.batch_sentences.lines("fastner_batch_sentences")
            head("fastner_batch_tokens", "histogram", "Tokens per predict mini-batch.")
            out += self.batch_tokens.lines("fastner_batch_tokens")
            head("fastner_predict_seconds", "histogram", "Predict time per mini-batch.")
            out += self.predict_seconds.lines("fastner_predict_seconds")
            head("fastner_sentences_total", "counter", "Sentences tagged.")
            out.append(f"fastner_sentences_total {self.sentences}")
            head("fastner_tokens_total", "counter", "Tokens tagged.")
            out.append(f"fastner_tokens_total {self.tokens}")
            head("fastner_requests_cancelled_total", "counter", "Requests whose client went away before the answer.")
            out.append(f"fastner_requests_cancelled_total {self.cancelled}")
        head("fastner_tokens_per_second", "gauge", f"Tokens tagged per second over the last {RATE_WINDOW_S:.0f} s.")
        out.append(f"fastner_tokens_per_second {_number(round(tokens_per_s, 3))}")
        head("fastner_sentences_per_second", "gauge",
             f"Sentences tagged per second over the last {RATE_WINDOW_S:.0f} s.")
        out.append(f"fastner_sentences_per_second {_number(round(sentences_per_s, 3))}")
        for name, (kind, help, value) in extra.items():
            head(name, kind, help)
            out.append(f"{name} {_number(value)}")
        return "\n".join(out) + "\n"


def parse(text: str) -> dict[str, float]:
    """Samples of a Prometheus text exposition: `name{labels}` -> value (tests and the benchmark read it)."""
    samples = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            key, _, value = line.rpartition(" ")
            samples[key] = float(value)
    return samples
