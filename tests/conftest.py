"""Shared fixtures: small random taggers of several shapes and sentences that stress the tagger; the `slow`
marker's opt-in."""

from __future__ import annotations

import os

import numpy as np
import pytest
import torch

from fastner.embeddings.charlm import CharLM, CharLMEmbeddings
from fastner.embeddings.words import WordEmbeddings
from fastner.tagger import DEFAULT_CHARS, SequenceTagger, bioes_tags

VOCAB = ["le", "la", "de", "des", "rue", "avenue", "monsieur", "madame", "m.", "mme", "dupont", "martin",
         "lyon", "paris", "cour", "d'appel", "##", "####", "0000", ",", ".", "tribunal", "attendu", "que"]


def make_tagger(seed: int = 0, *, char_layers: int = 1, nout: int | None = None, rnn_layers: int = 1,
                use_crf: bool = True, reproject: bool = True, chars_per_chunk: int = 512,
                tag_types=("PERS", "ADDRESS"), names=("0-words", "1-fwd", "2-bwd")) -> SequenceTagger:
    """A small random tagger of a given shape (deterministic, global RNG untouched)."""
    rng = np.random.default_rng(seed)
    vectors = rng.standard_normal((len(VOCAB), 12), dtype=np.float32)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        embeddings = [WordEmbeddings(VOCAB, vectors, name=names[0])]
        for name, forward in ((names[1], True), (names[2], False)):
            lm = CharLM(DEFAULT_CHARS, forward, hidden_size=10, nlayers=char_layers, embedding_size=6, nout=nout)
            embeddings.append(CharLMEmbeddings(lm, name, chars_per_chunk))
        tagger = SequenceTagger(embeddings, bioes_tags(tag_types), hidden_size=8, rnn_layers=rnn_layers,
                                use_crf=use_crf, reproject=reproject)
        with torch.no_grad():  # sharper emissions than the default init, so tags vary along a sentence
            tagger.linear.weight.mul_(8.0)
    return tagger


SHAPES = {
    "default": {},
    "lm2-rnn2-proj-nocrf": {"char_layers": 2, "nout": 7, "rnn_layers": 2, "use_crf": False},
    "proj-crf-chunk7-noreproject": {"nout": 5, "chars_per_chunk": 7, "reproject": False},
    "nocrf-chunk3": {"use_crf": False, "chars_per_chunk": 3, "names": ("b-words", "a-fwd", "c-bwd")},
}

SENTENCES = [
    "M. Dupont demeure 3 rue des Lilas à Lyon.",
    "Attendu que la société Martin & Fils, représentée par Maître Claire Durand, avocat au barreau de "
    "Paris, a interjeté appel le 12 mars 2019 du jugement rendu par le tribunal de grande instance de "
    "Lyon, qui avait condamné Madame Sophie Bernard, demeurant 45 avenue Jean Jaurès 69007 Lyon, à payer "
    "la somme de 12 345,67 euros au titre des loyers impayés ; que l'appelante soutient que le bail "
    "était résilié depuis le 1er janvier 2018.",
    "Bonjour",
    "Le 😀 emoji, le 漢字, un contrôle \x07 et un NUL \x00 passent.",
    "Un mot très long: " + "anticonstitutionnellement" * 3 + " fin.",
    "Chiffres 2019 , 06-12-34-56-78 et 75008 Paris .",
    "«Cour d'appel» — n° RG 19/01234 ; arrêt du 3 févr. 2020.",
    "ALL CAPS DUPONT MARTIN",
]


@pytest.fixture(autouse=True)
def _reset_torch_state():
    """Tests never leak thread counts or grad mode into each other."""
    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)
    torch.set_grad_enabled(True)


def pytest_collection_modifyitems(config, items) -> None:
    """`@pytest.mark.slow` tests (real scales, wall-clock ratios) run only when asked: `-m slow` (or any
    marker expression naming `slow`), or FASTNER_SLOW=1."""
    if "slow" in (config.getoption("markexpr") or "") or os.environ.get("FASTNER_SLOW"):
        return
    skip = pytest.mark.skip(reason="slow: run with -m slow")
    for item in items:
        if item.get_closest_marker("slow"):
            item.add_marker(skip)
