"""Every switch combination gives the baseline's tags, spans and confidences; output is independent of
batching; bad input gets a correct result."""

from __future__ import annotations

import contextlib
import dataclasses
import random
import threading

import numpy as np
import pytest
import torch

from fastner import Sentence, SequenceTagger, Switches
from fastner.switches import PRESETS

from .conftest import SENTENCES, SHAPES, make_tagger


def outputs(sentences: list[Sentence]):
    """(tags, token scores, spans as (start, end, label, score)) per sentence."""
    return [([t.tag for t in s], [t.score for t in s], [(x.start, x.end, x.label, x.score) for x in s.spans])
            for s in sentences]


def assert_same(got, want, atol=1e-5):
    assert len(got) == len(want)
    for (tags, scores, spans), (wtags, wscores, wspans) in zip(got, want):
        assert tags == wtags
        np.testing.assert_allclose(scores, wscores, atol=atol)
        assert [s[:3] for s in spans] == [s[:3] for s in wspans]
        np.testing.assert_allclose([s[3] for s in spans], [s[3] for s in wspans], atol=atol)


def single_flips() -> list[Switches]:
    """Every value of every field, each changed alone from the baseline (impossible ones skipped)."""
    out = []
    for f in dataclasses.fields(Switches):
        values = f.metadata["choices"] or ([not f.default] if isinstance(f.default, bool) else [100, 1])
        for value in values:
            if value == f.default:
                continue
            with contextlib.suppress(ValueError):
                out.append(Switches().replace(**{f.name: value}))
    return out


def random_combinations(n: int, seed: int = 0) -> list[Switches]:
    rng = random.Random(seed)
    out = []
    while len(out) < n:
        values = {}
        for f in dataclasses.fields(Switches):
            choices = f.metadata["choices"] or ((False, True) if isinstance(f.default, bool) else (0, 3, 10000))
            values[f.name] = rng.choice(choices)
        try:
            out.append(Switches(**values))
        except ValueError:
            continue
    return out


CONFIGS = ([pytest.param(s, id="flip-" + "-".join(f"{k}={v}" for k, v in s.diff().items())) for s in single_flips()]
           + [pytest.param(Switches.preset(p), id=f"preset-{p}") for p in PRESETS]
           + [pytest.param(s, id=f"random-{i}") for i, s in enumerate(random_combinations(12))])


@pytest.fixture(scope="module", params=list(SHAPES), ids=list(SHAPES))
def shaped(request):
    tagger = make_tagger(seed=1, **SHAPES[request.param])
    return tagger, outputs(tagger.predict(SENTENCES, mini_batch_size=3, switches=Switches.preset("baseline")))


@pytest.mark.parametrize("switches", CONFIGS)
def test_every_configuration_matches_the_baseline(shaped, switches):
    tagger, baseline = shaped
    assert_same(outputs(tagger.predict(SENTENCES, mini_batch_size=3, switches=switches)), baseline)


def test_baseline_tags_are_not_trivial():
    """The parity tests mean something only if the random models predict varied tags and spans."""
    tagger = make_tagger(seed=1)
    out = tagger.predict(SENTENCES, switches=Switches.preset("baseline"))
    tags = {t.tag for s in out for t in s}
    assert len(tags) >= 4
    assert sum(len(s.spans) for s in out) >= 5


@pytest.mark.parametrize("preset", ["baseline", "fastest"])
def test_output_independent_of_batch_size_order_and_company(preset):
    tagger = make_tagger(seed=2)
    switches = Switches.preset(preset)
    reference = outputs(tagger.predict(SENTENCES, mini_batch_size=1, switches=switches))
    for batch_size in (2, 3, 100):
        assert_same(outputs(tagger.predict(SENTENCES, mini_batch_size=batch_size, switches=switches)), reference)
    order = list(range(len(SENTENCES)))
    random.Random(0).shuffle(order)
    shuffled = outputs(tagger.predict([SENTENCES[i] for i in order], mini_batch_size=4, switches=switches))
    assert_same([shuffled[order.index(i)] for i in range(len(SENTENCES))], reference)
    alone = outputs(tagger.predict(SENTENCES[1], switches=switches))
    assert_same(alone, reference[1:2])


def test_predict_accepts_every_input_form_and_keeps_order():
    tagger = make_tagger()
    one = tagger.predict(SENTENCES[0])
    assert len(one) == 1 and isinstance(one[0], Sentence)
    given = Sentence(SENTENCES[2])
    out = tagger.predict([SENTENCES[0], given, ""])
    assert out[1] is given and [s.text for s in out] == [SENTENCES[0], SENTENCES[2], ""]
    assert tagger.predict([]) == []
    words = Sentence(["M.", "Dupont", "demeure", "à", "Lyon"])
    assert [t.text for t in tagger.predict(words)[0]] == ["M.", "Dupont", "demeure", "à", "Lyon"]


