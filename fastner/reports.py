"""Every report kind, rendered from its saved JSON only (`fastner report reports/data/*.json --out reports`).

A benchmark JSON of `fastner bench` (pytest-benchmark's, with a `fastner` section) renders the ladder
reports (`fastner.perf.report`); any other JSON names its `kind`, and the module listed here for that kind
renders it: `render(data) -> markdown` and `stem(data) -> file stem` (and `plot(data, out_dir) -> path`
when the report has a picture). The same JSON always renders byte-identical markdown.
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path


def write_json_and_markdown(data: dict, markdown: str, out_dir: Path, stem: str) -> tuple[Path, Path]:
    """Save a measurement's JSON under `out_dir/data/` and the markdown rendered from it beside."""
    (out_dir / "data").mkdir(parents=True, exist_ok=True)
    json_path = out_dir / "data" / f"{stem}.json"
    json_path.write_text(json.dumps(data, indent=1), encoding="utf-8")
    md_path = out_dir / f"{stem}.md"
    md_path.write_text(markdown, encoding="utf-8")
    return json_path, md_path


KINDS = {
    "accuracy": "fastner.train.accuracy_report",
    "anonymize-recall": "fastner.apps.recall_report",
    "head-to-head": "fastner.perf.headtohead",
    "tag-overhead": "fastner.apps.tag_overhead",
    "serve": "fastner.serve.bench",
    "scale-ray": "fastner.apps.scale_ray",
    "sweep": "fastner.perf.sweep",
    "tiers": "fastner.perf.tiers",
}


def render_all(json_paths: list[Path], out_dir: Path) -> list[Path]:
    """Render every report of `json_paths` into `out_dir`; return the files written."""
    from fastner.perf.report import render_reports

    bench, written = [], []
    out_dir.mkdir(parents=True, exist_ok=True)
    for path in json_paths:
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
            raise SystemExit(f"{path}: not a readable report JSON ({err})") from None
        if isinstance(data, dict) and "benchmarks" in data and "fastner" in data:
            bench.append(Path(path))
            continue
        kind = data.get("kind") if isinstance(data, dict) else None
        if kind not in KINDS:
            raise SystemExit(f"{path}: not a fastner report JSON (its kind {kind!r} is none of "
                             f"{', '.join(['bench', *KINDS])})")
        module = importlib.import_module(KINDS[kind])
        md_path = out_dir / f"{module.stem(data)}.md"
        md_path.write_text(module.render(data), encoding="utf-8")
        written.append(md_path)
        if hasattr(module, "plot"):
            written.append(module.plot(data, out_dir))
    if bench:
        written += render_reports(bench, out_dir)
    return written
