"""Options, fixtures and pytest-benchmark hooks of the ablation bench (run it with `fastner bench`)."""

from __future__ import annotations

import dataclasses
import tomllib
from pathlib import Path

import pytest
import torch

from fastner.options import add_arguments
from fastner.perf.floor import VARIANTS
from fastner.perf.ladder import configs, load_patches
from fastner.perf.options import BenchOptions
from fastner.perf.setup import build_setup, environment, snapshot


def pytest_addoption(parser):
    group = parser.getgroup("fastner bench")
    add_arguments(group, BenchOptions, add=group.addoption)


def _options(config) -> dict:
    return dataclasses.asdict(BenchOptions(**{f.name: config.getoption(f.name)
                                              for f in dataclasses.fields(BenchOptions)}))


def pytest_configure(config):
    threads = config.getoption("threads", None)
    if threads:
        torch.set_num_threads(threads)


def pytest_generate_tests(metafunc):
    if "config" in metafunc.fixturenames:
        o = _options(metafunc.config)
        use_crf = True  # the bench's models always decode with a CRF (SequenceTagger.random default)
        cs = configs(o["mode"], use_crf=use_crf)
        metafunc.parametrize("config", cs, ids=[f"{c.mode}:{c.name}" for c in cs])
    if "floor_variant" in metafunc.fixturenames:
        metafunc.parametrize("floor_variant", list(VARIANTS))


@pytest.fixture(scope="session")
def options(request) -> dict:
    return _options(request.config)


@pytest.fixture(scope="session")
def setup(options):
    return build_setup(options["workload"], options["size"], options["device"], options["batch_size"],
                       options["limit"])


@pytest.fixture(scope="session")
def reference(setup):
    """The baseline's outputs, against which every benchmark checks its own before its time counts."""
    setup.predict(configs("ladder")[0].switches)
    return snapshot(setup.sentences)


def pytest_benchmark_update_machine_info(config, machine_info):
    machine_info["fastner"] = environment(torch.device(config.getoption("device")))


def pytest_benchmark_update_json(config, benchmarks, output_json):
    """Everything a report needs besides timings: options, workload stats, the ladder, reference figures."""
    o = _options(config)
    setup = config._fastner_setup if hasattr(config, "_fastner_setup") else None
    patches = [dataclasses.asdict(p) for p in load_patches()]
    reference = tomllib.loads((Path(__file__).parent / "reference.toml").read_text(encoding="utf-8"))
    output_json["fastner"] = {
        "options": o, "patches": patches, "reference": reference,
        "workload": setup.workload.name if setup else o["workload"],
        "workload_stats": setup.stats() if setup else None,
        "n_tokens": setup.n_tokens if setup else None,
        "model": _model_info(setup) if setup else None,
    }


def _model_info(setup) -> dict:
    t = setup.tagger
    return {"size": setup.size, "embedding_dim": t.embedding_dim, "hidden_size": t.hidden_size,
            "tags": len(t.tags), "use_crf": t.use_crf,
            "parameters": sum(p.numel() for p in t.parameters()),
            "embeddings": [{"name": e.name, "dim": e.dim} for e in t.embeddings]}


@pytest.fixture(scope="session", autouse=True)
def _remember_setup(request, setup):
    request.config._fastner_setup = setup
