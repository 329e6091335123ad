"""The scale-ray report: rendered from its JSON only (same JSON, same bytes), estimates computed from it."""

from __future__ import annotations

import json
from pathlib import Path

from fastner.apps import scale_ray


def run(config: str, round_number: int, seconds: float, ray: dict | None = None) -> dict:
    entry = {"config": config, "round": round_number, "seconds": seconds, "tokens": 300_000, "documents": 100,
             "failed": 0, "sentences": 9_000, "identical": True, "files": 200, "load_before": [1.0, 1.0, 1.0],
             "load_after": [3.0, 2.0, 1.0]}
    if ray is not None:
        entry["ray"] = ray
    return entry


def ray_costs(workers: int) -> dict:
    return {"connect_s": 4.0, "start_s": 6.0, "close_s": 1.0, "batches": 13, "batch_overhead_s": 0.004,
            "worker_s": 280.0 / workers, "empty_batch_s": 0.002, "worker_deaths": 0}


def sample() -> dict:
    runs = []
    for r in (1, 2):
        runs += [run("local", r, 200.0), run("local-1t", r, 300.0), run("ray-1x1", r, 300.0, ray_costs(1)),
                 run("ray-2x1", r, 300.0 / 1.8, ray_costs(2))]
    return {"kind": scale_ray.KIND, "command": "fastner scale-ray --docs 100 --rounds 2", "goal": 0.9,
            "workload": {"name": "legal", "base_documents": 7, "documents": 100, "bytes": 1_900_000},
            "model": {"id": "sha256:0", "path": "bundled"},
            "settings": {"mode": "tag", "format": "jsonl", "review": True, "preset": "fastest", "batch_docs": 8,
                         "empty_batches": 20},
            "runs": runs, "assumptions": dict(scale_ray.ASSUMPTIONS),
            "environment": {"cpu_model": "CPU", "cpu_count": 2, "cpu_flags": {"avx2": True, "avx512_bf16": False},
                            "python": "3.11", "torch": "2.13", "ray": "2.60", "git_commit": "abc",
                            "platform": "Linux", "local_threads": 2}}


def test_estimates_come_from_the_figures() -> None:
    data = sample()
    rows = scale_ray.summarize(data)
    assert rows["ray-2x1"]["tokens_per_s"] == 300_000 / (300 / 1.8)
    e = scale_ray.estimate(data, rows)
    assert e["tokens_per_decision"] == 3000 and e["per_worker_tokens_per_s"] == 1000
    assert abs(e["efficiency"] - 0.9) < 1e-12  # 1,800 tokens/s with 2 workers of 1,000
    assert abs(e["machine_tokens_per_s"] - 32 * 900) < 1e-6
    assert abs(e["cpu_one_machine_hours"] - 3e9 / 28_800 / 3600) < 1e-9 and e["cpu_machines"] == 2
    assert abs(e["gpu_one_hours"] - 110_000 / 3600) < 1e-9 and e["gpus"] == 2


def test_render_is_a_function_of_the_json(tmp_path: Path) -> None:
    data = sample()
    text = scale_ray.render(data)
    assert text == scale_ray.render(json.loads(json.dumps(data)))
    assert "1.20x the local engine's tokens/s" in text and "goal >= 0.9: met" in text  # 1,800 against 1,500 tokens/s
    assert "| machines (GPUs) for 24 h | 2 | 2 |" in text
    data["runs"][-1]["identical"] = False
    assert "**no**" in scale_ray.render(data)
    json_path, md_path = scale_ray.write(data, tmp_path)
    assert json_path == tmp_path / "data" / "scale-ray-cpu.json" and md_path == tmp_path / "scale-ray-cpu.md"
    assert json.loads(json_path.read_text())["kind"] == "scale-ray"
    assert md_path.read_text() == scale_ray.render(json.loads(json_path.read_text()))
