"""Parity with Flair 0.15: random-weight Flair taggers converted by `from_flair` tag exactly as Flair does.

For several model shapes (LM sizes, LM layers and projection, tagger RNN layers, CRF or not, reprojection or
not, stacking orders including an 11-embedding stack whose sorted names put "10-" before "2-", a single
unstacked embedding) and every fastner preset, on long legal sentences, short ones and odd input (unknown
characters, emoji, control and zero-width characters, digits, tokens longer than `chars_per_chunk`), raw
text and pre-tokenized words: same tokens and offsets, same BIOES tag per token, same spans (character
offsets and label), confidences within 1e-4. Flair is the reference: its predictions are computed once per
model with `force_token_predictions=True` + all-class probabilities (token tags and confidences), and once
normally (spans). Needs flair==0.15.1 and gensim; skipped without them.
"""

from __future__ import annotations

import functools
import itertools
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import torch

flair = pytest.importorskip("flair")
gensim_models = pytest.importorskip("gensim.models")

from flair.data import Dictionary, get_spans_from_bio  # noqa: E402
from flair.data import Sentence as FlairSentence  # noqa: E402
from flair.embeddings import FlairEmbeddings, StackedEmbeddings  # noqa: E402
from flair.embeddings import WordEmbeddings as FlairWordEmbeddings  # noqa: E402
from flair.models import LanguageModel  # noqa: E402
from flair.models import SequenceTagger as FlairTagger  # noqa: E402

from fastner import SequenceTagger  # noqa: E402
from fastner.interop.cli import register  # noqa: E402
from fastner.interop.flair import from_flair, load_flair_file  # noqa: E402
from fastner.perf.workloads import load_workload  # noqa: E402
from fastner.switches import PRESETS, Switches  # noqa: E402
from fastner.synth.decisions import legal_sentences  # noqa: E402
from fastner.synth.labels import LABELS  # noqa: E402
from fastner.tagger import DEFAULT_CHARS  # noqa: E402
from fastner.text import Sentence  # noqa: E402

TOLERANCE = 1e-4
FLAIR_BATCH, FASTNER_BATCH = 8, 5  # different batch compositions on purpose

SHORT = ["Bonjour", "M. Dupont.", "Paris", "Le 3 mars 2020, Mme Durand demeure à Lyon.",
         "SARL Martin & Fils c/ Dupont", "Cour d'appel de Lyon", "A", "."]
ODD = [
    "Le ☃ de M. Dupont 😀👍🏽 est à Lyon ✓.",
    "Réf. 2019/12345-AB du 01.02.2020 : 12 345,67 € TTC, n°42, tél. 06-12-34-56-78, 75008 Paris.",
    "Le mot " + "a" * 700 + " est long, et " + "Anticonstitutionnellement" * 3 + " aussi.",
    "M.\u200bDupont\u200c habite\ufeff à Paris\u2028 depuis 2019\u2029.",
    "l\x92appel de Mme\x85 Durand \x81 ok \x80 100",
    "Maître\tDurand\n, avocat\xa0au barreau  de   Paris\r\n.",
    "محكمة الاستئناف في باريس 東京地方裁判所 Ελλάδα Москва",
    "Cafe\u0301 de l'Ho\u0302tel-Dieu, Zoë et Œdipe.",
    "Le 😀 emoji, le 漢字, un contrôle \x07 et un NUL \x00 passent.",
    "I don't know, we can't go. Il vient. Elle part ! Qui ? Moi...",
    "contact : jean.dupont@example.fr https://www.example.fr/a?b=1&c=2 (voir art. L. 1234-5).",
    "!!!???...;;; --- *** ### ''' \"\"\"",
    "«Cour d'appel» — n° RG 19/01234 ; arrêt du 3 févr. 2020.",
    "\u200b\u200c",
    "",
    "   ",
]
PRETOKENIZED = [
    ["M.", "Dupont", "demeure", "3", "rue", "des", "Lilas", "à", "Lyon", "."],
    ["Maître", "Claire", "Durand", ",", "avocat", "au", "barreau", "de", "Paris"],
    ["😀", "a" * 700, "Dupont", "☃", "12345", "n°42"],
    ["a", "", "b", "x y", "LYON", "\u200b", "fin"],
    ["Attendu", "que", "la", "société", "Martin", "&", "Fils", "a", "interjeté", "appel", "le", "12", "mars",
     "2019", "du", "jugement", "rendu", "par", "le", "tribunal", "de", "Lyon", "."],
    [],
]


