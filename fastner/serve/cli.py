"""`fastner serve` and `fastner serve-bench`: argument parsing; FastAPI and uvicorn are imported only when
a command runs (they come with the `serve` extra).

`serve` stops gracefully on Ctrl-C or SIGTERM (answers in progress are finished), then ends as that signal
asks (uvicorn raises it again); exit code 2: usage error (options, model, address in use, the extra missing).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from fastner.options import add_arguments, from_args
from fastner.serve.options import BenchSettings, ServeOptions

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
EXTRA_HINT = "install the serve extra: pip install 'fastner[serve]' (FastAPI and uvicorn)"


def register(subparsers) -> None:
    """Add the `serve` and `serve-bench` sub-commands to an argparse sub-parsers object."""
    p = subparsers.add_parser("serve", help="HTTP service: POST /tag, POST /anonymize, GET /health, GET /metrics",
                              description="Serve one model over HTTP; concurrent requests are tagged in shared "
                                          "mini-batches. Needs the serve extra.")
    ServeOptions.add_arguments(p)
    p.set_defaults(func=cmd_serve)

    p = subparsers.add_parser("serve-bench", help="load benchmark of `fastner serve` on loopback, and its report",
                              description="Closed-loop clients (1, 8, 32) sending single legal sentences and whole "
                                          "documents, with batching and with --max-batch 1; every answer is "
                                          "checked against the pipeline run directly. Writes "
                                          "reports/data/serve-cpu.json and reports/serve-cpu.md.")
    add_arguments(p, BenchSettings)
    p.add_argument("--out", default="reports", help="report directory (JSON under OUT/data/; default reports)")
    p.set_defaults(func=cmd_serve_bench)


def cmd_serve(args: argparse.Namespace) -> int:
    try:
        options = ServeOptions.from_args(args)
    except ValueError as err:
        return _usage("serve", str(err))
    try:
        from fastner.serve.app import create_app, listen, uvicorn_server
    except ImportError as err:
        return _usage("serve", f"{err.name or err} is not installed: {EXTRA_HINT}")
    import logging

    import torch

    from fastner.apps.runs import UsageError
    from fastner.apps.tag import load_model

    logging.basicConfig(level=options.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if options.threads:
        torch.set_num_threads(options.threads)
    try:
        tagger, model_id = load_model(options.model)
    except UsageError as err:
        return _usage("serve", str(err))
    try:
        sock = listen(options.host, options.port)
    except OSError as err:
        return _usage("serve", f"cannot listen on {options.host}:{options.port}: {err.strerror or err}")
    host, port = sock.getsockname()[:2]
    url = f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"
    print(f"fastner serve: model {model_id} listening on {url} (max batch {options.max_batch}, "
          f"max wait {options.max_wait_ms:g} ms, max queue {options.max_queue})", flush=True)
    try:
        uvicorn_server(create_app(tagger, model_id, options), options).run(sockets=[sock])
    finally:
        sock.close()
    return EXIT_OK


def cmd_serve_bench(args: argparse.Namespace) -> int:
    from fastner.serve.bench import measure, write

    try:
        settings = from_args(BenchSettings, args)
    except ValueError as err:
        return _usage("serve-bench", str(err))
    try:
        import fastapi  # noqa: F401  (the server subprocess needs it)
        import uvicorn  # noqa: F401
    except ImportError as err:
        return _usage("serve-bench", f"{err.name or err} is not installed: {EXTRA_HINT}")
    data = measure(settings, progress=lambda line: print(line, file=sys.stderr, flush=True))
    for path in write(data, Path(args.out)):
        print(f"wrote {path}")
    return EXIT_OK if data["checks"]["passed"] else EXIT_FAILED


def _usage(command: str, message: str) -> int:
    print(f"fastner {command}: error: {message}", file=sys.stderr)
    return EXIT_USAGE
