"""Reduced precision for `SequenceTagger.predict(..., precision=...)`: what a device supports, and weight copies.

Precision is *not* a switch: every `Switches` combination gives the baseline's outputs, a reduced precision
does not (tags may change where two paths score almost the same). What runs in the reduced dtype: the
character LMs (embedding table, LSTM, projection), the reprojection (folded or not), the BiLSTM and the
output linear. What stays fp32: the word-vector table lookup, the emissions handed to the decoder, the CRF
transitions, Viterbi scores and confidences. Weights are converted once per model and dtype (`ReducedCopies`),
never per batch; an unsupported combination raises `PrecisionError` naming what it needs, never falls back.
"""

from __future__ import annotations

import copy
import threading

import torch
from torch import nn

from fastner.devices import cpu_flags

PRECISIONS = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}


class PrecisionError(ValueError):
    """A precision this device cannot run (or a setting it cannot run with)."""


def cpu_bf16_supported() -> bool:
    """What PyTorch's oneDNN says: bf16 kernels on this CPU (AVX512 BW/VL/DQ, AVX512-BF16, AMX or ARM bf16)."""
    return bool(torch.backends.mkldnn.is_available() and torch.ops.mkldnn._is_mkldnn_bf16_supported())


def cpu_capabilities() -> dict:
    """The CPU flags that decide bf16 speed, for reports: native bf16 dot products (avx512_bf16, amx_bf16),
    the AVX512 base that oneDNN's bf16 kernels need, and PyTorch's own verdicts."""
    wanted = ("avx2", "avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512_bf16", "avx512_fp16", "amx_bf16")
    flags = cpu_flags(wanted)
    return {"flags": flags or dict.fromkeys(wanted, False), "flags_read": bool(flags),
            "torch_cpu_capability": torch.backends.cpu.get_cpu_capability(),
            "mkldnn": torch.backends.mkldnn.is_available(), "torch_bf16_supported": cpu_bf16_supported()}


def resolve_precision(precision: str, device: torch.device) -> torch.dtype:
    """The dtype for `precision` on `device`; PrecisionError if the device cannot run it."""
    if precision not in PRECISIONS:
        raise PrecisionError(f"precision must be one of {', '.join(map(repr, PRECISIONS))}, not {precision!r}")
    dtype = PRECISIONS[precision]
    if device.type == "cpu":
        if precision == "fp16":
            raise PrecisionError("precision='fp16' needs a CUDA GPU: PyTorch has no fast fp16 LSTM on a CPU "
                                 "(use 'bf16' on a CPU with AVX512/AVX512-BF16, or 'fp32')")
        if precision == "bf16" and not cpu_bf16_supported():
            raise PrecisionError("precision='bf16' needs a CPU with bf16 support in oneDNN (AVX512 BW/VL/DQ, best "
                                 "with AVX512-BF16 or AMX): torch.ops.mkldnn._is_mkldnn_bf16_supported() is False "
                                 "on this machine; use precision='fp32'")
    elif device.type == "cuda" and precision == "bf16" and not torch.cuda.is_bf16_supported():
        raise PrecisionError(f"precision='bf16' needs a GPU with bf16 support (Ampere or newer); "
                             f"{torch.cuda.get_device_name(device)} has none: use 'fp16' or 'fp32'")
    elif device.type not in ("cpu", "cuda") and precision != "fp32":
        raise PrecisionError(f"precision={precision!r} is supported on CPU and CUDA devices only, not {device.type}")
    return dtype


class ReducedCopies:
    """Copies of a model's modules in a reduced dtype, made once and cached by name and dtype.

    A copy is reused while the source module's parameters are the same objects at the same versions (an
    in-place update bumps the version; a replaced parameter changes the object), as `folded_rnn` does.
    Parameters that are inference tensors have no version counter: then nothing is cached. The lock guards
    the dict only: two threads may both convert a layer the first time, and one copy wins.
    """

    def __init__(self) -> None:
        self._copies: dict[tuple[str, torch.dtype], tuple[tuple, tuple, nn.Module]] = {}
        self._lock = threading.Lock()

    def get(self, name: str, module: nn.Module, dtype: torch.dtype) -> nn.Module:
        """`module` in `dtype`: a converted copy, or `module` itself when it has no parameters (a word-vector
        table: its rows are cast after the lookup)."""
        params = tuple(module.parameters())
        if not params:
            return module
        if any(p.is_inference() for p in params):
            return _convert(module, dtype)
        versions = tuple(p._version for p in params)
        with self._lock:
            cached = self._copies.get((name, dtype))
        if cached is not None and cached[1] == versions and all(c is p for c, p in zip(cached[0], params)) \
                and len(cached[0]) == len(params):
            return cached[2]
        converted = _convert(module, dtype)
        with self._lock:
            self._copies[(name, dtype)] = (params, versions, converted)
        return converted

    def clear(self) -> None:
        with self._lock:
            self._copies.clear()


def _convert(module: nn.Module, dtype: torch.dtype) -> nn.Module:
    """A detached copy of `module` with its floating-point parameters in `dtype`, in eval mode."""
    with torch.inference_mode(False), torch.no_grad():
        out = copy.deepcopy(module).to(dtype).eval()
        out.requires_grad_(False)
    return out
