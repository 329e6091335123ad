"""The stacked embeddings: static word vectors and character language models, by their config type."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

import fastner.fields as fields
from fastner.embeddings.charlm import CharLMEmbeddings
from fastner.embeddings.words import WordEmbeddings

EMBEDDING_TYPES = {"words": WordEmbeddings, "charlm": CharLMEmbeddings}


def embedding_class(config: Any, field: str) -> type:
    """The class of the embedding `config` describes; `ValueError` naming `field` if it is not one."""
    kind = fields.keys(config, field, ("type",))["type"]
    if kind not in EMBEDDING_TYPES:
        raise ValueError(f"{field} has unknown type {kind!r} (expected {' or '.join(map(repr, EMBEDDING_TYPES))})")
    return EMBEDDING_TYPES[kind]


def embedding_from_config(config: dict[str, Any], tensors: dict[str, torch.Tensor] | None = None) -> nn.Module:
    """An embedding from its `config()` and its own tensors (names without the tagger's prefix); without
    tensors, a skeleton that knows its shapes only."""
    return embedding_class(config, "embedding").from_config(config, tensors)
