"""Character-LM training: the states it trains are the tagger's, the loss goes down, files round-trip."""

from __future__ import annotations

import math

import pytest
import torch

from fastner.embeddings.charlm import CharLM, CharLMEmbeddings
from fastner.switches import Switches
from fastner.tagger import DEFAULT_CHARS
from fastner.text import Sentence
from fastner.train.lm import (
    char_dictionary,
    lm_string,
    load_char_lm,
    read_text,
    save_char_lm,
    token_states,
    tokenized_sentences,
    train_char_lm,
)
from tests.conftest import SENTENCES

CORPUS = ["M. Jean Dupont demeure 3 rue des Lilas à Lyon.", "Madame Claire Durand, avocat au barreau de Paris.",
          "La cour d'appel de Lyon a rendu son arrêt le 12 mars 2019."] * 4


@pytest.mark.parametrize("forward", [True, False])
def test_token_states_are_the_inference_states(forward: bool) -> None:
    torch.manual_seed(0)
    lm = CharLM(DEFAULT_CHARS, forward, hidden_size=12, nlayers=2, embedding_size=6, nout=5)
    emb = CharLMEmbeddings(lm, "lm", chars_per_chunk=7)
    sentences = [Sentence(t) for t in SENTENCES]
    sentences = [s for s in sentences if len(s)]
    with torch.no_grad():
        ours = token_states(lm, [[t.text for t in s] for s in sentences], torch.device("cpu"))
        for preset in ("baseline", "fastest"):
            theirs = emb.embed_batch(sentences, torch.device("cpu"), Switches.preset(preset))
            assert torch.allclose(ours, theirs, atol=1e-6)


def test_corpus_preparation() -> None:
    sentences = tokenized_sentences(["M. Dupont est là. Il part.", "", "Lyon, le 3 mai"])
    assert sentences == ["M. Dupont est là .", "Il part .", "Lyon , le 3 mai"]
    assert lm_string("ab c", True) == "\nab c " and lm_string("ab c", False) == "\nc ba "
    chars = char_dictionary(["☃☃ x", "☃"])
    assert chars[: len(DEFAULT_CHARS)] == DEFAULT_CHARS and chars[len(DEFAULT_CHARS):] == ["☃"]


def test_training_reduces_loss_and_files_round_trip(tmp_path) -> None:
    torch.set_num_threads(1)
    sentences = tokenized_sentences(CORPUS)
    lm, history = train_char_lm(sentences, sentences[:3], False, hidden_size=16, embedding_size=8, epochs=4,
                                lr=1e-2, batch_chars=200, seed=1, progress=False, log=lambda _: None)
    losses = [h["train_loss"] for h in history]
    assert losses[-1] < losses[0] and all(math.isfinite(h["dev_perplexity"]) for h in history)
    assert not lm.is_forward and not lm.training
    save_char_lm(lm, tmp_path / "lm", {"history": history})
    back = load_char_lm(tmp_path / "lm")
    assert back.chars == lm.chars and not back.is_forward
    for (name, a), (_, b) in zip(lm.state_dict().items(), back.state_dict().items()):
        assert torch.equal(a, b), name
    again, _ = train_char_lm(sentences, sentences[:3], False, hidden_size=16, embedding_size=8, epochs=4, lr=1e-2,
                             batch_chars=200, seed=1, progress=False, log=lambda _: None)
    assert all(torch.equal(a, b) for a, b in zip(lm.state_dict().values(), again.state_dict().values()))


def test_bad_files(tmp_path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"ok\nok\n\xff\n")
    with pytest.raises(ValueError, match=r"bad.txt:3: invalid UTF-8"):
        read_text(bad)
    with pytest.raises(ValueError, match="missing"):
        load_char_lm(tmp_path)
