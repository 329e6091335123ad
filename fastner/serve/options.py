"""The settings of `fastner serve` (and of its benchmark), declared once (`fastner.options`): dataclass fields
carry their help text, and the command line is generated from them."""

from __future__ import annotations

import argparse
from dataclasses import dataclass

from fastner.options import add_arguments, from_args, option

LOG_LEVELS = ("debug", "info", "warning", "error")


@dataclass(frozen=True)
class ServeOptions:
    """How one `fastner serve` process loads its model, listens, batches and refuses work."""

    model: str | None = option(None, "model directory (default: the bundled model)", "DIR")
    host: str = option("127.0.0.1", "address to listen on (loopback by default)", "HOST")
    port: int = option(8080, "TCP port (0: any free port, printed at start)", "PORT")
    max_batch: int = option(32, "most sentences in one predict mini-batch (1: no batching)", "N")
    max_batch_tokens: int = option(4096, "most tokens in one mini-batch (a batch always takes one sentence)", "N")
    max_wait_ms: float = option(10.0, "how long the first queued sentence waits for companions, at most, "
                                       "while other admitted requests are still being split into sentences", "MS")
    max_queue: int = option(256, "most requests admitted at once (queued or being tagged); "
                                  "more get 429 with Retry-After", "N")
    max_chars: int = option(1_000_000, "most characters in one request (all its texts); more get 413", "N")
    threads: int | None = option(None, "torch CPU threads (default: torch's choice)", "N")
    log_level: str = option("info", "log level (requests are logged with ids, sizes and timings, never text)",
                             choices=LOG_LEVELS)

    def __post_init__(self) -> None:
        positive = ("max_batch", "max_batch_tokens", "max_queue", "max_chars")
        for name in positive:
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"--{name.replace('_', '-')} must be a positive integer, got {value!r}")
        if self.threads is not None and (not isinstance(self.threads, int) or self.threads < 1):
            raise ValueError(f"--threads must be a positive integer, got {self.threads!r}")
        if not isinstance(self.port, int) or not 0 <= self.port <= 65535:
            raise ValueError(f"--port must be in 0..65535, got {self.port!r}")
        if not isinstance(self.max_wait_ms, (int, float)) or not 0 <= self.max_wait_ms <= 60_000:
            raise ValueError(f"--max-wait-ms must be in [0, 60000], got {self.max_wait_ms!r}")
        if not self.host:
            raise ValueError("--host must not be empty")
        if self.log_level not in LOG_LEVELS:
            raise ValueError(f"--log-level must be one of {', '.join(LOG_LEVELS)}, got {self.log_level!r}")

    @property
    def max_wait_s(self) -> float:
        return self.max_wait_ms / 1000.0

    @property
    def max_body_bytes(self) -> int:
        """The request body size refused before it is read: JSON escapes take at most 12 bytes per character
        (a surrogate pair), plus room for the other fields."""
        return 12 * self.max_chars + 65_536

    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser) -> None:
        add_arguments(parser, cls)

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> ServeOptions:
        """The options parsed by `add_arguments` (ValueError names the flag that is out of range)."""
        return from_args(cls, args)


def _clients(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(c) for c in text.split(","))
    except ValueError:
        raise ValueError(f"expected comma-separated integers, got {text!r}") from None


def _threads(text: str) -> int | None:
    return int(text) or None


@dataclass(frozen=True)
class BenchSettings:
    """What `fastner serve-bench` runs (all recorded in the JSON; the command line is generated from it)."""

    duration_s: float = option(2.0, "seconds of one measured window of single-sentence requests", "S",
                               flag="--duration")
    warmup_s: float = option(1.0, "unmeasured seconds before each window", "S", flag="--warmup")
    rounds: int = option(4, "windows per single-sentence row, alternating between the two servers", "N")
    clients: tuple[int, ...] = option((1, 8, 32), "concurrent clients, comma-separated", "N,N", parse=_clients)
    max_batch: int = option(32, "--max-batch of the batching server (the other has 1)", "N")
    max_wait_ms: float = option(10.0, "--max-wait-ms of the servers", "MS")
    doc_requests: int = option(4, "whole-document requests per run at least (max(clients, this))", "N")
    compare_sentences: int = option(40, "sentences of the one-client comparison with a bare predict", "N")
    overload_clients: int = option(64, "clients of the overload run", "N")
    overload_queue: int = option(16, "--max-queue of the overload run's server", "N")
    overload_s: float = option(4.0, "seconds of the overload run", "S", flag="--overload-seconds")
    workload: str = option("legal", "legal, conll, or a path (see fastner bench)", "NAME")
    threads: int | None = option(1, "torch threads of each server and of the direct predicts (1: with more, "
                                    "processes sharing a few cores stall at OpenMP barriers; 0: torch's default)",
                                 "N", parse=_threads)
    model: str | None = option(None, "model directory (default: the bundled model)", "DIR")

    def __post_init__(self) -> None:
        if not self.clients or any(c < 1 for c in self.clients):
            raise ValueError(f"--clients must be positive integers, got {self.clients}")
        if not (self.duration_s > 0 and self.warmup_s >= 0 and self.overload_s > 0):
            raise ValueError("--duration and --overload-seconds must be positive, --warmup at least 0")
        for name in ("rounds", "max_batch", "doc_requests", "compare_sentences", "overload_clients", "overload_queue"):
            if getattr(self, name) < 1:
                raise ValueError(f"--{name.replace('_', '-')} must be positive")
        if self.threads is not None and self.threads < 1:
            raise ValueError("--threads must be positive (0: torch's default)")
        if self.overload_clients <= self.overload_queue:
            raise ValueError("--overload-clients must exceed --overload-queue to overload the server")
