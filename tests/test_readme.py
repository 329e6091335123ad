"""The README's switches table is the generated one, and the README names the commands CI runs."""

from __future__ import annotations

from pathlib import Path

from fastner import Switches

README = Path(__file__).resolve().parents[1] / "README.md"
TEST_COMMAND = ('python3 -m venv .venv && .venv/bin/pip install torch==2.13.0 '
                '-e ".[dev,flair,serve,onnx,ray,names,vectors]" && .venv/bin/python -m pytest')


def test_switches_table_is_up_to_date():
    text = README.read_text(encoding="utf-8")
    start = text.index("<!-- switches-table:start")
    end = text.index("<!-- switches-table:end -->")
    block = text[text.index("\n", start) + 1:end].strip()
    assert block == Switches.markdown_table(), "regenerate with: python -m fastner.switches > table"


def test_ci_runs_the_readme_test_command():
    assert TEST_COMMAND in README.read_text(encoding="utf-8")
    assert TEST_COMMAND in (README.parent / ".ci" / "run").read_text(encoding="utf-8")
