"""Training-side tools: synthetic data, CoNLL I/O, metrics, character-LM and tagger training, the default model."""

from __future__ import annotations

from pathlib import Path


def default_model_path() -> Path:
    """The bundled French case-law model (config.json + model.safetensors), trained by
    `python -m fastner.train.recipe`; used when a command's --model is omitted."""
    return Path(__file__).resolve().parents[1] / "models" / "default"


def load_default_model():
    """`SequenceTagger.load(default_model_path())`."""
    from fastner.tagger import SequenceTagger

    return SequenceTagger.load(default_model_path())
