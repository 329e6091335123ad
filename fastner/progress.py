"""One progress line on stderr for every long loop (tagging collections, training): position of a total,
rates, elapsed time, ETA, and the latest figures (a loss), redrawn in place on a terminal and written as a
plain line every `log_interval` seconds elsewhere (logs, CI). `enabled=False` prints nothing.

    with Progress(n_tokens, "epoch 1/5", unit="tok") as bar:
        bar.update(done=128, loss=0.3)
    progress = Progress(total_docs, "tag", unit="docs", items="tokens")
    progress.update(done=1, items=412); progress.update(skipped=1); progress.close()
"""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    def __init__(self, total: int | None, label: str, unit: str = "it", items: str | None = None,
                 enabled: bool = True, stream: TextIO | None = None, interval: float = 0.2,
                 log_interval: float = 10.0) -> None:
        self.total, self.label, self.unit, self.items_unit = total, label, unit, items
        self.stream = stream or sys.stderr
        self.enabled = enabled
        self.tty = enabled and bool(getattr(self.stream, "isatty", lambda: False)())
        self.interval = interval if self.tty else log_interval
        self.start = time.perf_counter()
        self.last = 0.0
        self.done = self.items = self.failed = self.skipped = 0
        self.values: dict[str, float] = {}
        self._drawn = False

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def update(self, done: int = 0, items: int = 0, failed: int = 0, skipped: int = 0, force: bool = False,
               **values: float) -> None:
        """Count `done` units (and `items`, whose rate is shown), failures and skips; `values` replace the
        figures shown at the end of the line (e.g. `loss=`)."""
        self.done += done
        self.items += items
        self.failed += failed
        self.skipped += skipped
        self.values.update(values)
        now = time.perf_counter()
        if self.enabled and (force or now - self.last >= self.interval):
            self.last = now
            self._draw(now)

    def line(self, now: float | None = None) -> str:
        elapsed = max((now or time.perf_counter()) - self.start, 1e-9)
        seen = self.done + self.failed + self.skipped
        of = f"/{self.total}" if self.total is not None else ""
        text = f"{self.label}: {seen}{of} {self.unit} | {self.done / elapsed:,.1f} {self.unit}/s"
        if self.items_unit:
            text += f" | {self.items / elapsed:,.0f} {self.items_unit}/s"
        text += f" | {_clock(elapsed)}"
        if self.total and self.done and seen < self.total:
            text += f" | ETA {_clock((self.total - seen) * elapsed / self.done)}"
        if self.values:
            text += " | " + " ".join(f"{k}={v:.4g}" for k, v in self.values.items())
        extras = [f"{n} {what}" for n, what in ((self.skipped, "skipped"), (self.failed, "failed")) if n]
        return text + (f" ({', '.join(extras)})" if extras else "")

    def _draw(self, now: float) -> None:
        if self.tty:
            self.stream.write("\r\x1b[2K" + self.line(now))
            self._drawn = True
        else:
            self.stream.write(self.line(now) + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            self._draw(time.perf_counter())
            if self._drawn:
                self.stream.write("\n")
                self.stream.flush()


def _clock(seconds: float) -> str:
    seconds = int(seconds)
    h, rest = divmod(seconds, 3600)
    return f"{h}:{rest // 60:02d}:{rest % 60:02d}" if h else f"{rest // 60:02d}:{rest % 60:02d}"