def as_flair_reads(texts: list[str]) -> list[Sentence]:
    """fastner Sentences tokenized exactly as Flair does (no Unicode normalization)."""
    return [Sentence(text, normalize=False) for text in texts]


def _sentences() -> list[str]:
    workload = load_workload("legal").sentences
    longest = sorted(workload, key=len)[-6:]
    return legal_sentences(24, seed=7) + list(workload[:8]) + longest + SHORT + ODD


TEXTS = _sentences()


# --- Building random-weight Flair taggers offline ------------------------------------------------------

@dataclass(frozen=True)
class Spec:
    """One Flair tagger shape. `order` lists the stacked embeddings: 'words', 'fwd', 'bwd'."""

    order: tuple[str, ...]
    lm_hidden: int = 32
    lm_layers: int = 1
    lm_embedding: int = 16
    nout: int | None = None
    chars_per_chunk: int = 512
    hidden: int = 16
    rnn_layers: int = 1
    use_crf: bool = True
    reproject: bool = True
    stacked: bool = True
    word_dim: int = 24
    seed: int = 0
    scale: float = 10.0  # output-layer weights x scale: sharp emissions, so tags vary along sentences
    rnn_scale: float = 1.0  # tagger LSTM weights x rnn_scale: livelier hidden states
    o_share: float = 0.7  # the "O" bias is set so that "O" has the best emission for about this share of tokens
    nested: bool = False  # StackedEmbeddings([StackedEmbeddings(all but the last), last])
    options: tuple[tuple[str, object], ...] = ()  # more SequenceTagger arguments


MODELS = {
    "crf": Spec(("words", "fwd", "bwd")),
    "nocrf-rnn2-lm2-proj": Spec(("bwd", "fwd", "words"), lm_hidden=24, lm_layers=2, nout=12, chars_per_chunk=64,
                                rnn_layers=2, use_crf=False, seed=1, rnn_scale=4.0),
    "crf-noreproject-lm64-chunk37": Spec(("fwd", "words", "bwd"), lm_hidden=64, chars_per_chunk=37, hidden=24,
                                         reproject=False, seed=2),
    "crf-lms-only-rnn2-lm2-proj": Spec(("fwd", "bwd"), lm_hidden=32, lm_layers=2, lm_embedding=24, nout=16,
                                       rnn_layers=2, seed=7, scale=20.0),
    "nocrf-words-unstacked": Spec(("words",), stacked=False, use_crf=False, seed=4),
    "crf-nested-stack-unk-tag-initial-state": Spec(
        ("words", "fwd", "bwd"), nested=True, seed=8,
        options=(("allow_unk_predictions", True), ("train_initial_hidden_state", True))),
    "crf-eleven-embeddings": Spec(("words", "words", "fwd", "words", "words", "words", "words", "words", "words",
                                   "words", "bwd"), lm_hidden=16, word_dim=6, seed=5),
}


def _vocabulary() -> list[str]:
    """Corpus words as written, lower-cased or with digits -> '#', and a quarter left out (unknown)."""
    words = sorted({w for text in TEXTS for w in Sentence(text).to_tokenized_string().split(" ") if w})
    out = []
    for i, word in enumerate(words):
        variant = (word, word.lower(), re.sub(r"\d", "#", word.lower()), None)[i % 4]
        if variant is not None:
            out.append(variant)
    return sorted(set(out))


def _char_dictionary() -> Dictionary:
    chars = Dictionary(add_unk=True)
    for char in DEFAULT_CHARS[1:]:  # emoji, CJK, Arabic... stay unknown
        chars.add_item(char)
    return chars


def _word_embeddings(directory: Path, index: int, dim: int, rng: np.random.Generator) -> FlairWordEmbeddings:
    vocab = _vocabulary()
    if index:  # the extra word embeddings of the 11-stack: different vocabularies
        vocab = vocab[index % 3::2]
    kv = gensim_models.KeyedVectors(dim)
    kv.add_vectors(vocab, rng.standard_normal((len(vocab), dim)).astype(np.float32))
    path = directory / f"vectors-{index}.kv"  # not a 2-letter code, not a known name: nothing downloads
    kv.save(str(path))
    return FlairWordEmbeddings(str(path))


