"""The settings of `fastner serve` and `fastner serve-bench` (no serve extra needed): the issue's flags, validation,
generated command lines, and a core that never imports FastAPI or uvicorn."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from fastner.cli import build_parser, main
from fastner.options import command_line, from_args
from fastner.serve.options import BenchSettings, ServeOptions

REPO = Path(__file__).resolve().parents[1]


def test_serve_options_are_the_issue_flags():
    args = build_parser().parse_args(["serve", "--model", "m", "--host", "0.0.0.0", "--port", "1", "--max-batch", "2",
                                      "--max-wait-ms", "3.5", "--max-queue", "4", "--max-chars", "5", "--threads", "6"])
    assert ServeOptions.from_args(args) == ServeOptions(model="m", host="0.0.0.0", port=1, max_batch=2,
                                                        max_wait_ms=3.5, max_queue=4, max_chars=5, threads=6)
    defaults = ServeOptions.from_args(build_parser().parse_args(["serve"]))
    assert defaults == ServeOptions()
    assert (defaults.host, defaults.port, defaults.max_batch, defaults.max_wait_ms, defaults.max_queue,
            defaults.max_chars, defaults.threads) == ("127.0.0.1", 8080, 32, 10.0, 256, 1_000_000, None)


@pytest.mark.parametrize(("fields", "message"), [
    ({"max_batch": 0}, "--max-batch must be a positive integer"),
    ({"max_queue": -1}, "--max-queue must be a positive integer"),
    ({"max_chars": 2.5}, "--max-chars must be a positive integer"),
    ({"max_batch_tokens": True}, "--max-batch-tokens must be a positive integer"),
    ({"threads": 0}, "--threads must be a positive integer"),
    ({"port": 65536}, "--port must be in 0..65535"),
    ({"max_wait_ms": float("nan")}, "--max-wait-ms must be in"),
    ({"max_wait_ms": -1}, "--max-wait-ms must be in"),
    ({"host": ""}, "--host must not be empty"),
    ({"log_level": "loud"}, "--log-level must be one of"),
])
def test_serve_options_refuse_what_cannot_work(fields, message):
    with pytest.raises(ValueError, match=message):
        ServeOptions(**fields)


def test_max_body_bytes_holds_max_chars_escaped():
    assert ServeOptions(max_chars=10).max_body_bytes >= 12 * 10


def test_bench_command_line_is_generated_from_the_settings(tmp_path: Path, capsys):
    settings = BenchSettings(duration_s=2.5, clients=(1, 4), threads=None, model="m")
    assert command_line("fastner serve-bench", settings) == (
        "fastner serve-bench --duration 2.5 --clients 1,4 --threads 0 --model m")
    assert command_line("fastner serve-bench", BenchSettings()) == "fastner serve-bench"
    args = build_parser().parse_args(["serve-bench", "--duration", "2.5", "--clients", "1,4", "--threads", "0",
                                      "--model", "m"])
    assert from_args(BenchSettings, args) == settings
    assert main(["serve-bench", "--clients", "0,2", "--out", str(tmp_path)]) == 2
    assert "--clients must be positive" in capsys.readouterr().err
    assert main(["serve-bench", "--overload-clients", "4", "--out", str(tmp_path)]) == 2
    assert "--overload-clients must exceed" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_the_core_and_the_report_never_import_fastapi_or_uvicorn():
    code = ("import sys; import fastner, fastner.cli, fastner.apps.pipeline, fastner.serve.bench; "
            "fastner.cli.build_parser(); "
            "bad = [m for m in sys.modules if m.split('.')[0] in ('fastapi', 'uvicorn', 'starlette')]; "
            "assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO)
