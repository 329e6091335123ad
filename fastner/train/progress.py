"""A small progress bar for training loops (stderr): position, loss, speed; plain lines when not a terminal."""

from __future__ import annotations

import sys
import time


class Progress:
    """`with Progress(total, "epoch 1", unit="tok") as bar: bar.update(n, loss=...)`."""

    def __init__(self, total: int, desc: str, unit: str = "it", stream=None, enabled: bool = True,
                 every_s: float = 0.5, plain_every_s: float = 30.0) -> None:
        self.total, self.desc, self.unit = max(total, 1), desc, unit
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = enabled
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.every = every_s if self.tty else plain_every_s
        self.done, self.items = 0, 0
        self.begin = self.last = time.perf_counter()
        self.postfix: dict[str, float] = {}

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def update(self, steps: int = 1, items: int = 0, **postfix: float) -> None:
        self.done += steps
        self.items += items
        self.postfix.update(postfix)
        now = time.perf_counter()
        if self.enabled and now - self.last >= self.every:
            self.last = now
            self._draw(end="\r" if self.tty else "\n")

    def line(self) -> str:
        elapsed = time.perf_counter() - self.begin
        frac = min(self.done / self.total, 1.0)
        width = 24
        bar = "#" * int(frac * width) + "-" * (width - int(frac * width))
        speed = self.items / elapsed if elapsed > 0 else 0.0
        extras = " ".join(f"{k}={v:.4g}" for k, v in self.postfix.items())
        return (f"{self.desc} [{bar}] {self.done}/{self.total} {extras} {speed:,.0f} {self.unit}/s "
                f"{elapsed:.0f}s").rstrip()

    def _draw(self, end: str) -> None:
        self.stream.write(self.line() + end)
        self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            self._draw(end="\n")