@functools.cache
def flair_tagger(name: str) -> FlairTagger:
    spec = MODELS[name]
    rng = np.random.default_rng(spec.seed)
    with torch.random.fork_rng(devices=[]), tempfile.TemporaryDirectory() as tmp:
        torch.manual_seed(spec.seed)
        chars = _char_dictionary()
        embeddings = []
        for i, kind in enumerate(spec.order):
            if kind == "words":
                embeddings.append(_word_embeddings(Path(tmp), i, spec.word_dim, rng))
            else:
                lm = LanguageModel(chars, is_forward_lm=kind == "fwd", hidden_size=spec.lm_hidden,
                                   nlayers=spec.lm_layers, embedding_size=spec.lm_embedding, nout=spec.nout).eval()
                embeddings.append(FlairEmbeddings(lm, chars_per_chunk=spec.chars_per_chunk))
        if spec.nested:
            stack = StackedEmbeddings([StackedEmbeddings(embeddings[:-1]), embeddings[-1]])
        else:
            stack = StackedEmbeddings(embeddings) if spec.stacked else embeddings[0]
        tags = Dictionary(add_unk=False)
        for label in LABELS:
            tags.add_item(label)
        tags.span_labels = True
        tagger = FlairTagger(hidden_size=spec.hidden, embeddings=stack, tag_dictionary=tags, tag_type="ner",
                             tag_format="BIOES", use_crf=spec.use_crf, rnn_layers=spec.rnn_layers,
                             reproject_embeddings=spec.reproject, **dict(spec.options))
        for lm_embedding in embeddings:
            if isinstance(lm_embedding, FlairEmbeddings):
                lm_embedding.lm.eval()
        tagger.eval()
        with torch.no_grad():
            tagger.linear.weight.mul_(spec.scale)
            for weight in tagger.rnn.parameters():
                weight.mul_(spec.rnn_scale)
            _calibrate_o(tagger, spec.o_share)
        return tagger


def _calibrate_o(tagger: FlairTagger, share: float) -> None:
    """Raise the "O" bias so that "O" has the best emission for about `share` of the tokens (like a real
    tagger), measured on the emissions of Flair's own forward pass over the legal sentences."""
    emissions = []
    hook = tagger.linear.register_forward_hook(
        lambda module, args, out: emissions.append(out.reshape(-1, out.shape[-1])))
    try:
        tagger.predict([FlairSentence(text) for text in TEXTS[:24]], mini_batch_size=1)  # no padding rows
    finally:
        hook.remove()
    scores = torch.cat(emissions)  # (tokens, K)
    o = tagger.label_dictionary.get_idx_for_item("O")
    others = torch.cat([scores[:, :o], scores[:, o + 1:]], dim=1)
    margin = others.max(dim=1).values - scores[:, o]
    tagger.linear.bias[o] += torch.quantile(margin, share)


@functools.cache
def fastner_tagger(name: str) -> SequenceTagger:
    return from_flair(flair_tagger(name))


# --- Flair's predictions, in plain data -----------------------------------------------------------------

@dataclass
class Expected:
    tokens: list[tuple[str, int, int]]  # text, start, end: offsets into the text the user gave
    tags: list[str]
    confidences: list[float]
    spans: list[tuple[int, int, str, float]]  # start, end (characters), label, score


def _origin(text: str) -> list[int]:
    """Flair's cleaned text index -> index in `text` (Flair's clean-up is per character)."""
    origin: list[int] = []
    for i, char in enumerate(text):
        origin.extend([i] * len(FlairSentence._handle_problem_characters(char)))
    return origin


def _flair_predict(tagger: FlairTagger, inputs: list) -> list[Expected]:
    by_token = [FlairSentence(x) for x in inputs]
    by_span = [FlairSentence(x) for x in inputs]
    tagger.predict(by_token, mini_batch_size=FLAIR_BATCH, force_token_predictions=True,
                   return_probabilities_for_all_classes=True)
    tagger.predict(by_span, mini_batch_size=FLAIR_BATCH)
    out = []
    for x, tok_sentence, span_sentence in zip(inputs, by_token, by_span):
        origin = _origin(x) if isinstance(x, str) else list(range(len(" ".join(x))))

        def span_of(start: int, end: int, origin=origin) -> tuple[int, int]:
            return origin[start], origin[end - 1] + 1

        tokens, tags, confidences = [], [], []
        for token in tok_sentence:
            tokens.append((token.text, *span_of(token.start_position, token.end_position)))
            distribution = token.get_tags_proba_dist("ner")
            confidence = max(label.score for label in distribution)  # Flair swaps the predicted tag's score in
            labels = token.get_labels("ner")
            if labels:
                assert abs(labels[0].score - confidence) < 1e-6
            tags.append(labels[0].value if labels else "O")
            confidences.append(confidence)
        spans = [(*span_of(span.start_position, span.end_position), span.get_label("ner").value,
                  span.get_label("ner").score) for span in span_sentence.get_spans("ner")]
        out.append(Expected(tokens, tags, confidences, spans))
    return out


