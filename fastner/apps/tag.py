"""`fastner tag`: tag a document collection; the bundled model.

Output per document (`--format jsonl`, the default), one JSON record on one line:

    {"id": "sub/doc", "source": "in/sub/doc.txt", "sha256": "...", "model": "sha256:...", "n_chars": 12980,
     "sentences": [{"start": 0, "end": 23, "tokens": 4,
                    "spans": [{"start": 0, "end": 23, "label": "COURT", "score": 0.9731, "text": "..."}]}, ...],
     "n_sentences": 120, "n_tokens": 2315}

Offsets are character (code point) offsets into the document as read (strict UTF-8). `--format conll`:
`# key = value` header lines, then per sentence a `# sentence = START END` line, one line per token
(`token<TAB>BIOES tag<TAB>score<TAB>start<TAB>end`) and a blank line.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from fastner.apps.runs import UsageError
from fastner.models import default_model_path


class ModelNotFound(UsageError):
    """The bundled model is not installed, or `--model` names no model."""


def model_id(path: Path) -> str:
    """A short content hash of a model directory's files: outputs record it, resuming compares it."""
    digest = hashlib.sha256()
    for name in ("config.json", "model.safetensors"):
        with open(Path(path) / name, "rb") as f:
            while block := f.read(1 << 22):
                digest.update(block)
    return "sha256:" + digest.hexdigest()[:16]


def load_model(path: str | Path | None = None, device: str = "cpu"):
    """(tagger, model id) for `path`, or for the bundled model when `path` is None; `ModelNotFound` if the
    bundled model is not installed or `path` holds no readable model."""
    from fastner.io import ModelFileError
    from fastner.tagger import SequenceTagger

    directory = default_model_path() if path is None else Path(path)
    if path is None and not ((directory / "config.json").is_file() and (directory / "model.safetensors").is_file()):
        raise ModelNotFound(
            f"the bundled model is not installed (expected config.json and model.safetensors in {directory}); "
            "pass --model PATH to use another model directory")
    if not directory.is_dir():
        raise ModelNotFound(f"--model {directory}: not a directory (expected a fastner model directory)")
    try:
        tagger = SequenceTagger.load(directory)
    except ModelFileError as err:
        raise ModelNotFound(f"--model {directory}: {err}") from None
    if device != "cpu":
        tagger = tagger.to(device)
    return tagger, model_id(directory)
