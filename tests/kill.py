"""Start a `fastner` run in a subprocess and SIGKILL it part-way, once its manifest shows enough progress."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path


def kill_midway(command: list[str], manifest: Path, count: int, marker: str, timeout: float, *,
                cwd: Path | None = None, env: dict[str, str] | None = None) -> None:
    """Run `command`; SIGKILL it as soon as `manifest` holds `count` occurrences of `marker` (or after `timeout` s).
    Fails if the run ended by itself before the kill."""
    proc = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        if manifest.exists() and manifest.read_text().count(marker) >= count:
            break
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL, "the run finished before it could be killed"
