"""Character-LM embeddings: the state each token takes (Flair's offset rule), character indices, and every
chunking, padding, indexing and shrinking switch against a one-string-at-a-time oracle."""

from __future__ import annotations

import pytest
import torch

from fastner.embeddings.charlm import END_MARKER, START_MARKER, UNKNOWN, CharLM, CharLMEmbeddings, token_positions
from fastner.switches import Switches
from fastner.tagger import DEFAULT_CHARS
from fastner.text import Sentence

from .conftest import SENTENCES

CPU = torch.device("cpu")


def test_token_positions_follow_flairs_rule():
    """Forward: the state on the space after the token's last character; backward (the string reversed):
    the state after its first character."""
    assert token_positions("ab c", [2, 1], True) == [3, 5]  # "\nab c ": the spaces at 3 and 5
    assert token_positions("ab c", [2, 1], False) == [5, 2]  # "\nc ba ": after "ba" and after "c"


@pytest.mark.parametrize("is_forward", [True, False])
def test_each_token_ends_right_before_its_position(is_forward: bool):
    """Whatever the tokens, the marker-wrapped string holds the token (reversed when backward) just before
    its position, and a space at it."""
    for sentence in (Sentence(t) for t in SENTENCES):
        text = sentence.to_tokenized_string()
        read = START_MARKER + (text if is_forward else text[::-1]) + END_MARKER
        positions = token_positions(text, [len(t.text) for t in sentence], is_forward)
        for token, p in zip(sentence, positions, strict=True):
            word = token.text if is_forward else token.text[::-1]
            assert read[p - len(word):p] == word and read[p] == " "


def test_characters_to_indices():
    lm = CharLM([UNKNOWN, "a", "é", " ", "\n"], True, hidden_size=2, embedding_size=2)
    text = "\naé z\udcff "  # "z" and a lone surrogate are unknown: index 0, never an error
    want = [4, 1, 2, 3, 0, 0, 3]
    assert lm.index_per_char(text) == lm.index_vectorized(text) == want
    assert lm.index_per_char("a") == lm.index_vectorized("a") == [1]
    assert lm.index_per_char("") == lm.index_vectorized("") == []
    with pytest.raises(ValueError, match="unknown item"):
        CharLM(["a", UNKNOWN], True, hidden_size=2)
    with pytest.raises(ValueError, match="chars_per_chunk"):
        CharLMEmbeddings(lm, "lm", chars_per_chunk=0)


def make_embeddings(is_forward: bool, nlayers: int, nout: int | None, chars_per_chunk: int) -> CharLMEmbeddings:
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(3)
        lm = CharLM(DEFAULT_CHARS, is_forward, hidden_size=10, nlayers=nlayers, embedding_size=6, nout=nout)
    return CharLMEmbeddings(lm, "lm", chars_per_chunk).eval()


@torch.no_grad()
def oracle(emb: CharLMEmbeddings, sentences: list[Sentence]) -> torch.Tensor:
    """(N, H or P): each sentence read alone in one LSTM call, unpadded, the token states picked by hand."""
    lm, rows = emb.lm, []
    for sentence in sentences:
        text = sentence.to_tokenized_string()
        read = START_MARKER + (text if lm.is_forward else text[::-1]) + END_MARKER
        chars = torch.tensor([lm.index_of(c) for c in read])[:, None]  # (C, 1)
        out, _ = lm.rnn(lm.encoder(chars), lm.init_hidden(1, CPU))  # (C, 1, H)
        picked = out[token_positions(text, [len(t.text) for t in sentence], lm.is_forward), 0]  # (L, H)
        rows.append(lm.proj(picked) if lm.proj is not None else picked)
    return torch.cat(rows)


SHAPES = [pytest.param(f, layers, nout, cpc, id=f"{'fwd' if f else 'bwd'}-l{layers}-p{nout}-c{cpc}")
          for f, layers, nout, cpc in [(True, 1, None, 512), (False, 2, 5, 7), (True, 2, None, 3), (False, 1, 4, 64)]]
TEXTS = [SENTENCES[0], "Bonjour", SENTENCES[3], SENTENCES[7],
         "Attendu que la société Martin & Fils, représentée par Maître Claire Durand, avocat au barreau de Paris, "
         "a interjeté appel le 12 mars 2019."]  # 9 to 144 characters read: up to 3 SHRINK_STEP steps


def sentences() -> list[Sentence]:
    return [Sentence(t) for t in TEXTS]


def flips(base: Switches, changes: dict[str, object]) -> list[Switches]:
    """`base`, then `base` with each change alone, then with every change at once."""
    return [base, *(base.replace(**{k: v}) for k, v in changes.items()), base.replace(**changes)]


BATCHED = flips(Switches.preset("fastest"), {"char_indexing": "per_char", "lm_chunk_padding": "batch",
                                             "lm_prefetch": False, "lm_skip_decoder": False, "lm_shrink": False})
PER_TOKEN = [*flips(Switches(), {"clone_policy": "per_sentence", "lm_single_detach": True,
                                 "set_embedding_to": "if_needed", "lm_chunk_padding": "chunk",
                                 "char_indexing": "vectorized", "lm_prefetch": True, "lm_skip_decoder": True}),
             Switches(clone_policy="none"), Switches.preset("flair-0.4.4")]


@pytest.mark.parametrize(("is_forward", "nlayers", "nout", "chars_per_chunk"), SHAPES)
def test_batched_states_are_the_oracles(is_forward, nlayers, nout, chars_per_chunk):
    emb = make_embeddings(is_forward, nlayers, nout, chars_per_chunk)
    batch = sentences()
    want = oracle(emb, batch)
    with torch.no_grad():
        for switches in BATCHED:
            got = emb.embed_batch(batch, CPU, switches)  # (N, H or P)
            assert got.shape == want.shape, switches.diff()
            torch.testing.assert_close(got, want, atol=1e-6, rtol=0, msg=lambda m, s=switches: f"{s.diff()}: {m}")


@pytest.mark.parametrize(("is_forward", "nlayers", "nout", "chars_per_chunk"), SHAPES)
def test_per_token_states_are_the_oracles(is_forward, nlayers, nout, chars_per_chunk):
    emb = make_embeddings(is_forward, nlayers, nout, chars_per_chunk)
    want = oracle(emb, sentences())
    with torch.no_grad():
        for switches in PER_TOKEN:
            batch = sentences()
            emb.embed_tokens(batch, CPU, switches)
            got = torch.stack([token._embeddings["lm"] for sentence in batch for token in sentence])
            torch.testing.assert_close(got, want, atol=1e-6, rtol=0, msg=lambda m, s=switches: f"{s.diff()}: {m}")


def test_per_token_clone_policies_own_or_share_memory():
    """per_token: each state its own storage; per_sentence: one storage per sentence; none: views of the
    LM output, one storage for the batch."""
    emb = make_embeddings(True, 1, None, 512)
    storages = {}
    with torch.no_grad():
        for clone in ("per_token", "per_sentence", "none"):
            batch = sentences()[:3]
            emb.embed_tokens(batch, CPU, Switches(clone_policy=clone))
            storages[clone] = [{token._embeddings["lm"].untyped_storage().data_ptr() for token in sentence}
                               for sentence in batch]
    assert all(len(s) == len(sentence) for s, sentence in zip(storages["per_token"], sentences()[:3], strict=True))
    assert all(len(s) == 1 for s in storages["per_sentence"])
    assert len(set().union(*storages["per_sentence"])) == 3
    assert len(set().union(*storages["none"])) == 1