@pytest.mark.parametrize("bad", [0, -1, 2.5, True])
def test_bad_batch_size_is_a_clear_error(bad):
    with pytest.raises(ValueError, match="mini_batch_size"):
        make_tagger().predict("Bonjour", mini_batch_size=bad)


@pytest.mark.parametrize("bad", [3, None, [1, 2], {"a": 1}])
def test_bad_inputs_are_clear_errors(bad):
    with pytest.raises(TypeError):
        make_tagger().predict(bad)
    with pytest.raises(TypeError):
        make_tagger().predict("x", switches="fastest")


@pytest.mark.parametrize("preset", ["baseline", "flair-0.4.4", "fastest"])
@pytest.mark.parametrize("text", ["", "   ", "\n\t ", "\u200b"])
def test_empty_inputs_give_empty_results(preset, text):
    out = make_tagger().predict([text, "Bonjour"], switches=Switches.preset(preset))
    assert out[0].tokens == [] and out[0].spans == []
    assert len(out[1]) == 1 and out[1].tokens[0].tag is not None


@pytest.mark.parametrize("preset", ["baseline", "fastest"])
def test_long_and_strange_inputs(preset):
    tagger = make_tagger(chars_per_chunk=64)
    long_sentence = " ".join(["Dupont", "demeure", "à", "Lyon", ","] * 800)  # about 20,000 characters
    weird = "\x00\x01 😀😀 漢字 \u202e ok"
    huge_word = "a" * 5000
    out = tagger.predict([long_sentence, weird, huge_word], switches=Switches.preset(preset))
    assert len(out[0]) == 4000 and all(t.tag is not None for t in out[0])
    assert all(out[0].text[t.start:t.end] == t.text for t in out[0])
    assert [t.text for t in out[1]][-1] == "ok"
    assert len(out[2]) == 1 and out[2].tokens[0].end == 5000


def test_save_load_gives_identical_outputs(tmp_path):
    for shape in SHAPES.values():
        tagger = make_tagger(seed=4, **shape)
        tagger.save(tmp_path / "m")
        loaded = SequenceTagger.load(tmp_path / "m")
        for preset in ("baseline", "fastest"):
            want = outputs(tagger.predict(SENTENCES, switches=Switches.preset(preset)))
            assert_same(outputs(loaded.predict(SENTENCES, switches=Switches.preset(preset))), want, atol=0)


def test_random_is_deterministic_and_leaves_global_rng_alone():
    import torch

    torch.manual_seed(123)
    expected_next = torch.rand(1)
    torch.manual_seed(123)
    a = SequenceTagger.random("tiny", ["PERS"], seed=5)
    assert torch.equal(torch.rand(1), expected_next)
    b = SequenceTagger.random("tiny", ["PERS"], seed=5)
    c = SequenceTagger.random("tiny", ["PERS"], seed=6)
    sa, sb, sc = a.state_dict(), b.state_dict(), c.state_dict()
    assert all(torch.equal(sa[k], sb[k]) for k in sa)
    assert not all(torch.equal(sa[k], sc[k]) for k in sa)
    assert a.tags == ["O", "S-PERS", "B-PERS", "E-PERS", "I-PERS", "<START>", "<STOP>"]


def test_unknown_size_and_bad_tag_types():
    with pytest.raises(ValueError, match="size"):
        SequenceTagger.random("huge")
    with pytest.raises(ValueError, match="tag_types"):
        SequenceTagger.random("tiny", tag_types=[])
    with pytest.raises(ValueError, match="tag_types"):
        SequenceTagger.random("tiny", tag_types=["PERS", "PERS"])


def test_one_model_serves_several_threads():
    tagger = make_tagger(seed=3)
    switch_sets = [Switches.preset(p) for p in PRESETS]
    want = {p: outputs(tagger.predict(SENTENCES, switches=s)) for p, s in zip(PRESETS, switch_sets)}
    errors, results = [], {}

    def work(i):
        try:
            p = list(PRESETS)[i % len(PRESETS)]
            for _ in range(3):
                results[(i, _)] = (p, outputs(tagger.predict(SENTENCES, mini_batch_size=2 + i,
                                                             switches=Switches.preset(p))))
        except Exception as err:  # reported below, in the main thread
            errors.append(err)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    for p, got in results.values():
        assert_same(got, want[p])


@pytest.mark.parametrize("preset", ["baseline", "fastest"])
def test_a_300000_character_word_is_tagged(preset):
    """Flair hangs on this and then runs out of memory; fastner tags it (in linear time: the slow test below)."""
    (sentence,) = make_tagger(seed=5).predict("x" * 300_000, switches=Switches.preset(preset))
    assert len(sentence) == 1 and sentence.tokens[0].end == 300_000 and sentence.tokens[0].tag is not None
    assert sentence.tokens[0].score is not None


