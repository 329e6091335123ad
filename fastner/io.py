"""Model files: a directory with `config.json` (architecture, tags, vocabularies) and `model.safetensors`.

No pickle: loading executes no code from the file. Every tensor's name, shape and dtype is checked
against what the config describes; anything missing, unknown or mismatched fails with `ModelFileError`
naming the file and the problem.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import save_file
from torch import nn

from fastner.embeddings.charlm import CharLM, CharLMEmbeddings
from fastner.embeddings.words import WordEmbeddings

FORMAT, VERSION = "fastner-sequence-tagger", 1
CONFIG, WEIGHTS = "config.json", "model.safetensors"


class ModelFileError(ValueError):
    """A model file that cannot be loaded: the message names the file and the problem."""

    def __init__(self, path: Path, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path, self.problem = path, problem


def tagger_config(tagger) -> dict[str, Any]:
    embeddings = []
    for emb in tagger.embeddings:
        if isinstance(emb, WordEmbeddings):
            embeddings.append({"type": "words", "name": emb.name, "dim": emb.dim, "words": emb.words})
        else:
            lm = emb.lm
            embeddings.append({
                "type": "charlm", "name": emb.name, "is_forward": lm.is_forward, "chars": lm.chars,
                "hidden_size": lm.hidden_size, "nlayers": lm.nlayers, "embedding_size": lm.embedding_size,
                "nout": lm.nout, "chars_per_chunk": emb.chars_per_chunk,
            })
    return {
        "format": FORMAT, "version": VERSION, "tags": tagger.tags, "use_crf": tagger.use_crf,
        "reproject": tagger.reproject, "hidden_size": tagger.hidden_size, "rnn_layers": tagger.rnn_layers,
        "embeddings": embeddings,
    }


def _tensors(tagger) -> dict[str, torch.Tensor]:
    tensors = {k: v.detach().cpu().contiguous() for k, v in tagger.state_dict().items()}
    for i, emb in enumerate(tagger.embeddings):
        if isinstance(emb, WordEmbeddings):
            tensors[f"embeddings.{i}.vectors"] = torch.from_numpy(np.ascontiguousarray(emb.vectors))
    return tensors


def save_tagger(tagger, path) -> None:
    """Write `path/config.json` and `path/model.safetensors` atomically (temp files, then rename)."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    for name, write in ((WEIGHTS, lambda p: save_file(_tensors(tagger), str(p), metadata={"format": FORMAT})),
                        (CONFIG, lambda p: p.write_text(json.dumps(tagger_config(tagger), ensure_ascii=False),
                                                        encoding="utf-8"))):
        tmp = path / f".{name}.tmp"
        write(tmp)
        os.replace(tmp, path / name)


# --- validation of a config, before anything is built -----------------------------------------------------

MAX_SIZE = 1 << 16  # any width (hidden, embedding, vector dimension): far above any real tagger, far below RAM
MAX_LAYERS = 16
MAX_HEADER_BYTES = 100 << 20
DTYPES = {"F64": (torch.float64, 8), "F32": (torch.float32, 4), "F16": (torch.float16, 2),
          "BF16": (torch.bfloat16, 2), "I64": (torch.int64, 8), "I32": (torch.int32, 4), "I16": (torch.int16, 2),
          "I8": (torch.int8, 1), "U8": (torch.uint8, 1), "BOOL": (torch.bool, 1)}


def _int(value: Any, what: str, low: int = 1, high: int = MAX_SIZE) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise ValueError(f"{what} must be an integer in [{low}, {high}], not {value!r}")
    return value


def _strings(value: Any, what: str, distinct: bool = True) -> list[str]:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{what} must be a non-empty list of strings")
    if distinct and len(set(value)) != len(value):
        raise ValueError(f"{what} has repeated entries")
    return value


def _bool(value: Any, what: str) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"{what} must be true or false, not {value!r}")
    return value


