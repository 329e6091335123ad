"""Model files: safetensors + JSON, validated on load, failing closed with the file and problem named."""

from __future__ import annotations

import json

import pytest
import torch
from safetensors.torch import load_file, save_file

from fastner import SequenceTagger
from fastner.io import ModelFileError

from .conftest import make_tagger


@pytest.fixture
def saved(tmp_path):
    path = tmp_path / "model"
    make_tagger(seed=3, nout=5).save(path)
    return path


def test_files_written_and_no_pickle(saved):
    assert sorted(p.name for p in saved.iterdir()) == ["config.json", "model.safetensors"]
    assert json.loads((saved / "config.json").read_text())["format"] == "fastner-sequence-tagger"


def expect_error(path, *fragments):
    with pytest.raises(ModelFileError) as err:
        SequenceTagger.load(path)
    for fragment in fragments:
        assert fragment in str(err.value)
    return err.value


def test_missing_directory_and_files(tmp_path, saved):
    expect_error(tmp_path / "nowhere", "nowhere", "not a model directory")
    (saved / "model.safetensors").unlink()
    expect_error(saved, "model.safetensors", "missing")


def test_truncated_weights(saved):
    data = (saved / "model.safetensors").read_bytes()
    (saved / "model.safetensors").write_bytes(data[: len(data) // 2])
    expect_error(saved, "model.safetensors")


def test_garbage_weights(saved):
    (saved / "model.safetensors").write_bytes(b"\x00" * 100)
    expect_error(saved, "model.safetensors")


def test_corrupt_config(saved):
    (saved / "config.json").write_text("{not json")
    expect_error(saved, "config.json", "JSON")
    (saved / "config.json").write_text(json.dumps({"format": "something-else"}))
    expect_error(saved, "config.json", "format")


def test_config_missing_a_key(saved):
    config = json.loads((saved / "config.json").read_text())
    del config["hidden_size"]
    (saved / "config.json").write_text(json.dumps(config))
    expect_error(saved, "config.json", "hidden_size")


def test_unknown_tensor_fails_closed(saved):
    tensors = load_file(saved / "model.safetensors")
    tensors["sneaky.extra"] = torch.zeros(2)
    save_file(tensors, saved / "model.safetensors")
    expect_error(saved, "unknown", "sneaky.extra")


def test_missing_tensor_fails_closed(saved):
    tensors = load_file(saved / "model.safetensors")
    del tensors["linear.bias"]
    save_file(tensors, saved / "model.safetensors")
    expect_error(saved, "missing", "linear.bias")


@pytest.mark.parametrize("change", ["shape", "dtype"])
def test_mismatched_tensor_fails_closed(saved, change):
    tensors = load_file(saved / "model.safetensors")
    t = tensors["linear.weight"]
    tensors["linear.weight"] = t[:-1] if change == "shape" else t.double()
    save_file(tensors, saved / "model.safetensors")
    expect_error(saved, "linear.weight", "config.json says")


def test_config_disagreeing_with_weights(saved):
    config = json.loads((saved / "config.json").read_text())
    config["hidden_size"] = 9
    (saved / "config.json").write_text(json.dumps(config))
    expect_error(saved, "model.safetensors", "config.json says")
