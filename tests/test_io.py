"""Model files: safetensors + JSON, validated on load, failing closed with the file and problem named."""

from __future__ import annotations

import json
import time
import tracemalloc

import pytest
import torch
from safetensors.torch import load_file, save_file

from fastner import SequenceTagger
from fastner import io as io_module
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


# --- hostile model files: refused fast, before anything is allocated, with the file and the field named ------

def rewrite_config(path, change) -> None:
    config = json.loads((path / "config.json").read_text())
    change(config)
    (path / "config.json").write_text(json.dumps(config))


def _set(keys, value):
    def change(config):
        target = config
        for key in keys[:-1]:
            target = target[key]
        target[keys[-1]] = value
    return change


@pytest.mark.parametrize(("keys", "value", "fragment"), [
    (("embeddings", 1, "nout"), -1, "nout"),
    (("embeddings", 1, "embedding_size"), -3, "embedding_size"),
    (("hidden_size",), 10**9, "hidden_size"),
    (("embeddings", 0, "dim"), 10**9, "dim"),
    (("rnn_layers",), 0, "rnn_layers"),
    (("hidden_size",), True, "hidden_size"),
    (("hidden_size",), 2.5, "hidden_size"),
    (("use_crf",), "yes", "use_crf"),
    (("tags",), "O", "tags"),
    (("tags",), ["O", "O"], "tags"),
    (("embeddings",), [], "embeddings"),
    (("embeddings", 0, "type"), "pickle", "unknown type"),
    (("embeddings", 2, "chars"), None, "chars"),
])
def test_bad_config_values_are_refused_with_the_field_named(saved, keys, value, fragment):
    rewrite_config(saved, _set(keys, value))
    expect_error(saved, "config.json", fragment)


def _refuse_a_config_that_disagrees_with_the_weights(saved) -> tuple[float, int]:
    """hidden_size 8192 is a valid size but not this file's: the header says so before any allocation.
    Returns the refusal's wall-clock seconds and traced peak bytes."""
    rewrite_config(saved, _set(("hidden_size",), 8192))
    rewrite_config(saved, _set(("embeddings", 1, "hidden_size"), 8192))
    expect_error(saved, "model.safetensors", "config.json says")  # lazy imports paid outside the measure
    tracemalloc.start()
    started = time.perf_counter()
    expect_error(saved, "model.safetensors", "config.json says")
    seconds = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return seconds, peak


def test_a_config_that_disagrees_with_the_weights_is_refused_before_building(saved):
    seconds, peak = _refuse_a_config_that_disagrees_with_the_weights(saved)
    assert peak < 20 << 20, (seconds, peak)  # the 8192-wide LSTMs alone would be gigabytes


@pytest.mark.slow
def test_a_config_that_disagrees_with_the_weights_is_refused_fast(saved):
    seconds, peak = _refuse_a_config_that_disagrees_with_the_weights(saved)
    assert seconds < 2.0 and peak < 20 << 20, (seconds, peak)


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -float("inf")])
def test_non_finite_weights_are_refused(saved, value):
    tensors = load_file(saved / "model.safetensors")
    tensors["rnn.weight_hh_l0"][1, 2] = value
    save_file(tensors, saved / "model.safetensors")
    expect_error(saved, "rnn.weight_hh_l0", "NaN or infinite")


@pytest.mark.parametrize("header", [b"\xff" * 8, (10**12).to_bytes(8, "little"), (5).to_bytes(8, "little") + b"[1,2]",
                                    (2).to_bytes(8, "little") + b"{}" + b"extra"])
def test_bad_safetensors_headers(saved, header):
    (saved / "model.safetensors").write_bytes(header)
    expect_error(saved, "model.safetensors", "safetensors")


def test_offsets_beyond_the_data_are_refused(saved):
    data = (saved / "model.safetensors").read_bytes()
    n = int.from_bytes(data[:8], "little")
    header = json.loads(data[8:8 + n])
    name = next(k for k in header if k != "__metadata__")
    header[name]["data_offsets"][1] += 4
    blob = json.dumps(header).encode()
    (saved / "model.safetensors").write_bytes(len(blob).to_bytes(8, "little") + blob + data[8 + n:])
    expect_error(saved, "model.safetensors", "corrupt")


@pytest.mark.parametrize("which", ["config.json", "model.safetensors"])
def test_unreadable_files_say_so(saved, monkeypatch, which):
    real_open = open

    def guarded_open(file, *args, **kwargs):
        if str(file).endswith(which):
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, *args, **kwargs)

    def read_text(self, *args, **kwargs):
        with guarded_open(self, encoding="utf-8") as f:
            return f.read()

    monkeypatch.setattr("builtins.open", guarded_open)
    monkeypatch.setattr(io_module.Path, "read_text", read_text)
    expect_error(saved, which, "cannot be read", "Permission denied")


def test_a_bad_model_is_a_usage_error_for_the_commands(saved, tmp_path, capsys):
    from fastner.cli import main

    rewrite_config(saved, _set(("embeddings", 1, "nout"), -1))
    doc = tmp_path / "doc.txt"
    doc.write_text("M. Dupont.\n", encoding="utf-8")
    assert main(["tag", str(doc), "--out", str(tmp_path / "out"), "--model", str(saved)]) == 2
    err = capsys.readouterr().err
    assert "nout" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()