@functools.cache
def expected_text(name: str) -> list[Expected]:
    return _flair_predict(flair_tagger(name), TEXTS)


@functools.cache
def expected_pretokenized(name: str) -> list[Expected]:
    return _flair_predict(flair_tagger(name), PRETOKENIZED)


def path_score(tagger: SequenceTagger, sentence: Sentence, tags: list[str]) -> float:
    """Exact (float64) score of a tag path under the model: emissions, plus CRF transitions if any."""
    feats, _ = tagger.features([sentence], Switches.preset("baseline"))
    emissions = feats[0].double()
    ids = [tagger.tags.index(t) for t in tags]
    score = sum(emissions[i, k].item() for i, k in enumerate(ids))
    if tagger.transitions is not None:
        transitions = tagger.transitions.detach().double()
        path = [tagger.start, *ids, tagger.stop]
        score += sum(transitions[b, a].item() for a, b in itertools.pairwise(path))
    return score


def is_float32_tie(tagger: SequenceTagger, sentence: Sentence, flair_tags: list[str]) -> bool:
    """Flair's and fastner's best paths differ only because their float32 sums round differently (Flair 0.15
    adds emission + transition, then the previous score; fastner the previous score + transition, then the
    emission): the two paths' exact scores are equal to 1e-6, relative."""
    ours = [t.tag for t in sentence]
    a, b = path_score(tagger, sentence, flair_tags), path_score(tagger, sentence, ours)
    return abs(a - b) <= 1e-6 * max(1.0, abs(a))


