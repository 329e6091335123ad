"""Character language-model embeddings (Flair's FlairEmbeddings), forward or backward.

A sentence is read as its tokenized string (words joined by single spaces) between a start marker "\\n"
and an end marker " ", reversed for a backward LM. Each token takes the LM state at one position:
forward LM, the space after its last character; backward LM, the position after its first character
in reversed order (Flair's rule, §1.6 of the 2019 notes). The LSTM is causal, so padding after a string
never changes the states read: every padding/packing strategy below gives the same numbers.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from operator import itemgetter
from typing import Any

import numpy as np
import torch
from torch import nn

import fastner.fields as fields
from fastner.switches import Switches

START_MARKER, END_MARKER = "\n", " "
UNKNOWN = "<unk>"
SHRINK_STEP = 64  # characters per LSTM call with lm_shrink: small enough to waste little, large enough to batch


class CharLM(nn.Module):
    """Flair's LanguageModel: chars -> Embedding(V, E) -> LSTM(E, H, layers) -> [Linear(H, P)] -> decoder.

    `chars[0]` is the unknown item: characters not in `chars` map to index 0. The decoder (a Linear to the
    V characters) is what the LM was trained with; inference reads the LSTM (or projection) outputs only.
    """

    def __init__(self, chars: list[str], is_forward: bool, hidden_size: int, nlayers: int = 1,
                 embedding_size: int = 100, nout: int | None = None) -> None:
        super().__init__()
        if not chars or chars[0] != UNKNOWN:
            raise ValueError(f"the character dictionary must start with the unknown item {UNKNOWN!r}")
        self.chars = list(chars)
        self.is_forward = is_forward
        self.hidden_size, self.nlayers, self.embedding_size, self.nout = hidden_size, nlayers, embedding_size, nout
        self.index_bytes = {c.encode("utf-8"): i for i, c in enumerate(self.chars)}  # Flair's item2idx
        self.index_chars = defaultdict(int, {c: i for i, c in enumerate(self.chars)})  # #1145's decoded dict
        self.encoder = nn.Embedding(len(chars), embedding_size)
        self.rnn = nn.LSTM(embedding_size, hidden_size, nlayers)
        self.proj = nn.Linear(hidden_size, nout) if nout else None
        self.decoder = nn.Linear(nout or hidden_size, len(chars))

    @property
    def output_dim(self) -> int:
        return self.nout or self.hidden_size

    def index_per_char(self, string: str) -> list[int]:
        """0.4.3: one Python call per character (UTF-8 encode, dict lookup, 0 if unknown)."""
        return [self.index_of(c) for c in string]

    def index_of(self, char: str) -> int:
        # surrogatepass: a lone surrogate (text decoded with surrogateescape) is simply unknown, not a crash
        return self.index_bytes.get(char.encode("utf-8", "surrogatepass"), 0)

    def index_vectorized(self, string: str) -> list[int]:
        """#1145: one itemgetter over a decoded defaultdict."""
        if not string:
            return []
        out = itemgetter(*string)(self.index_chars)
        return [out] if len(string) == 1 else list(out)

    def forward(self, chars: torch.Tensor, hidden: tuple[torch.Tensor, torch.Tensor], decode: bool
                ) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
        """chars (C, B) int64 -> outputs (C, B, H or P), new hidden; the decoder runs and is dropped if asked."""
        out, hidden = self.rnn(self.encoder(chars), hidden)  # (C, B, H)
        if self.proj is not None:
            out = self.proj(out)  # (C, B, P)
        if decode:
            self.decoder(out)  # (C, B, V): computed, then thrown away (Flair before v0.12)
        return out, hidden

    def init_hidden(self, batch: int, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
        """Zero (layers, B, H) states in the LSTM's dtype."""
        shape, dtype = (self.nlayers, batch, self.hidden_size), self.rnn.weight_hh_l0.dtype
        return torch.zeros(shape, device=device, dtype=dtype), torch.zeros(shape, device=device, dtype=dtype)


def token_positions(tokenized: str, token_lengths: list[int], is_forward: bool) -> list[int]:
    """Index, in the marker-wrapped string, of the LM state each token takes (Flair's offset rule)."""
    fwd, bwd = len(START_MARKER), len(tokenized) + len(START_MARKER)
    out = []
    for n in token_lengths:
        fwd += n
        out.append(fwd if is_forward else bwd)
        fwd += 1
        bwd -= 1 + n
    return out


def lm_string(tokenized: str, is_forward: bool) -> str:
    """What a character LM reads for one sentence: its tokenized string (reversed for a backward LM) between
    the start and end markers. The one rule: inference, training and the floor all read this."""
    return START_MARKER + (tokenized if is_forward else tokenized[::-1]) + END_MARKER


def char_grid(lm: CharLM, strings: list[str], order: np.ndarray | None = None,
              to_indices: Callable[[str], list[int]] | None = None) -> np.ndarray:
    """(C_max, B) int64 character indices of `strings`, column r holding `strings[order[r]]` (default: in
    order), padded with the end marker. `to_indices`: the LM's indexing (default vectorized)."""
    to_indices = to_indices or lm.index_vectorized
    order = np.arange(len(strings)) if order is None else order
    longest = max(len(x) for x in strings)
    grid = np.full((longest, len(strings)), lm.index_of(END_MARKER), dtype=np.int64)  # (C, B)
    for r, i in enumerate(order):
        grid[: len(strings[i]), r] = to_indices(strings[i])
    return grid


def shrunk_steps(lm: CharLM, chars: torch.Tensor, lengths: np.ndarray, decoder: bool = False
                 ) -> Iterator[tuple[int, torch.Tensor]]:
    """`lm_shrink`'s loop: the LSTM over `chars` (C, B), strings sorted longest first with `lengths`, read in
    steps of SHRINK_STEP characters, each step on the strings still running (a prefix of the batch) and
    carrying their state. Yields (step, outputs (S, R, H)); `decoder`: also run the output decoder, whose
    result is thrown away (what a configuration without `lm_skip_decoder` computes)."""
    h, c = lm.init_hidden(chars.shape[1], chars.device)
    for k, begin in enumerate(range(0, int(lengths[0]), SHRINK_STEP)):
        running = int((lengths > begin).sum())
        x = lm.encoder(chars[begin:begin + SHRINK_STEP, :running])  # (S, R, E)
        out, (h[:, :running], c[:, :running]) = lm.rnn(x, (h[:, :running], c[:, :running]))  # (S, R, H)
        if decoder:
            lm.decoder(lm.proj(out) if lm.proj is not None else out)  # (S, R, V), thrown away
        yield k, out


class CharLMEmbeddings(nn.Module):
    """FlairEmbeddings: one LM state per token, (P or H,) each, stored under `name`."""

    def __init__(self, lm: CharLM, name: str, chars_per_chunk: int = 512) -> None:
        super().__init__()
        if chars_per_chunk < 1:
            raise ValueError(f"chars_per_chunk must be >= 1, not {chars_per_chunk}")
        self.lm, self.name, self.chars_per_chunk = lm, name, chars_per_chunk

    @property
    def dim(self) -> int:
        return self.lm.output_dim

    # --- description (model files) ----------------------------------------------------------------------

    def config(self) -> dict[str, Any]:
        lm = self.lm
        return {"type": "charlm", "name": self.name, "is_forward": lm.is_forward, "chars": lm.chars,
                "hidden_size": lm.hidden_size, "nlayers": lm.nlayers, "embedding_size": lm.embedding_size,
                "nout": lm.nout, "chars_per_chunk": self.chars_per_chunk}

    @staticmethod
    def check_config(config: Any, field: str) -> None:
        fields.keys(config, field, ("name", "is_forward", "chars", "hidden_size", "nlayers", "embedding_size",
                                    "nout", "chars_per_chunk"))
        chars = fields.strings(config["chars"], f"{field}.chars")
        if chars[0] != UNKNOWN:
            raise ValueError(f"{field}.chars must start with the unknown item {UNKNOWN!r}")
        fields.boolean(config["is_forward"], f"{field}.is_forward")
        for key in ("hidden_size", "embedding_size"):
            fields.integer(config[key], f"{field}.{key}")
        fields.layers(config["nlayers"], f"{field}.nlayers")
        if config["nout"] is not None:
            fields.integer(config["nout"], f"{field}.nout")
        fields.integer(config["chars_per_chunk"], f"{field}.chars_per_chunk", high=1 << 24)

    @classmethod
    def from_config(cls, config: dict[str, Any], tensors: dict[str, torch.Tensor] | None = None) -> CharLMEmbeddings:
        """From `config()`; its weights come with the tagger's `load_state_dict`."""
        lm = CharLM(config["chars"], config["is_forward"], config["hidden_size"], config["nlayers"],
                    config["embedding_size"], config["nout"])
        return cls(lm, config["name"], config["chars_per_chunk"])

    def _strings(self, sentences) -> tuple[list[str], list[str]]:
        texts = [sentence.to_tokenized_string() for sentence in sentences]
        return texts, [lm_string(text, self.lm.is_forward) for text in texts]

    # --- Flair's chunked representation (0.4.3 / 0.4.4) -------------------------------------------------

    def representation(self, strings: list[str], device: torch.device, switches: Switches) -> torch.Tensor:
        """LM outputs for every character of every string, padded with spaces: (C_max, B, H or P)."""
        lm, cpc = self.lm, self.chars_per_chunk
        longest = max(len(x) for x in strings)
        if switches.lm_chunk_padding == "batch":  # 0.4.3: pad the strings to the batch's longest first
            strings = [x + END_MARKER * (longest - len(x)) for x in strings]
        to_indices = lm.index_vectorized if switches.char_indexing == "vectorized" else lm.index_per_char
        pad = lm.index_of(END_MARKER)

        def chunk_tensor(begin: int) -> torch.Tensor:  # (C_chunk, B) on the device
            rows = [to_indices(x[begin:begin + cpc]) for x in strings]
            width = max(len(r) for r in rows)
            rows = [r + [pad] * (width - len(r)) for r in rows]
            return torch.tensor(rows, dtype=torch.long).to(device, non_blocking=switches.lm_prefetch).t()

        begins = range(0, longest, cpc)
        prefetched = [chunk_tensor(b) for b in begins] if switches.lm_prefetch else None
        hidden = lm.init_hidden(len(strings), device)
        outputs = []
        for k, begin in enumerate(begins):
            chars = prefetched[k] if prefetched is not None else chunk_tensor(begin)
            out, hidden = lm(chars, hidden, decode=not switches.lm_skip_decoder)
            outputs.append(out)
        return torch.cat(outputs)  # (C_max, B, H)

    def embed_tokens(self, sentences, device: torch.device, switches: Switches) -> None:
        """Per-token path: each token gets a (H,) tensor, cloned or a view per `switches.clone_policy`."""
        texts, strings = self._strings(sentences)
        states = self.representation(strings, device, switches)  # (C, B, H)
        if switches.lm_single_detach:
            states = states.detach()
        only_if_needed = switches.set_embedding_to == "if_needed"
        for i, (sentence, text) in enumerate(zip(sentences, texts)):
            positions = token_positions(text, [len(t.text) for t in sentence], self.lm.is_forward)
            if switches.clone_policy == "per_sentence":  # the #1089 idea: one compact copy per sentence
                compact = states[torch.tensor(positions, device=states.device), i]  # (L, H)
                rows = [compact[j] for j in range(len(positions))]
            else:
                rows = [states[p, i, :] for p in positions]
            for token, row in zip(sentence, rows):
                if not switches.lm_single_detach:
                    row = row.detach()
                if switches.clone_policy == "per_token":
                    row = row.clone()
                token.set_embedding(self.name, row, device, only_if_needed)

    # --- Batched path (fastner) -------------------------------------------------------------------------

    def embed_batch(self, sentences, device: torch.device, switches: Switches) -> torch.Tensor:
        """(N, H) states of the N tokens of the batch, in sentence order; tokens hold nothing."""
        texts, strings = self._strings(sentences)
        positions = [token_positions(t, [len(tok.text) for tok in sent], self.lm.is_forward)
                     for t, sent in zip(texts, sentences)]
        if switches.lm_shrink:
            return self._shrunk_states(strings, positions, device, switches)
        states = self.representation(strings, device, switches)  # (C, B, H)
        t_index = torch.tensor([p for ps in positions for p in ps], device=states.device)
        b_index = torch.tensor([i for i, ps in enumerate(positions) for _ in ps], device=states.device)
        return states[t_index, b_index]  # (N, H)

    def _shrunk_states(self, strings: list[str], positions: list[list[int]], device: torch.device,
                       switches: Switches) -> torch.Tensor:
        """Run the LSTM on (almost) only the characters present and keep only the states tokens take.

        Strings are sorted longest first and read in steps of SHRINK_STEP characters; each step runs the
        LSTM on the strings still running (a prefix of the sorted batch), padded only to the step's end,
        and carries their hidden state. Padding waste is below SHRINK_STEP characters per string, and
        memory is bounded by one step's outputs, whatever the length of the text. The states are the
        same as a single pass over each string (the LSTM is causal), so `chars_per_chunk` does not matter.
        """
        lm = self.lm
        lengths = np.array([len(x) for x in strings])
        order = np.argsort(-lengths, kind="stable")  # rank -> string
        rank = np.empty_like(order)
        rank[order] = np.arange(len(order))
        to_indices = lm.index_vectorized if switches.char_indexing == "vectorized" else lm.index_per_char
        longest = int(lengths[order[0]])
        grid = char_grid(lm, strings, order, to_indices)  # (C, B) by rank
        chars = torch.from_numpy(grid).to(device, non_blocking=True)  # (C, B), one copy
        pos = np.concatenate([np.asarray(p, dtype=np.int64) for p in positions])  # (N,) in token order
        who = np.repeat(rank, [len(p) for p in positions])  # (N,) rank of each token's string
        step = pos // SHRINK_STEP  # (N,) the step whose output holds each token's state
        by_step = np.argsort(step, kind="stable")  # tokens grouped by step
        n_steps = -(-longest // SHRINK_STEP)
        bounds = np.searchsorted(step[by_step], np.arange(n_steps + 1))  # step k: by_step[bounds[k]:bounds[k+1]]
        t_index = torch.from_numpy(pos[by_step] % SHRINK_STEP).to(device, non_blocking=True)  # (N,)
        r_index = torch.from_numpy(who[by_step]).to(device, non_blocking=True)  # (N,)
        dtype = lm.rnn.weight_hh_l0.dtype
        picked = torch.empty((len(pos), lm.hidden_size), device=device, dtype=dtype)  # (N, H), grouped by step
        for k, out in shrunk_steps(lm, chars, lengths[order], decoder=not switches.lm_skip_decoder):
            a, b = bounds[k], bounds[k + 1]
            if b > a:
                picked[a:b] = out[t_index[a:b], r_index[a:b]]
        states = torch.empty_like(picked)
        states[torch.from_numpy(by_step).to(device, non_blocking=True)] = picked  # back to token order
        return lm.proj(states) if lm.proj is not None else states  # (N, P or H)
