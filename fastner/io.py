"""Model files: a directory with `config.json` (architecture, tags, vocabularies) and `model.safetensors`.

This module reads, checks and writes files; what a config means is the tagger's (`SequenceTagger.config`,
`from_config`, `expected_tensors`). No pickle: loading executes no code from the file. Everything is
checked before any weight is used: the config's fields, then the weights file's header against the tensors
the config implies (names, shapes, dtypes, sizes; a bad file is refused in milliseconds, before anything is
allocated), then every tensor's values (finite). A refusal is a `ModelFileError` naming the file and problem.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import save_file

FORMAT, VERSION = "fastner-sequence-tagger", 1
CONFIG, WEIGHTS = "config.json", "model.safetensors"
MAX_HEADER_BYTES = 100 << 20
DTYPES = {"F64": (torch.float64, 8), "F32": (torch.float32, 4), "F16": (torch.float16, 2),
          "BF16": (torch.bfloat16, 2), "I64": (torch.int64, 8), "I32": (torch.int32, 4), "I16": (torch.int16, 2),
          "I8": (torch.int8, 1), "U8": (torch.uint8, 1), "BOOL": (torch.bool, 1)}
Expected = dict[str, tuple[torch.dtype, tuple[int, ...]]]  # tensor name -> (dtype, shape)


class ModelFileError(ValueError):
    """A model file that cannot be loaded: the message names the file and the problem."""

    def __init__(self, path: Path, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path, self.problem = path, problem


def write_model(path, config: dict[str, Any], tensors: Mapping[str, torch.Tensor]) -> None:
    """Write `path/config.json` and `path/model.safetensors` atomically (temp files, then rename)."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    host = {k: v.detach().cpu().contiguous() for k, v in tensors.items()}
    document = {"format": FORMAT, "version": VERSION, **config}
    for name, write in ((WEIGHTS, lambda p: save_file(host, str(p), metadata={"format": FORMAT})),
                        (CONFIG, lambda p: p.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8"))):
        tmp = path / f".{name}.tmp"
        write(tmp)
        os.replace(tmp, path / name)


def read_model(path, expected: Callable[[Any], Expected]) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
    """(config, tensors) of the model directory `path`, everything checked. `expected(config)` gives the
    tensors the config implies, or raises `ValueError` naming a bad field."""
    path = Path(path)
    try:
        if not path.is_dir():
            raise ModelFileError(path, "not a model directory (expected config.json and model.safetensors in it)")
        config_path, weights_path = path / CONFIG, path / WEIGHTS
        for p in (config_path, weights_path):
            if not p.is_file():
                raise ModelFileError(p, "missing")
    except OSError as err:
        raise ModelFileError(path, f"cannot be read ({err.strerror or err})") from None
    config = _read_config(config_path)
    try:
        want = expected(config)
    except (ValueError, KeyError, TypeError) as err:
        raise ModelFileError(config_path, f"invalid model description ({err})") from None
    found = read_header(weights_path)
    missing, unknown = sorted(want.keys() - found.keys()), sorted(found.keys() - want.keys())
    if missing or unknown:
        raise ModelFileError(weights_path, f"tensors do not match {CONFIG}: missing {missing[:5]}, "
                                           f"unknown {unknown[:5]}")
    for name in sorted(want):
        if found[name] != want[name]:
            (dtype, shape), (want_dtype, want_shape) = found[name], want[name]
            raise ModelFileError(weights_path, f"tensor {name!r} is {dtype} {shape}, {CONFIG} says "
                                               f"{want_dtype} {want_shape}")
    try:
        with safe_open(str(weights_path), framework="pt") as f:
            # a copy in torch's own (aligned) memory: kernels then round exactly as on the saved model
            tensors = {name: f.get_tensor(name).clone() for name in sorted(want)}
    except SafetensorError as err:
        raise ModelFileError(weights_path, f"corrupt or truncated safetensors file ({err})") from None
    except OSError as err:
        raise ModelFileError(weights_path, f"cannot be read ({err.strerror or err})") from None
    for name, tensor in tensors.items():
        if tensor.is_floating_point() and not torch.isfinite(tensor).all():
            raise ModelFileError(weights_path, f"tensor {name!r} holds NaN or infinite values")
    return config, tensors


def _read_config(path: Path) -> dict[str, Any]:
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise ModelFileError(path, f"cannot be read ({err.strerror or err})") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ModelFileError(path, f"not valid JSON ({err})") from None
    if not isinstance(config, dict) or config.get("format") != FORMAT:
        raise ModelFileError(path, f"not a fastner model config (format should be {FORMAT!r})")
    if config.get("version") != VERSION:
        raise ModelFileError(path, f"unsupported version {config.get('version')!r} (this fastner reads {VERSION})")
    return {k: v for k, v in config.items() if k not in ("format", "version")}


def read_header(path: Path) -> dict[str, tuple[torch.dtype, tuple[int, ...]]]:
    """The tensors a safetensors file holds, from its header alone (nothing else is read): name -> (dtype,
    shape). The header must describe exactly the bytes of the file: known dtypes, non-negative shapes,
    offsets that tile the data section."""
    try:
        size = path.stat().st_size
        with open(path, "rb") as f:
            head = f.read(8)
            n = int.from_bytes(head, "little") if len(head) == 8 else -1
            if not 2 <= n <= min(MAX_HEADER_BYTES, size - 8):
                raise ModelFileError(path, "corrupt or truncated safetensors file (bad header length)")
            header = json.loads(f.read(n).decode("utf-8"))
    except OSError as err:
        raise ModelFileError(path, f"cannot be read ({err.strerror or err})") from None
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ModelFileError(path, "corrupt safetensors file (its header is not JSON)") from None
    if not isinstance(header, dict):
        raise ModelFileError(path, "corrupt safetensors file (its header is not a JSON object)")
    out: dict[str, tuple[torch.dtype, tuple[int, ...]]] = {}
    spans = []
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        try:
            dtype, itemsize = DTYPES[entry["dtype"]]
            shape = tuple(entry["shape"])
            begin, end = entry["data_offsets"]
            if not all(isinstance(d, int) and d >= 0 for d in (*shape, begin, end)):
                raise ValueError
        except (KeyError, TypeError, ValueError):
            raise ModelFileError(path, f"corrupt safetensors file (tensor {name!r} is badly described)") from None
        if end - begin != itemsize * int(np.prod(shape, dtype=np.float64)):
            raise ModelFileError(path, f"corrupt safetensors file (tensor {name!r}: offsets do not match its shape)")
        out[name] = (dtype, shape)
        spans.append((begin, end))
    position = 0
    for begin, end in sorted(spans):
        if begin != position:
            raise ModelFileError(path, "corrupt safetensors file (tensors overlap or leave gaps)")
        position = end
    if position != size - 8 - n:
        raise ModelFileError(path, f"corrupt or truncated safetensors file ({size - 8 - n} data bytes, the header "
                                   f"describes {position})")
    return out
