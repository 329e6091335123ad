"""The settings of `fastner serve`, declared once: the dataclass fields carry the help text, and the
command line is generated from them (as `Switches` is for the tagger)."""

from __future__ import annotations

import argparse
import dataclasses
from dataclasses import dataclass, field
from typing import Any

LOG_LEVELS = ("debug", "info", "warning", "error")


def _option(default: Any, help: str, metavar: str | None = None, choices: tuple | None = None) -> Any:
    return field(default=default, metadata={"help": help, "metavar": metavar, "choices": choices})


@dataclass(frozen=True)
class ServeOptions:
    """How one `fastner serve` process loads its model, listens, batches and refuses work."""

    model: str | None = _option(None, "model directory (default: the bundled model)", "DIR")
    host: str = _option("127.0.0.1", "address to listen on (loopback by default)", "HOST")
    port: int = _option(8080, "TCP port (0: any free port, printed at start)", "PORT")
    max_batch: int = _option(32, "most sentences in one predict mini-batch (1: no batching)", "N")
    max_batch_tokens: int = _option(4096, "most tokens in one mini-batch (a batch always takes one sentence)", "N")
    max_wait_ms: float = _option(10.0, "how long the first queued sentence waits for companions, at most, "
                                       "while other admitted requests are still being split into sentences", "MS")
    max_queue: int = _option(256, "most requests admitted at once (queued or being tagged); "
                                  "more get 429 with Retry-After", "N")
    max_chars: int = _option(1_000_000, "most characters in one request (all its texts); more get 413", "N")
    threads: int | None = _option(None, "torch CPU threads (default: torch's choice)", "N")
    log_level: str = _option("info", "log level (requests are logged with ids, sizes and timings, never text)",
                             choices=LOG_LEVELS)

    def __post_init__(self) -> None:
        positive = ("max_batch", "max_batch_tokens", "max_queue", "max_chars")
        for name in positive:
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{self.flag(name)} must be a positive integer, got {value!r}")
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

    @staticmethod
    def flag(name: str) -> str:
        return "--" + name.replace("_", "-")

    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser) -> None:
        """One `--flag` per field, with the field's type, default and help."""
        for f in dataclasses.fields(cls):
            meta = f.metadata
            kind = {"int": int, "float": float, "int | None": int}.get(str(f.type), str)
            default = f.default
            shown = "" if default is None else f" (default {default})"
            parser.add_argument(cls.flag(f.name), dest=f.name, type=kind, default=default, metavar=meta["metavar"],
                                choices=meta["choices"], help=meta["help"] + shown)

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> ServeOptions:
        """The options parsed by `add_arguments` (ValueError names the field that is out of range)."""
        return cls(**{f.name: getattr(args, f.name) for f in dataclasses.fields(cls)})