def validate_config(config: dict[str, Any]) -> None:
    """Check every field's type and range (ValueError naming the field): nothing is built from a config
    whose sizes are negative, absurd or of the wrong type."""
    for key in ("tags", "use_crf", "reproject", "hidden_size", "rnn_layers", "embeddings"):
        if key not in config:
            raise ValueError(f"missing key {key!r}")
    _strings(config["tags"], "tags")
    _bool(config["use_crf"], "use_crf")
    _bool(config["reproject"], "reproject")
    _int(config["hidden_size"], "hidden_size")
    _int(config["rnn_layers"], "rnn_layers", high=MAX_LAYERS)
    embeddings = config["embeddings"]
    if not isinstance(embeddings, list) or not embeddings or not all(isinstance(e, dict) for e in embeddings):
        raise ValueError("embeddings must be a non-empty list of objects")
    _strings([e.get("name") for e in embeddings], "the embeddings' names")
    for i, e in enumerate(embeddings):
        what = f"embeddings[{i}]"
        if e.get("type") == "words":
            _strings(e.get("words"), f"{what}.words")
            _int(e.get("dim"), f"{what}.dim")
        elif e.get("type") == "charlm":
            _strings(e.get("chars"), f"{what}.chars")
            _bool(e.get("is_forward"), f"{what}.is_forward")
            for key in ("hidden_size", "embedding_size"):
                _int(e.get(key), f"{what}.{key}")
            _int(e.get("nlayers"), f"{what}.nlayers", high=MAX_LAYERS)
            if e.get("nout") is not None:
                _int(e["nout"], f"{what}.nout")
            _int(e.get("chars_per_chunk"), f"{what}.chars_per_chunk", high=1 << 24)
        else:
            raise ValueError(f"{what} has unknown type {e.get('type')!r} (expected 'words' or 'charlm')")


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


class _WordsShape(nn.Module):
    """Stands for a WordEmbeddings while the expected tensors are worked out: a name and a width, no vectors."""

    def __init__(self, name: str, dim: int) -> None:
        super().__init__()
        self.name, self.dim = name, dim


def _build(config: dict[str, Any], vectors: dict[int, np.ndarray] | None = None):
    """The tagger `config` describes. Without `vectors` (word matrices by embedding index), a skeleton on the
    meta device: shapes only, nothing allocated, whatever the sizes."""
    from fastner.tagger import SequenceTagger

    with torch.device("meta"):
        embeddings = []
        for i, e in enumerate(config["embeddings"]):
            if e["type"] == "words":
                embeddings.append(_WordsShape(e["name"], e["dim"]) if vectors is None
                                  else WordEmbeddings(e["words"], vectors[i], e["name"]))
            else:
                lm = CharLM(e["chars"], e["is_forward"], e["hidden_size"], e["nlayers"], e["embedding_size"],
                            e["nout"])
                embeddings.append(CharLMEmbeddings(lm, e["name"], e["chars_per_chunk"]))
        return SequenceTagger(embeddings, config["tags"], config["hidden_size"], config["rnn_layers"],
                              use_crf=config["use_crf"], reproject=config["reproject"])


def _expected(config: dict[str, Any]) -> dict[str, tuple[torch.dtype, tuple[int, ...]]]:
    """name -> (dtype, shape) of every tensor the weights file must hold for `config`."""
    expected = {k: (v.dtype, tuple(v.shape)) for k, v in _build(config).state_dict().items()}
    for i, e in enumerate(config["embeddings"]):
        if e["type"] == "words":
            expected[f"embeddings.{i}.vectors"] = (torch.float32, (len(e["words"]), e["dim"]))
    return expected


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
    try:
        validate_config(config)
    except ValueError as err:
        raise ModelFileError(path, f"invalid model description ({err})") from None
    return config


def load_tagger(path):
    """Load a tagger saved by `save_tagger`. Everything is checked before any weight is used: the config's
    fields, then the weights file's header against the config (names, shapes, dtypes, sizes: a bad file is
    refused in milliseconds, before anything is allocated), then every tensor's values (finite)."""
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
    expected = _expected(config)
    found = read_header(weights_path)
    missing, unknown = sorted(expected.keys() - found.keys()), sorted(found.keys() - expected.keys())
    if missing or unknown:
        raise ModelFileError(weights_path, f"tensors do not match {CONFIG}: missing {missing[:5]}, "
                                           f"unknown {unknown[:5]}")
    for name in sorted(expected):
        if found[name] != expected[name]:
            (dtype, shape), (want_dtype, want_shape) = found[name], expected[name]
            raise ModelFileError(weights_path, f"tensor {name!r} is {dtype} {shape}, {CONFIG} says "
                                               f"{want_dtype} {want_shape}")
    try:
        with safe_open(str(weights_path), framework="pt") as f:
            # a copy in torch's own (aligned) memory: kernels then round exactly as on the saved model
            tensors = {name: f.get_tensor(name).clone() for name in sorted(expected)}
    except SafetensorError as err:
        raise ModelFileError(weights_path, f"corrupt or truncated safetensors file ({err})") from None
    except OSError as err:
        raise ModelFileError(weights_path, f"cannot be read ({err.strerror or err})") from None
    for name, tensor in tensors.items():
        if tensor.is_floating_point() and not torch.isfinite(tensor).all():
            raise ModelFileError(weights_path, f"tensor {name!r} holds NaN or infinite values")
    vectors = {i: tensors.pop(f"embeddings.{i}.vectors").numpy() for i, e in enumerate(config["embeddings"])
               if e["type"] == "words"}
    tagger = _build(config, vectors)
    tagger.load_state_dict(tensors, strict=True, assign=True)
    return tagger.eval()