def assert_same(expected: list[Expected], got: list[Sentence], inputs: list, tagger: SequenceTagger) -> int:
    """Tokens, tags, spans identical; confidences within TOLERANCE. Returns the number of sentences whose best
    path is a float32 tie between two paths (then each side's spans follow Flair's span rules on its own tags)."""
    gap, ties = 0.0, 0
    for i, (exp, sentence, x) in enumerate(zip(expected, got, inputs, strict=True)):
        where = f"input {i} {x!r:.80}"
        assert [(t.text, t.start, t.end) for t in sentence] == exp.tokens, where
        if isinstance(x, str):  # offsets point at the token in the original text (up to Flair's clean-up)
            for t in sentence:
                assert FlairSentence._handle_problem_characters(x[t.start:t.end]) == t.text, where
        for token, confidence in zip(sentence, exp.confidences, strict=True):  # do not depend on the path
            gap = max(gap, abs(token.score - confidence))
        tags = [t.tag for t in sentence]
        if tags != exp.tags:
            assert is_float32_tie(tagger, sentence, exp.tags), f"{where}: tags differ\n{exp.tags}\n{tags}"
            ties += 1
            spans = get_spans_from_bio(list(tags), [t.score for t in sentence])
            assert [(s.first_token, s.last_token, s.label) for s in sentence.spans] == [
                (span[0][0], span[0][-1], span[2]) for span in spans], where
            continue
        assert [(s.start, s.end, s.label) for s in sentence.spans] == [s[:3] for s in exp.spans], where
        for span, exp_span in zip(sentence.spans, exp.spans):
            gap = max(gap, abs(span.score - exp_span[3]))
    assert gap < TOLERANCE
    assert ties <= max(1, len(inputs) // 20), f"{ties} float32 ties in {len(inputs)} sentences: too many to be ties"
    return ties


# --- Tests -----------------------------------------------------------------------------------------------

@pytest.fixture(autouse=True)
def _one_thread():
    """Tiny models: one thread is fastest, and immune to oversubscription on a busy machine (conftest restores)."""
    torch.set_num_threads(1)


@pytest.mark.parametrize("name", MODELS)
def test_flair_reference_is_varied(name):
    """The Flair predictions used as reference have many distinct tags and spans: parity means something."""
    expected = expected_text(name)
    tags = {tag for e in expected for tag in e.tags}
    spans = [s for e in expected for s in e.spans]
    assert len(tags) >= 6, tags
    assert len(spans) >= 20 and len({s[2] for s in spans}) >= 3, spans[:5]
    assert "O" in tags and any(t.startswith(("B-", "I-")) for t in tags) and any(t.startswith("S-") for t in tags)


def test_names_and_concatenation_order():
    tagger = fastner_tagger("crf-eleven-embeddings")
    flair_names = flair_tagger("crf-eleven-embeddings").embeddings.get_names()
    assert [e.name for e in tagger.embeddings] == flair_names  # stack order kept, Flair's names kept
    assert [tagger.embeddings[i].name for i in tagger.concat] == sorted(flair_names)
    assert tagger.embeddings[tagger.concat[2]].name.startswith("10-")  # "10-" sorts before "2-", as in Flair


def test_tag_dictionary_with_unk_and_nested_stack():
    name = "crf-nested-stack-unk-tag-initial-state"
    tagger = fastner_tagger(name)
    assert tagger.tags == flair_tagger(name).label_dictionary.get_items()
    assert tagger.tags[0] == "<unk>" and tagger.tags[-2:] == ["<START>", "<STOP>"]
    assert [e.name for e in tagger.embeddings] == flair_tagger(name).embeddings.get_names()


LONE_SURROGATES = ["Le mot a\udcffb et M. Dupont \ud800 à Lyon."]  # e.g. text decoded with surrogateescape


@pytest.mark.parametrize("preset", ["baseline", "flair-0.4.4", "fastest"])
def test_parity_lone_surrogates(preset):
    name = "crf"
    got = fastner_tagger(name).predict(as_flair_reads(LONE_SURROGATES), switches=Switches.preset(preset))
    assert_same(_flair_predict(flair_tagger(name), LONE_SURROGATES), got, LONE_SURROGATES, fastner_tagger(name))


@pytest.mark.parametrize("preset", PRESETS)
@pytest.mark.parametrize("name", MODELS)
def test_parity_text(name, preset):
    got = fastner_tagger(name).predict(as_flair_reads(TEXTS), mini_batch_size=FASTNER_BATCH,
                                       switches=Switches.preset(preset))
    assert_same(expected_text(name), got, TEXTS, fastner_tagger(name))


@pytest.mark.parametrize("preset", PRESETS)
@pytest.mark.parametrize("name", MODELS)
def test_parity_pretokenized(name, preset):
    sentences = [Sentence(words) for words in PRETOKENIZED]
    got = fastner_tagger(name).predict(sentences, mini_batch_size=FASTNER_BATCH, switches=Switches.preset(preset))
    assert_same(expected_pretokenized(name), got, PRETOKENIZED, fastner_tagger(name))


def test_saved_flair_file_and_cli(tmp_path, capsys):
    """A Flair .pt file converts (only with consent) and the CLI's safetensors model tags exactly like Flair."""
    import argparse

    name = "nocrf-rnn2-lm2-proj"
    flair_path = tmp_path / "flair-model.pt"
    flair_tagger(name).save(flair_path)
    loaded = load_flair_file(flair_path, trust_pickle=True)
    inputs = TEXTS[:12] + ODD
    expected = _flair_predict(flair_tagger(name), inputs)
    assert_same(expected, loaded.predict(as_flair_reads(inputs), switches=Switches.preset("fastest")), inputs, loaded)

    parser = argparse.ArgumentParser(prog="fastner")
    register(parser.add_subparsers(dest="command", required=True))
    out_dir = tmp_path / "converted"
    args = parser.parse_args(["convert-flair", str(flair_path), str(out_dir)])
    assert args.func(args) == 2 and not out_dir.exists()  # no --trust-pickle: refused
    args = parser.parse_args(["convert-flair", str(flair_path), str(out_dir), "--trust-pickle"])
    assert args.func(args) == 0
    assert "wrote" in capsys.readouterr().out
    converted = SequenceTagger.load(out_dir)
    for preset in PRESETS:
        got = converted.predict(as_flair_reads(inputs), switches=Switches.preset(preset))
        assert_same(expected, got, inputs, converted)
