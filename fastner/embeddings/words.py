"""Static word vectors: a vocabulary and a matrix, with Flair's lookup fallbacks and an owned LRU cache."""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from torch import nn

import fastner.fields as fields
from fastner.switches import Switches

_DIGIT = re.compile(r"\d")


class WordEmbeddings(nn.Module):
    """Flair's WordEmbeddings: `vectors` (V, Dw) float32 on the host, like gensim's KeyedVectors.

    Lookup tries the exact word, the lower-cased word, lower-case with digits -> '#', lower-case with
    digits -> '0'; anything else gets a zero vector (row V of the padded table).
    """

    def __init__(self, words: list[str], vectors: np.ndarray, name: str = "0-words") -> None:
        super().__init__()
        if vectors.ndim != 2 or vectors.shape[0] != len(words):
            raise ValueError(f"word vectors of shape {vectors.shape} do not match a vocabulary of {len(words)} words")
        self.name = name
        self.words = list(words)
        self.index = {w: i for i, w in enumerate(self.words)}
        table = np.zeros((len(words) + 1, vectors.shape[1]), dtype=np.float32)  # (V+1, Dw), last row = unknown
        table[:-1] = vectors
        self.vectors = table[:-1]  # (V, Dw), what gensim's KeyedVectors held
        self._table = torch.from_numpy(table)  # shares memory; stays on the host like Flair's force_cpu
        self._caches: dict[tuple[str, int], Callable] = {}
        self._caches_lock = threading.Lock()

    @property
    def dim(self) -> int:
        return self.vectors.shape[1]

    # --- description and tensors (model files) ----------------------------------------------------------

    def config(self) -> dict[str, Any]:
        return {"type": "words", "name": self.name, "dim": self.dim, "words": self.words}

    @staticmethod
    def check_config(config: Any, field: str) -> None:
        fields.keys(config, field, ("name", "dim", "words"))
        fields.strings(config["words"], f"{field}.words")
        fields.integer(config["dim"], f"{field}.dim")

    @classmethod
    def from_config(cls, config: dict[str, Any], tensors: dict[str, torch.Tensor] | None) -> nn.Module:
        """From `config()` and this embedding's tensors (`vectors`: (V, Dw)); without tensors, a stand-in that
        only knows its shapes (on the meta device), for checking a model file before anything is allocated."""
        if tensors is None:
            return _WordsShape(config["name"], len(config["words"]), config["dim"])
        return cls(config["words"], tensors["vectors"].numpy(), config["name"])

    def _save_to_state_dict(self, destination, prefix, keep_vars):  # the vectors are saved with the weights
        super()._save_to_state_dict(destination, prefix, keep_vars)
        destination[prefix + "vectors"] = self._table[:-1]  # (V, Dw), shares memory with `vectors`

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                              error_msgs):
        key = prefix + "vectors"
        if key not in state_dict:
            missing_keys.append(key)
        elif tuple(state_dict[key].shape) != self.vectors.shape:
            error_msgs.append(f"{key}: shape {tuple(state_dict[key].shape)}, expected {self.vectors.shape}")
        else:
            self.vectors[:] = state_dict[key].detach().cpu().numpy()
        super()._load_from_state_dict({k: v for k, v in state_dict.items() if k != key}, prefix, local_metadata,
                                      strict, missing_keys, unexpected_keys, error_msgs)

    def row(self, word: str) -> int:
        """Row of `word` in the padded table, with Flair's four fallbacks; V (the zero row) if none hits."""
        index = self.index
        if word in index:
            return index[word]
        lower = word.lower()
        if lower in index:
            return index[lower]
        hashed = _DIGIT.sub("#", lower)
        if hashed in index:
            return index[hashed]
        zeroed = _DIGIT.sub("0", lower)
        if zeroed in index:
            return index[zeroed]
        return len(self.words)

    def vector(self, word: str) -> np.ndarray:
        """(Dw,) NumPy vector, as gensim returned it (a zero vector for unknown words)."""
        row = self.row(word)
        return self.vectors[row] if row < len(self.words) else np.zeros(self.dim, dtype=np.float32)

    def cached(self, kind: str, size: int) -> Callable:
        """This embedding's own LRU cache (functools.lru_cache, thread-safe) of `size` entries:
        kind 'vector': (word, device) -> (Dw,) tensor on the device; kind 'row': word -> table row."""
        with self._caches_lock:
            fn = self._caches.get((kind, size))
            if fn is None:
                fn = self._caches[(kind, size)] = functools.lru_cache(maxsize=size)(
                    self.row if kind == "row" else self._device_vector)
            return fn

    def _device_vector(self, word: str, device: str) -> torch.Tensor:
        return torch.tensor(self.vector(word), device=device)

    def clear_caches(self) -> None:
        with self._caches_lock:
            self._caches.clear()

    def _apply(self, fn, recurse=True):  # moving the module invalidates device-resident cached vectors
        self.clear_caches()
        return super()._apply(fn, recurse)

    # --- per-token path (Flair 0.4.3 / 0.4.4) ---------------------------------------------------------

    def embed_tokens(self, sentences, device: torch.device, switches: Switches) -> None:
        """Attach one (Dw,) tensor per token. 0.4.3: NumPy vector -> new CPU tensor -> .to(device), per
        token. #1084 (word_vec_cache_size > 0): an LRU of tensors created directly on the device, shared by
        tokens."""
        cache_size, only_if_needed = switches.word_vec_cache_size, switches.set_embedding_to == "if_needed"
        if cache_size:
            cached_vector, device_name = self.cached("vector", cache_size), str(device)
            for sentence in sentences:
                for token in sentence:
                    token.set_embedding(self.name, cached_vector(token.text, device_name), device, only_if_needed)
        else:
            for sentence in sentences:
                for token in sentence:
                    vec = torch.tensor(self.vector(token.text))  # torch.FloatTensor(numpy_vec): a host copy
                    token.set_embedding(self.name, vec, device, only_if_needed)

    # --- batched path (fastner) ------------------------------------------------------------------------

    def embed_batch(self, sentences, device: torch.device, switches: Switches) -> torch.Tensor:
        """(N, Dw) for the N tokens of `sentences`: rows looked up (through an LRU of rows if
        word_vec_cache_size > 0), one gather on the host, one copy to the device."""
        words = [token.text for sentence in sentences for token in sentence]
        cache_size = switches.word_vec_cache_size
        if cache_size:
            cached_row = self.cached("row", cache_size)
            rows = [cached_row(w) for w in words]
        else:
            rows = [self.row(w) for w in words]
        out = self._table[torch.tensor(rows)]  # (N, Dw)
        return out.to(device, non_blocking=True)


class _WordsShape(nn.Module):
    """A WordEmbeddings' name, width and `vectors` shape, with no vectors (meta device)."""

    def __init__(self, name: str, n_words: int, dim: int) -> None:
        super().__init__()
        self.name, self.dim = name, dim
        self.register_buffer("vectors", torch.empty((n_words, dim), device="meta"))  # (V, Dw)
