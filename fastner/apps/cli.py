"""`fastner tag` and `fastner anonymize`: argument parsing over `fastner.apps.pipeline`.

Exit codes: 0 every document done (or skipped as already done), 1 some document failed (see
`OUT/errors.jsonl`), 2 usage error (arguments, model, output directory).
"""

from __future__ import annotations

import argparse
import sys

from fastner.apps.anonymize import DEFAULT_TYPES, STRATEGIES
from fastner.apps.documents import DEFAULT_MAX_BYTES, MAX_SENTENCE_CHARS
from fastner.apps.review import DEFAULT_THRESHOLD

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def _threshold(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number in [0, 1], got {text!r}") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"expected a number in [0, 1], got {text!r}")
    return value


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("inputs", nargs="+", metavar="INPUT",
                   help="files, directories (their .txt files, recursively) or - for standard input")
    p.add_argument("--out", required=True, metavar="DIR", help="output directory (re-running resumes)")
    p.add_argument("--model", metavar="PATH", help="model directory (default: the bundled model)")
    p.add_argument("--max-bytes", type=_positive_int, default=DEFAULT_MAX_BYTES,
                   help=f"documents larger than this fail with too_large (default {DEFAULT_MAX_BYTES})")
    p.add_argument("--no-review", dest="review", action="store_false",
                   help="do not write DOC.review.json checklists")
    p.add_argument("--review-threshold", type=_threshold, default=DEFAULT_THRESHOLD,
                   help=f"review spans below this confidence (default {DEFAULT_THRESHOLD})")
    p.add_argument("--html", action="store_true", help="also write a self-contained DOC.html view")
    p.add_argument("--preset", default="fastest", help="switches preset of predict (default fastest)")
    p.add_argument("--batch-size", type=_positive_int, default=32, help="predict's mini-batch size")
    p.add_argument("--chunk-sentences", type=_positive_int, default=1000,
                   help="sentences sent to predict at once, across documents (bounds memory; default 1000)")
    p.add_argument("--max-sentence-chars", type=_positive_int, default=MAX_SENTENCE_CHARS,
                   help=f"longer sentences are cut at a space (default {MAX_SENTENCE_CHARS})")
    p.add_argument("--device", default="cpu", help="cpu or cuda")
    p.add_argument("--threads", type=_positive_int, help="torch CPU threads")
    p.add_argument("--fsync", action="store_true", help="fsync each output before it is moved into place")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar or summary")
    ray = p.add_argument_group("distributed (fastner.apps.distributed; needs the ray extra)")
    ray.add_argument("--engine", choices=["local", "ray"], default="local",
                     help="local: this process (default); ray: workers of a Ray cluster, each with the model")
    ray.add_argument("--address", metavar="ADDR",
                     help="join the Ray cluster at ADDR (HOST:PORT of its head, or auto); default: start a local "
                          "Ray instance for the run")
    ray.add_argument("--workers", type=_positive_int, help="Ray workers (default: as many as the free CPUs allow)")
    ray.add_argument("--threads-per-worker", type=_positive_int, default=None,
                     help="torch threads of each Ray worker (default 1)")


def register(subparsers) -> None:
    """Add the `tag`, `anonymize` and `evaluate-handwritten` sub-commands to an argparse sub-parsers object."""
    p = subparsers.add_parser("tag", help="tag documents: entity spans with offsets, as JSONL or CoNLL",
                              description="Tag a collection of documents; re-running the same command resumes.")
    _common(p)
    p.add_argument("--format", choices=["jsonl", "conll"], default="jsonl", help="output format (default jsonl)")
    p.set_defaults(func=cmd_tag)

    p = subparsers.add_parser("anonymize", help="pseudonymize documents (names, addresses...)",
                              description="Write the pseudonymized text of each document; everything outside "
                                          "the replaced spans is unchanged. Re-running the same command resumes.")
    _common(p)
    p.add_argument("--strategy", choices=STRATEGIES, default="placeholder",
                   help="placeholder [PERS]; numbered [PERS 1]; cassation [A], [1], [Adresse 1]; initials D...; "
                        "fake names (default placeholder)")
    p.add_argument("--types", default=",".join(DEFAULT_TYPES),
                   help=f"comma-separated types to replace (default {','.join(DEFAULT_TYPES)}; lawyers and "
                        "judges are kept unless listed; with --strategy cassation, DATE replaces birth dates only)")
    p.add_argument("--no-consistency", dest="consistency", action="store_false",
                   help="replace only the tagged spans, not the other occurrences of their strings")
    p.add_argument("--seed", type=int, default=0, help="seed of the fake strategy (with each document's hash)")
    p.set_defaults(func=cmd_anonymize)

    from fastner.apps.handwritten import add_arguments, cmd_evaluate_handwritten

    p = subparsers.add_parser("evaluate-handwritten", help="score predict and anonymize on hand-written decisions",
                              description="Span F1 of the model, and what `fastner anonymize` replaces and keeps, "
                                          "on a hand-written annotated set (fastner.apps.handwritten).")
    add_arguments(p)
    p.set_defaults(func=cmd_evaluate_handwritten)


def cmd_tag(args) -> int:
    return _run(args, "tag")


def cmd_anonymize(args) -> int:
    return _run(args, "anonymize")


def _run(args, mode: str) -> int:
    from pathlib import Path

    from fastner.apps.pipeline import Settings, run_collection
    from fastner.apps.runs import UsageError
    from fastner.apps.tag import load_model
    from fastner.switches import Switches

    try:
        given = [name for name in ("address", "workers", "threads_per_worker") if getattr(args, name) is not None]
        if given and args.engine != "ray":
            raise UsageError(f"--{given[0].replace('_', '-')} needs --engine ray")
        try:
            switches = Switches.preset(args.preset)
        except ValueError as err:
            raise UsageError(f"--preset: {err}") from None
        if args.device not in ("cpu", "cuda"):
            raise UsageError(f"--device must be cpu or cuda, not {args.device!r}")
        if args.threads:
            import torch

            torch.set_num_threads(args.threads)
        tagger, model = load_model(args.model, "cpu" if args.engine == "ray" else args.device)  # ray: workers load
        extra = {"format": args.format} if mode == "tag" else {}
        if mode == "anonymize":
            types = tuple(dict.fromkeys(t.strip() for t in args.types.split(",") if t.strip()))
            unknown = [t for t in types if t not in tagger.tag_types]
            if not types or unknown:
                problem = f"unknown type(s) {', '.join(unknown)}" if unknown else "empty"
                raise UsageError(f"--types {args.types}: {problem}; this model tags {', '.join(tagger.tag_types)}")
            extra.update(strategy=args.strategy, types=types, consistency=args.consistency, seed=args.seed)
        settings = Settings(mode=mode, html=args.html, review=args.review, review_threshold=args.review_threshold,
                            max_bytes=args.max_bytes, max_sentence_chars=args.max_sentence_chars,
                            chunk_sentences=args.chunk_sentences, mini_batch_size=args.batch_size, switches=switches,
                            fsync=args.fsync, **extra)
        if args.engine == "ray":
            from fastner.apps.distributed import ModelFiles, RayOptions, run_collection_ray
            from fastner.models import default_model_path

            options = RayOptions(address=args.address, workers=args.workers,
                                 threads_per_worker=args.threads_per_worker or 1, device=args.device)
            load = ModelFiles.read(Path(args.model) if args.model else default_model_path(), args.device)
            report = run_collection_ray(args.inputs, Path(args.out), load, model, settings, options, quiet=args.quiet)
        else:
            report = run_collection(args.inputs, Path(args.out), tagger, model, settings, quiet=args.quiet)
    except UsageError as err:
        print(f"fastner {mode}: error: {err}", file=sys.stderr)
        return EXIT_USAGE
    return EXIT_FAILED if report.failed or report.summary_error else EXIT_OK
