"""`fastner tag`: tag a document collection; the bundled model; the pipeline's overhead over predict.

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
import tempfile
import time
from pathlib import Path
from typing import Any

from fastner.apps.pipeline import RunReport, Settings, run_collection
from fastner.apps.runs import UsageError

MODELS = Path(__file__).resolve().parents[1] / "models"


class ModelNotFound(UsageError):
    """The bundled model is not installed, or `--model` names no model."""


def default_model_dir() -> Path:
    """The bundled model's directory (`fastner/models/default`); `ModelNotFound` if it is not there."""
    path = MODELS / "default"
    if not (path / "config.json").is_file() or not (path / "model.safetensors").is_file():
        raise ModelNotFound(
            f"the bundled model is not installed (expected config.json and model.safetensors in {path}); "
            "pass --model PATH to use another model directory")
    return path


def model_id(path: Path) -> str:
    """A short content hash of a model directory's files: outputs record it, resuming compares it."""
    digest = hashlib.sha256()
    for name in ("config.json", "model.safetensors"):
        with open(Path(path) / name, "rb") as f:
            while block := f.read(1 << 22):
                digest.update(block)
    return "sha256:" + digest.hexdigest()[:16]


def load_model(path: str | Path | None = None, device: str = "cpu"):
    """(tagger, model id) for `path`, or for the bundled model when `path` is None."""
    from fastner.io import ModelFileError
    from fastner.tagger import SequenceTagger

    directory = default_model_dir() if path is None else Path(path)
    if not directory.is_dir():
        raise ModelNotFound(f"--model {directory}: not a directory (expected a fastner model directory)")
    try:
        tagger = SequenceTagger.load(directory)
    except ModelFileError as err:
        raise ModelNotFound(f"--model {directory}: {err}") from None
    if device != "cpu":
        tagger = tagger.to(device)
    return tagger, model_id(directory)


def run_tag(inputs: list[str], out: str | Path, tagger, model: str, **settings: Any) -> RunReport:
    """Tag `inputs` (files, directories, "-") into `out` with `tagger` (its id `model`), as `fastner tag` does.
    Keyword arguments are `Settings` fields (`format`, `html`, `review`...) plus `quiet`."""
    quiet = settings.pop("quiet", True)
    return run_collection(list(inputs), Path(out), tagger, model, Settings(mode="tag", **settings), quiet=quiet)


def measure_tag_overhead(tagger=None, documents: list[str] | None = None, *, size: str = "cpu",
                         switches=None, mini_batch_size: int = 32, repeats: int = 3, review: bool = True,
                         html: bool = False, fmt: str = "jsonl", workdir: str | Path | None = None) -> dict[str, Any]:
    """Time `tagger.predict` alone against the whole `fastner tag` pipeline on the same text.

    `documents`: texts (default: the bundled `legal` workload, one text per document, its sentences one per
    line); `tagger`: default a random model of `size` over the workload's vocabulary (as the benchmark
    builds). Predict alone is timed on exactly the sentences the pipeline splits, given as strings (so it
    tokenizes, as the pipeline must) and as pre-tokenized Sentences; the pipeline is timed end to end
    (files written, read, hashed, split, tagged, outputs and review checklists written and committed: the
    command's defaults; `review=False`, `html=True`, `fmt` change that). Best of `repeats` each.
    Returns seconds (wall clock, and process CPU time, steadier on a shared machine), tokens, and
    `overhead` = pipeline / predict(strings) - 1 (`overhead_cpu` the same in CPU time).
    """
    from fastner.apps.documents import split_sentences
    from fastner.switches import Switches
    from fastner.text import Sentence

    switches = switches or Switches.preset("fastest")
    if documents is None or tagger is None:
        from fastner.perf.setup import TAG_TYPES, workload_vocab
        from fastner.perf.workloads import load_workload

        workload = load_workload("legal")
        if documents is None:
            documents = ["\n".join(doc) + "\n" for doc in workload.documents]
        if tagger is None:
            from fastner.tagger import SequenceTagger

            tagger = SequenceTagger.random(size, TAG_TYPES, seed=0, vocab=workload_vocab(workload))
    settings = Settings(mode="tag", format=fmt, html=html, review=review, mini_batch_size=mini_batch_size,
                        switches=switches)
    sentences = [text for doc in documents for _, text in split_sentences([doc], settings.max_sentence_chars)]
    tokens = sum(len(s) for s in tagger.predict(sentences, mini_batch_size, switches))  # warm-up

    def best(fn) -> tuple[float, float]:
        """Smallest wall-clock and smallest process CPU time over `repeats` runs."""
        walls, cpus = [], []
        for _ in range(repeats):
            w0, c0 = time.perf_counter(), time.process_time()
            fn()
            walls.append(time.perf_counter() - w0)
            cpus.append(time.process_time() - c0)
        return min(walls), min(cpus)

    predict_s, predict_cpu = best(lambda: tagger.predict(sentences, mini_batch_size, switches))
    prebuilt = [Sentence(s) for s in sentences]
    predict_pre_s, predict_pre_cpu = best(lambda: tagger.predict(prebuilt, mini_batch_size, switches))
    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        inputs = Path(tmp) / "in"
        inputs.mkdir()
        for i, doc in enumerate(documents):
            (inputs / f"doc{i:05d}.txt").write_text(doc, encoding="utf-8")
        runs = iter(range(2 * repeats))

        def pipeline() -> None:
            out = Path(tmp) / f"out{next(runs)}"
            report = run_collection([str(inputs)], out, tagger, "overhead", settings, quiet=True)
            if report.failed or report.tokens != tokens:
                raise RuntimeError(f"pipeline run differs: {report}")

        pipeline_s, pipeline_cpu = best(pipeline)
    return {
        "documents": len(documents), "sentences": len(sentences), "tokens": tokens,
        "predict_s": predict_s, "predict_pretokenized_s": predict_pre_s, "pipeline_s": pipeline_s,
        "overhead": pipeline_s / predict_s - 1.0, "overhead_vs_pretokenized": pipeline_s / predict_pre_s - 1.0,
        "predict_cpu_s": predict_cpu, "predict_pretokenized_cpu_s": predict_pre_cpu, "pipeline_cpu_s": pipeline_cpu,
        "overhead_cpu": pipeline_cpu / predict_cpu - 1.0,
        "settings": {"format": fmt, "review": review, "html": html, "mini_batch_size": mini_batch_size,
                     "repeats": repeats},
    }
