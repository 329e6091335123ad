"""Device names as the commands take them, and what the CPU can do."""

from __future__ import annotations

from pathlib import Path

import torch

SPEED_FLAGS = ("avx2", "avx512f", "avx512_bf16", "amx_bf16")  # what decides the CPU's float throughput


def resolve_device(name: str) -> torch.device:
    """'auto' (CUDA when present, else the CPU), 'cpu', 'cuda' or 'cuda:N' as a device that exists on this
    machine; ValueError, naming the problem, otherwise."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
    except (RuntimeError, TypeError):
        raise ValueError(f"--device must be auto, cpu, cuda or cuda:N, not {name!r}") from None
    if device.type not in ("cpu", "cuda"):
        raise ValueError(f"--device must be auto, cpu, cuda or cuda:N, not {name!r}")
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"--device {name}: no CUDA device is available on this machine")
    return device


def cpu_flags(names: tuple[str, ...] = SPEED_FLAGS) -> dict[str, bool]:
    """Which of `names` the CPU's flags include (Linux /proc/cpuinfo); {} where it cannot be read."""
    try:
        lines = Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:
        return {}
    flags = next((set(line.split(":", 1)[1].split()) for line in lines if line.startswith("flags")), None)
    return {} if flags is None else {name: name in flags for name in names}
