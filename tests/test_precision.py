"""`predict(precision=...)`: bf16 agrees with fp32 on the trained bundled model, unsupported combinations raise,
reduced copies of the weights are made once and follow parameter changes."""

from __future__ import annotations

import pytest
import torch

from fastner import precision as precision_module
from fastner.models import default_model_path
from fastner.perf.workloads import load_workload
from fastner.precision import PrecisionError, ReducedCopies, cpu_bf16_supported
from fastner.switches import Switches
from fastner.tagger import SequenceTagger
from fastner.text import Sentence
from tests.conftest import SENTENCES, SHAPES, make_tagger

needs_bf16 = pytest.mark.skipif(not cpu_bf16_supported(), reason="this CPU has no bf16 support in oneDNN")


def _outputs(sentences):
    return [[t.tag for t in s] for s in sentences], [[t.score for t in s] for s in sentences]


@needs_bf16
def test_bf16_on_the_trained_bundled_model_agrees_with_fp32():
    tagger = SequenceTagger.load(default_model_path())
    texts = list(load_workload("legal", 60).sentences)
    tags32, scores32 = _outputs(tagger.predict(texts))
    spans32 = [[(x.start, x.end, x.label) for x in s.spans] for s in tagger.predict(texts)]
    out16 = tagger.predict(texts, precision="bf16")
    tags16, scores16 = _outputs(out16)
    pairs = [(a, b) for s32, s16 in zip(tags32, tags16) for a, b in zip(s32, s16)]
    assert len(pairs) > 2000
    assert sum(a == b for a, b in pairs) / len(pairs) >= 0.995
    spans16 = [[(x.start, x.end, x.label) for x in s.spans] for s in out16]
    same_spans = sum(len(set(a) & set(b)) for a, b in zip(spans32, spans16))
    assert same_spans / max(1, sum(map(len, spans32))) >= 0.99
    gaps = [abs(a - b) for s32, s16 in zip(scores32, scores16) for a, b in zip(s32, s16)]
    assert 0 < max(gaps) < 0.05  # bf16 moves confidences a little, never to nonsense


@needs_bf16
@pytest.mark.parametrize(("shape", "preset"), [*((shape, "fastest") for shape in SHAPES), ("default", "no-shrink"),
                                               ("default", "no-fold")])
def test_bf16_runs_every_shape_and_gathered_path(shape, preset):
    tagger = make_tagger(3, **SHAPES[shape])
    s = Switches.preset("fastest")
    if preset == "no-shrink":
        s = s.replace(lm_shrink=False)
    elif preset == "no-fold":
        s = s.replace(fold_reprojection=False)
    sentences = [Sentence(t) for t in SENTENCES]
    feats, lengths = tagger.features(sentences, s, torch.bfloat16)
    assert feats.dtype == torch.float32  # emissions reach the decoder in fp32
    want, _ = tagger.features(sentences, s)
    assert feats.shape == want.shape and torch.allclose(feats, want, atol=0.5)
    out = tagger.predict(list(SENTENCES), 3, s, precision="bf16")
    assert [len(x) for x in out] == lengths
    assert all(t.tag is not None and 0.0 < t.score <= 1.0 for x in out for t in x)


def test_fp16_on_a_cpu_raises_naming_the_requirement():
    tagger = make_tagger()
    with pytest.raises(PrecisionError, match=r"fp16.*CUDA"):
        tagger.predict(["Bonjour M. Dupont"], precision="fp16")


def test_bf16_without_cpu_support_raises_and_never_falls_back(monkeypatch):
    monkeypatch.setattr(precision_module, "cpu_bf16_supported", lambda: False)
    tagger = make_tagger()
    sentence = Sentence("Bonjour M. Dupont")
    with pytest.raises(PrecisionError, match="AVX512"):
        tagger.predict(sentence, precision="bf16")
    assert all(t.tag is None for t in sentence)  # nothing was tagged in fp32 behind the caller's back


@pytest.mark.parametrize("bad", ["int8", "float16", "", None, 16])
def test_unknown_precision_is_refused(bad):
    with pytest.raises(PrecisionError, match="precision must be one of"):
        make_tagger().predict(["Bonjour"], precision=bad)


def test_reduced_precision_needs_the_gathered_path(monkeypatch):
    monkeypatch.setattr(precision_module, "cpu_bf16_supported", lambda: True)
    with pytest.raises(PrecisionError, match="batch_build='single_cat'"):
        make_tagger().predict(["Bonjour"], switches=Switches.preset("flair-0.4.4"), precision="bf16")


def test_fp32_is_the_default_and_exact():
    tagger = make_tagger(1)
    a = _outputs(tagger.predict(list(SENTENCES)))
    b = _outputs(tagger.predict(list(SENTENCES), precision="fp32"))
    assert a == b


@needs_bf16
def test_weights_are_converted_once_per_model_and_precision(monkeypatch):
    tagger = make_tagger(2)
    calls = []
    convert = precision_module._convert
    monkeypatch.setattr(precision_module, "_convert", lambda m, d: calls.append(type(m).__name__) or convert(m, d))
    texts = list(SENTENCES) * 4  # several batches of 2
    first = _outputs(tagger.predict(texts, 2, precision="bf16"))
    assert sorted(calls) == ["CharLMEmbeddings", "CharLMEmbeddings", "LSTM", "Linear"]  # 2 LMs, folded BiLSTM, linear
    calls.clear()
    assert _outputs(tagger.predict(texts, 2, precision="bf16")) == first
    assert calls == []  # cached: nothing converted again


@needs_bf16
def test_cached_copies_follow_in_place_and_replaced_parameters():
    tagger = make_tagger(2)
    texts = list(SENTENCES)
    before = _outputs(tagger.predict(texts, precision="bf16"))
    with torch.no_grad():
        tagger.linear.bias.zero_()
        tagger.linear.bias[0] = 100.0  # in place: every token is now 'O'
    tags, _ = _outputs(tagger.predict(texts, precision="bf16"))
    assert tags != before[0] and all(t == "O" for s in tags for t in s)
    bias = torch.zeros_like(tagger.linear.bias)
    bias[1] = 100.0  # a replaced parameter: every token is now the second tag
    tagger.linear.bias = torch.nn.Parameter(bias)
    tags, _ = _outputs(tagger.predict(texts, precision="bf16"))
    assert all(t == tagger.tags[1] for s in tags for t in s)


def test_reduced_copies_cache_by_identity_and_version():
    copies = ReducedCopies()
    layer = torch.nn.Linear(4, 3)
    a = copies.get("linear", layer, torch.bfloat16)
    assert a.weight.dtype == torch.bfloat16 and layer.weight.dtype == torch.float32
    assert copies.get("linear", layer, torch.bfloat16) is a
    assert copies.get("linear", layer, torch.float16) is not a
    with torch.no_grad():
        layer.weight.mul_(2.0)
    b = copies.get("linear", layer, torch.bfloat16)
    assert b is not a and torch.equal(b.weight, layer.weight.detach().bfloat16())
