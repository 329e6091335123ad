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


def _build(config: dict[str, Any]):
    from fastner.tagger import SequenceTagger

    embeddings = []
    for i, e in enumerate(config["embeddings"]):
        if e["type"] == "words":
            embeddings.append(WordEmbeddings(e["words"], np.zeros((len(e["words"]), e["dim"]), np.float32), e["name"]))
        elif e["type"] == "charlm":
            lm = CharLM(e["chars"], e["is_forward"], e["hidden_size"], e["nlayers"], e["embedding_size"], e["nout"])
            embeddings.append(CharLMEmbeddings(lm, e["name"], e["chars_per_chunk"]))
        else:
            raise ValueError(f"embedding {i} has unknown type {e['type']!r}")
    return SequenceTagger(embeddings, config["tags"], config["hidden_size"], config["rnn_layers"],
                          use_crf=config["use_crf"], reproject=config["reproject"])


def load_tagger(path):
    """Load a tagger saved by `save_tagger`, validating everything before any weight is used."""
    path = Path(path)
    if not path.is_dir():
        raise ModelFileError(path, "not a model directory (expected config.json and model.safetensors in it)")
    config_path, weights_path = path / CONFIG, path / WEIGHTS
    for p in (config_path, weights_path):
        if not p.is_file():
            raise ModelFileError(p, "missing")
    try:
        config = json.loads(config_path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ModelFileError(config_path, f"not valid JSON ({err})") from None
    if not isinstance(config, dict) or config.get("format") != FORMAT:
        raise ModelFileError(config_path, f"not a fastner model config (format should be {FORMAT!r})")
    if config.get("version") != VERSION:
        raise ModelFileError(config_path,
                             f"unsupported version {config.get('version')!r} (this fastner reads {VERSION})")
    try:
        skeleton = _build(config)
    except (KeyError, TypeError, ValueError) as err:
        raise ModelFileError(config_path, f"invalid model description ({type(err).__name__}: {err})") from None
    expected = {k: (tuple(v.shape), v.dtype) for k, v in _tensors(skeleton).items()}
    try:
        with safe_open(str(weights_path), framework="pt") as f:
            found = set(f.keys())
            missing, unknown = sorted(expected.keys() - found), sorted(found - expected.keys())
            if missing or unknown:
                raise ModelFileError(weights_path, f"tensors do not match {CONFIG}: missing {missing[:5]}, "
                                                   f"unknown {unknown[:5]}")
            tensors = {}
            for name in sorted(expected):
                shape, dtype = expected[name]
                t = f.get_tensor(name)
                if tuple(t.shape) != shape or t.dtype != dtype:
                    raise ModelFileError(weights_path, f"tensor {name!r} is {t.dtype} {tuple(t.shape)}, "
                                                       f"{CONFIG} says {dtype} {shape}")
                tensors[name] = t
    except SafetensorError as err:
        raise ModelFileError(weights_path, f"corrupt or truncated safetensors file ({err})") from None
    except OSError as err:
        raise ModelFileError(weights_path, f"cannot be read ({err})") from None
    for i, emb in enumerate(skeleton.embeddings):
        if isinstance(emb, WordEmbeddings):
            emb.vectors[:] = tensors.pop(f"embeddings.{i}.vectors").numpy()
    skeleton.load_state_dict(tensors, strict=True)
    return skeleton.eval()
