"""The bundled model: `default/` holds the French case-law tagger (config.json + model.safetensors) that
`fastner train-default` trains and that the commands use when `--model` is omitted."""

from __future__ import annotations

from pathlib import Path


def default_model_path() -> Path:
    """The bundled model's directory (whether or not it is installed: callers check)."""
    return Path(__file__).resolve().parent / "default"