@pytest.mark.slow
@pytest.mark.parametrize("preset", ["baseline", "fastest"])
def test_a_300000_character_word_is_linear_and_bounded(preset):
    """Flair hangs on this and then runs out of memory; fastner tags it in time linear in its length."""
    import time

    tagger = make_tagger(seed=5)
    switches = Switches.preset(preset)
    timings = {}
    for n in (30_000, 300_000):
        t0 = time.perf_counter()
        out = tagger.predict("x" * n, switches=switches)
        timings[n] = time.perf_counter() - t0
        assert len(out[0]) == 1 and out[0].tokens[0].end == n and out[0].tokens[0].tag is not None
    assert timings[300_000] < 25 * timings[30_000] + 1.0


def test_folded_reprojection_follows_weight_changes_and_is_not_saved():
    """fold_reprojection caches W_ih A per model: an in-place change or a replaced weight must not be served
    stale, and the folded copy is neither a submodule nor part of the saved state."""
    fold = Switches.preset("fastest")
    unfolded = fold.replace(fold_reprojection=False)
    tagger = make_tagger(seed=4)
    keys = set(tagger.state_dict())
    tagger.predict(SENTENCES, switches=fold)
    assert set(tagger.state_dict()) == keys and tagger._folded is not None
    assert not any("folded" in name for name, _ in tagger.named_modules())
    with torch.no_grad():
        tagger.embedding2nn.weight.mul_(-0.5)
        tagger.rnn.bias_ih_l0_reverse.add_(1.0)
    same = outputs(tagger.predict(SENTENCES, switches=unfolded))
    assert_same(outputs(tagger.predict(SENTENCES, switches=fold)), same)
    tagger.embedding2nn.bias = torch.nn.Parameter(torch.randn_like(tagger.embedding2nn.bias))
    same = outputs(tagger.predict(SENTENCES, switches=unfolded))
    assert_same(outputs(tagger.predict(SENTENCES, switches=fold)), same)


def test_folded_reprojection_keeps_gradients_when_they_are_enabled():
    tagger = make_tagger(seed=4)
    sentences = [Sentence(s) for s in SENTENCES[:3]]
    feats, _ = tagger.features(sentences, Switches(fold_reprojection=True))
    feats.sum().backward()
    assert tagger.embedding2nn.weight.grad is not None and tagger.embedding2nn.weight.grad.abs().sum() > 0


# --- a sentence of any length: tagged in windows, memory bounded -------------------------------------------

LONG = " ".join(SENTENCES[1] for _ in range(22))  # about 9,400 characters, 1,700 tokens: 3 windows of 4,000


def test_a_long_sentence_is_tagged_in_bounded_windows(monkeypatch):
    tagger = make_tagger(seed=6)
    seen: list[list[int]] = []
    real_features = tagger.features

    def features(batch, switches, *more):
        seen.append([len(x.to_tokenized_string()) for x in batch])
        return real_features(batch, switches, *more)

    monkeypatch.setattr(tagger, "features", features)
    (sentence,) = tagger.predict([LONG], window_chars=4000)
    assert all(t.tag is not None and t.score is not None for t in sentence)
    assert max(n for batch in seen for n in batch) <= 4000
    assert max(sum(batch) for batch in seen) <= 3 * 4000
    assert len(seen) >= 2
    for span in sentence.spans:
        assert LONG[span.start:span.end] == span.text
    whole = tagger.predict([LONG], window_chars=10**6)[0]
    agree = np.mean([a.tag == b.tag for a, b in zip(sentence, whole, strict=True)])
    assert agree > 0.99  # the context each side of a window's kept part makes the cut almost invisible


def test_windows_keep_the_switch_contract():
    tagger = make_tagger(seed=7, rnn_layers=2, nout=5)
    want = outputs(tagger.predict([LONG, *SENTENCES], switches=Switches.preset("baseline"), window_chars=4000))
    for preset in ("flair-0.4.4", "fastest"):
        got = outputs(tagger.predict([LONG, *SENTENCES], switches=Switches.preset(preset), window_chars=4000))
        assert_same(got, want)


def test_short_sentences_are_never_windowed():
    tagger = make_tagger(seed=8)
    assert outputs(tagger.predict(SENTENCES, window_chars=4000)) == outputs(tagger.predict(SENTENCES))
    with pytest.raises(ValueError, match="window_chars"):
        tagger.predict(SENTENCES, window_chars=100)


def test_presets_agree_on_a_20000_character_sentence():
    """Tagged whole (under WINDOW_CHARS): the decoders' forward scores stay small whatever the length, so
    confidences agree within 1e-5 on 3,500 tokens as on 30."""
    text = " ".join(SENTENCES[1] for _ in range(50))[:19_500]
    tagger = make_tagger(seed=9)
    assert len(Sentence(text).to_tokenized_string()) <= 20_000
    want = outputs(tagger.predict([text], switches=Switches.preset("baseline")))
    for preset in ("flair-0.4.4", "fastest"):
        assert_same(outputs(tagger.predict([text], switches=Switches.preset(preset))), want)
