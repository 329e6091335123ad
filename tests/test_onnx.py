"""ONNX export: one graph with LSTM ops, and `OnnxTagger.predict` giving `SequenceTagger.predict`'s outputs on
random models of several shapes and the bundled model, on long and odd inputs (needs the onnx extra)."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

onnx = pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")

from fastner.cli import main  # noqa: E402
from fastner.models import default_model_path  # noqa: E402
from fastner.onnx import OnnxModelError, OnnxTagger, export  # noqa: E402
from fastner.tagger import SequenceTagger  # noqa: E402
from fastner.text import Sentence  # noqa: E402
from tests.conftest import SENTENCES, SHAPES, make_tagger  # noqa: E402

LONG = ("Monsieur Jean Dupont , demeurant 12 rue des Lilas à Lyon , a interjeté appel . " * 300)[:20_000]
ODD = [
    LONG,  # one 20,000-character sentence
    "Le ☃ ꙮ 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 \u200b et ǅ inconnus , Ωμέγα 漢字 😀 .",  # characters no dictionary has
    "Un mot " + "x" * 700 + " plus long que chars_per_chunk , puis M. Martin .",
    "Bonjour",
    "",
    "   ",
]


def _check_same(want: list[Sentence], got: list[Sentence]) -> None:
    assert len(want) == len(got)
    for a, b in zip(want, got):
        assert [t.tag for t in a] == [t.tag for t in b]
        assert [(s.start, s.end, s.label, s.text) for s in a.spans] == [
            (s.start, s.end, s.label, s.text) for s in b.spans]
        for x, y in zip(a, b):
            assert abs(x.score - y.score) <= 1e-4
        for x, y in zip(a.spans, b.spans):
            assert abs(x.score - y.score) <= 1e-4


@pytest.fixture(scope="module")
def bundled(tmp_path_factory):
    path = tmp_path_factory.mktemp("onnx") / "default.onnx"
    tagger = SequenceTagger.load(default_model_path())
    return tagger, OnnxTagger.load(export(SequenceTagger.load(default_model_path()), path))


@pytest.mark.parametrize("shape", SHAPES)
def test_random_models_of_every_shape_give_the_same_outputs(shape, tmp_path):
    tagger = make_tagger(5, **SHAPES[shape])
    engine = OnnxTagger.load(export(tagger, tmp_path / "m.onnx"))
    texts = [*SENTENCES, *ODD]
    for batch in (1, 4, 32):  # dynamic batch and length axes
        _check_same(tagger.predict(texts, batch), engine.predict(texts, mini_batch_size=batch))


def test_bundled_model_gives_the_same_outputs_on_long_and_odd_inputs(bundled):
    tagger, engine = bundled
    texts = [*SENTENCES, *ODD]
    want, got = tagger.predict(texts), engine.predict(texts)
    _check_same(want, got)
    assert sum(len(s.spans) for s in got) > 10  # a trained model: the comparison covers real entities
    assert len(got[len(SENTENCES)]) > 3000  # the 20,000-character sentence was tagged whole


def test_a_sentence_longer_than_a_window_is_tagged_in_the_same_windows(tmp_path):
    from fastner.tagger import WINDOW_CHARS

    tagger = make_tagger(7)
    engine = OnnxTagger.load(export(tagger, tmp_path / "m.onnx"))
    text = LONG * 3
    assert len(Sentence(text).to_tokenized_string()) > 2 * WINDOW_CHARS
    _check_same(tagger.predict([text, "Bonjour"]), engine.predict([text, "Bonjour"]))


def test_predict_accepts_what_sequence_tagger_predict_accepts(bundled):
    tagger, engine = bundled
    given = Sentence(["M.", "Dupont", "demeure", "à", "Lyon"])
    out = engine.predict(given)
    assert out == [given] and all(t.tag is not None for t in given)
    assert [t.tag for t in given] == [t.tag for t in tagger.predict(["M. Dupont demeure à Lyon"])[0]]
    empty = engine.predict(["", " \n "])
    assert [len(s) for s in empty] == [0, 0] and all(s.spans == [] for s in empty)
    assert engine.predict([]) == []
    with pytest.raises(ValueError, match="mini_batch_size"):
        engine.predict("Bonjour", mini_batch_size=0)
    with pytest.raises(TypeError):
        engine.predict([b"bytes"])


def test_one_graph_with_lstm_ops_and_dynamic_axes(tmp_path):
    tagger = make_tagger(0, char_layers=2, nout=7, rnn_layers=2)
    model = onnx.load(str(export(tagger, tmp_path / "m.onnx")))
    ops = [n.op_type for n in model.graph.node]
    assert ops.count("LSTM") == 2 + 2 + 2  # two 2-layer char LMs, a 2-layer BiLSTM: not unrolled
    assert not {"Loop", "Scan", "If"} & set(ops)
    for node in model.graph.node:
        if node.op_type == "LSTM":
            assert len(node.input) >= 5 and node.input[4]  # sequence_lens is given
    for value in [*model.graph.input, *model.graph.output]:
        assert all(d.dim_param and not d.dim_value for d in value.type.tensor_type.shape.dim)  # every axis dynamic
    meta = {p.key for p in model.metadata_props}
    assert meta == {"fastner"}


def test_the_file_is_the_only_artifact(tmp_path):
    tagger = make_tagger(2)
    path = export(tagger, tmp_path / "a" / "m.onnx")
    moved = tmp_path / "elsewhere.onnx"
    shutil.move(path, moved)
    assert list((tmp_path / "a").iterdir()) == []  # no sidecar was written
    _check_same(tagger.predict(list(SENTENCES)), OnnxTagger.load(moved).predict(list(SENTENCES)))


def test_files_that_are_not_fastner_exports_are_refused(tmp_path):
    with pytest.raises(OnnxModelError, match="no such file"):
        OnnxTagger.load(tmp_path / "missing.onnx")
    garbage = tmp_path / "garbage.onnx"
    garbage.write_bytes(b"\x00not a protobuf at all" * 10)
    with pytest.raises(OnnxModelError, match=r"garbage\.onnx: ONNX Runtime cannot load it"):
        OnnxTagger.load(garbage)
    from onnx import TensorProto, helper

    graph = helper.make_graph([helper.make_node("Identity", ["x"], ["y"])], "g",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N"])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N"])])
    plain = tmp_path / "plain.onnx"
    onnx.save_model(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(plain))
    with pytest.raises(OnnxModelError, match="no 'fastner' metadata"):
        OnnxTagger.load(plain)
    model = onnx.load(str(export(make_tagger(), tmp_path / "m.onnx")))
    helper.set_model_props(model, {"fastner": '{"format": "fastner-onnx", "version": 99}'})
    future = tmp_path / "future.onnx"
    onnx.save_model(model, str(future))
    with pytest.raises(OnnxModelError, match="version 99"):
        OnnxTagger.load(future)


def test_export_onnx_command(tmp_path, capsys):
    out = tmp_path / "default.onnx"
    assert main(["export-onnx", str(default_model_path()), "--out", str(out)]) == 0
    assert "wrote" in capsys.readouterr().out
    engine = OnnxTagger.load(out)
    _check_same(SequenceTagger.load(default_model_path()).predict(list(SENTENCES)), engine.predict(list(SENTENCES)))
    assert main(["export-onnx", str(tmp_path / "nothing-here"), "--out", str(tmp_path / "x.onnx")]) == 2
    assert "nothing-here" in capsys.readouterr().err and not (tmp_path / "x.onnx").exists()


def test_the_core_never_imports_onnx():
    code = ("import sys, fastner, fastner.tagger, fastner.cli, fastner.precision; fastner.cli.build_parser(); "
            "from fastner.models import default_model_path; "
            "fastner.tagger.SequenceTagger.load(default_model_path()).predict('M. Dupont'); "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('onnx', 'onnxruntime')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
