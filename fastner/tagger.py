"""SequenceTagger: Flair's BiLSTM-CRF, its forward pass and its predict loop, with every switch.

The path of a batch: embeddings (word vectors, forward and backward char LMs) -> batch tensor
(B, T, D) in sorted-name order -> reprojection Linear(D, D) -> BiLSTM over packed sequences ->
Linear(2H, K) emissions (B, T, K) -> CRF Viterbi (or argmax) -> BIOES tags -> character-offset spans.
"""

from __future__ import annotations

import bisect
import string
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

import fastner.fields as fields
from fastner.decode import Decoder
from fastner.embeddings import embedding_class, embedding_from_config
from fastner.embeddings.charlm import UNKNOWN, CharLM, CharLMEmbeddings
from fastner.embeddings.stack import BUILDERS, Packing, concat_order
from fastner.embeddings.words import WordEmbeddings
from fastner.io import read_model, write_model
from fastner.precision import PrecisionError, ReducedCopies, resolve_precision
from fastner.switches import Switches
from fastner.text import Sentence

START_TAG, STOP_TAG = "<START>", "<STOP>"
WINDOW_CHARS = 20_000  # a longer sentence (its tokenized string) is tagged in overlapping windows of this size
WINDOW_CONTEXT = 1_000  # characters of context each side of the part of a window whose tags are kept


@dataclass(frozen=True)
class Size:
    """Named model sizes for `SequenceTagger.random`."""

    word_dim: int
    vocab_size: int
    char_embedding: int
    char_hidden: int
    hidden: int
    char_layers: int = 1
    rnn_layers: int = 1


SIZES = {
    "tiny": Size(word_dim=32, vocab_size=2000, char_embedding=16, char_hidden=32, hidden=16),
    "small": Size(word_dim=100, vocab_size=20_000, char_embedding=50, char_hidden=128, hidden=64),
    "medium": Size(word_dim=300, vocab_size=50_000, char_embedding=100, char_hidden=256, hidden=128),
    "cpu": Size(word_dim=300, vocab_size=50_000, char_embedding=100, char_hidden=512, hidden=256),
    "large": Size(word_dim=300, vocab_size=100_000, char_embedding=100, char_hidden=1024, hidden=256),
    "paper": Size(word_dim=300, vocab_size=200_000, char_embedding=100, char_hidden=2048, hidden=256),
}

DEFAULT_CHARS = [UNKNOWN, "\n", *string.printable[:95], *"àâäçéèêëîïôöùûüÿœæÀÂÄÇÉÈÊËÎÏÔÖÙÛÜŸŒÆ«»’‘“”–—…€°§"]


def bioes_tags(tag_types: Sequence[str]) -> list[str]:
    """O, then S-/B-/E-/I- for each type, in the order given."""
    if not tag_types or len(set(tag_types)) != len(tag_types) or not all(isinstance(t, str) and t for t in tag_types):
        raise ValueError(f"tag_types must be distinct non-empty strings, got {tag_types!r}")
    return ["O"] + [f"{p}-{t}" for t in tag_types for p in "SBEI"]


BiLSTMRunner = Callable[[nn.LSTM, torch.Tensor, list[int]], tuple[torch.Tensor, torch.Tensor]]
"""Runs the BiLSTM `rnn` over the tokens of a batch: (rnn, x (N, D) in token order, the sentences' lengths) ->
(N, 2H) rows in any order and, for each row, its flat position b * T + t in the padded (B, T) grid (N,)."""


def packed_bilstm(rnn: nn.LSTM, x: torch.Tensor, lengths: list[int]) -> tuple[torch.Tensor, torch.Tensor]:
    """Inference's `BiLSTMRunner`: `rnn` over the packed sentences; its rows come in packed order."""
    packing = Packing(lengths)
    out, _ = rnn(packing.pack(x))  # data (N, 2H)
    return out.data, packing.packed_to_padded.to(x.device)


class SequenceTagger(nn.Module):
    """Flair's SequenceTagger (inference): stacked embeddings, reprojection, BiLSTM, linear, CRF."""

    def __init__(self, embeddings: list[WordEmbeddings | CharLMEmbeddings], tags: list[str], hidden_size: int,
                 rnn_layers: int = 1, use_crf: bool = True, reproject: bool = True) -> None:
        super().__init__()
        if use_crf and not {START_TAG, STOP_TAG} <= set(tags):
            tags = [t for t in tags if t not in (START_TAG, STOP_TAG)] + [START_TAG, STOP_TAG]
        self.tags = list(tags)
        self.use_crf, self.reproject = use_crf, reproject
        self.hidden_size, self.rnn_layers = hidden_size, rnn_layers
        self.embeddings = nn.ModuleList(embeddings)
        self.concat = concat_order([e.name for e in embeddings])  # Flair: alphabetical order of names
        dim = sum(e.dim for e in embeddings)
        self.embedding2nn = nn.Linear(dim, dim) if reproject else None
        self.rnn = nn.LSTM(dim, hidden_size, rnn_layers, batch_first=True, bidirectional=True,
                           dropout=0.5 if rnn_layers > 1 else 0.0)
        self.linear = nn.Linear(2 * hidden_size, len(self.tags))
        self._folded = None  # cache of _folded_input_weights
        self._reduced = ReducedCopies()  # reduced-precision copies of the layers, per dtype
        if use_crf:
            self.transitions = nn.Parameter(torch.randn(len(self.tags), len(self.tags)))  # [to, from]
            self.start, self.stop = self.tags.index(START_TAG), self.tags.index(STOP_TAG)
            with torch.no_grad():
                self.transitions[self.start, :] = -10000.0  # nothing goes to START
                self.transitions[:, self.stop] = -10000.0  # nothing leaves STOP
        else:
            self.transitions, self.start, self.stop = None, -1, -1
        self.eval()

    @property
    def embedding_dim(self) -> int:
        return sum(e.dim for e in self.embeddings)

    @property
    def device(self) -> torch.device:
        return self.linear.weight.device

    @property
    def tag_types(self) -> list[str]:
        return list(dict.fromkeys(t[2:] for t in self.tags if t[:2] in ("S-", "B-", "E-", "I-")))

    # --- construction -----------------------------------------------------------------------------------

    @classmethod
    def random(cls, size: str = "tiny", tag_types: Sequence[str] = ("PERS", "ADDRESS"), seed: int = 0,
               vocab: Sequence[str] | None = None, use_crf: bool = True, chars_per_chunk: int = 512) -> SequenceTagger:
        """A tagger with deterministic random weights at a named size (a key of SIZES: 'tiny' ... 'paper').

        `vocab` (optional) gives the word list; it is cut or padded with filler words to the size's
        vocabulary size. The global RNG state is left untouched.
        """
        if size not in SIZES:
            raise ValueError(f"unknown size {size!r}: expected one of {', '.join(SIZES)}")
        spec = SIZES[size]
        words = list(dict.fromkeys(vocab or []))[: spec.vocab_size]
        words += [f"w{i:06d}" for i in range(spec.vocab_size - len(words))]
        rng = np.random.default_rng(seed)
        vectors = rng.standard_normal((len(words), spec.word_dim), dtype=np.float32)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            embeddings: list = [WordEmbeddings(words, vectors, name="0-words")]
            for i, forward in ((1, True), (2, False)):
                lm = CharLM(DEFAULT_CHARS, forward, spec.char_hidden, spec.char_layers, spec.char_embedding)
                name = f"{i}-charlm-{'forward' if forward else 'backward'}"
                embeddings.append(CharLMEmbeddings(lm, name, chars_per_chunk))
            return cls(embeddings, bioes_tags(tag_types), spec.hidden, spec.rnn_layers, use_crf=use_crf)

    # --- description, model files -------------------------------------------------------------------------

    def config(self) -> dict[str, Any]:
        """Everything but the tensors (JSON-serializable); `from_config(config(), state_dict())` rebuilds it."""
        return {"tags": self.tags, "use_crf": self.use_crf, "reproject": self.reproject,
                "hidden_size": self.hidden_size, "rnn_layers": self.rnn_layers,
                "embeddings": [emb.config() for emb in self.embeddings]}

    @staticmethod
    def check_config(config: Any) -> None:
        """Every field's type and range (ValueError naming the field), before anything is built."""
        fields.keys(config, "the config", ("tags", "use_crf", "reproject", "hidden_size", "rnn_layers", "embeddings"))
        fields.strings(config["tags"], "tags")
        fields.boolean(config["use_crf"], "use_crf")
        fields.boolean(config["reproject"], "reproject")
        fields.integer(config["hidden_size"], "hidden_size")
        fields.layers(config["rnn_layers"], "rnn_layers")
        embeddings = config["embeddings"]
        if not isinstance(embeddings, list) or not embeddings:
            raise ValueError("embeddings must be a non-empty list")
        for i, embedding in enumerate(embeddings):
            embedding_class(embedding, f"embeddings[{i}]").check_config(embedding, f"embeddings[{i}]")
        fields.strings([e["name"] for e in embeddings], "the embeddings' names")

    @classmethod
    def from_config(cls, config: dict[str, Any], tensors: Mapping[str, torch.Tensor] | None = None) -> SequenceTagger:
        """The tagger `config` describes, with `tensors` (a `state_dict()`); without them, a skeleton on the
        meta device that has every tensor's shape and allocates nothing, whatever the sizes."""
        with torch.device("meta"):
            embeddings = [embedding_from_config(e, None if tensors is None else _prefixed(tensors, f"embeddings.{i}."))
                          for i, e in enumerate(config["embeddings"])]
            tagger = cls(embeddings, config["tags"], config["hidden_size"], config["rnn_layers"],
                         use_crf=config["use_crf"], reproject=config["reproject"])
        if tensors is not None:
            tagger.load_state_dict(dict(tensors), strict=True, assign=True)
        return tagger.eval()

    @classmethod
    def expected_tensors(cls, config: Any) -> dict[str, tuple[torch.dtype, tuple[int, ...]]]:
        """name -> (dtype, shape) of every tensor of the tagger `config` describes (checked first)."""
        cls.check_config(config)
        return {k: (v.dtype, tuple(v.shape)) for k, v in cls.from_config(config).state_dict().items()}

    def save(self, path) -> None:
        """`path/config.json` + `path/model.safetensors` (no pickle), written atomically."""
        write_model(path, self.config(), self.state_dict())

    @classmethod
    def load(cls, path) -> SequenceTagger:
        """A tagger saved by `save`; every file is checked before any weight is used (`fastner.io`)."""
        config, tensors = read_model(path, cls.expected_tensors)
        return cls.from_config(config, tensors)

    # --- forward --------------------------------------------------------------------------------------

    def features(self, sentences: list[Sentence], switches: Switches,
                 dtype: torch.dtype = torch.float32) -> tuple[torch.Tensor, list[int]]:
        """Emission scores (B, T, K), fp32, on the model's device for non-empty sentences, and their lengths.
        `dtype` other than float32 runs the layers in that precision (gathered path only; see precision.py)."""
        lengths = [len(x) for x in sentences]
        if switches.batch_build == "gather":
            return self._features_gathered(sentences, lengths, switches, dtype), lengths
        if dtype != torch.float32:
            raise PrecisionError(f"reduced precision runs on the gathered path only: switches with "
                                 f"batch_build={switches.batch_build!r} need precision='fp32'")
        return self._features_attached(sentences, lengths, switches), lengths

    def _features_attached(self, sentences: list[Sentence], lengths: list[int], switches: Switches) -> torch.Tensor:
        """Flair's path: each embedding attaches vectors to tokens, then the batch tensor is built."""
        if switches.zero_grad:
            self.zero_grad()
        device = self.device
        for emb in self.embeddings:
            emb.embed_tokens(sentences, device, switches)
        x = BUILDERS[switches.batch_build](sentences, self.embedding_dim, device)  # (B, T, D)
        x, rnn = self.bilstm_input(x, switches.fold_reprojection)
        out, _ = rnn(pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False))
        out, _ = pad_packed_sequence(out, batch_first=True)  # (B, T, 2H)
        return self.linear(out)  # (B, T, K)

    def _features_gathered(self, sentences: list[Sentence], lengths: list[int], switches: Switches,
                           dtype: torch.dtype = torch.float32) -> torch.Tensor:
        """fastner's path: (N, D_i) matrices, one cat, reprojection and BiLSTM on the N real tokens only.
        In a reduced `dtype`, each embedding with weights runs as its converted copy (the word-vector lookup
        has none: its fp32 rows are cast with the rest) and the emissions come back in fp32."""
        if switches.zero_grad:
            self.zero_grad()
        device = self.device
        parts = [self._layer(emb.name, emb, dtype).embed_batch(sentences, device, switches)
                 for emb in self.embeddings]  # (N, D_i) each
        x = self.concatenate(parts).to(dtype)  # (N, D)
        return self.emissions(x, lengths, fold=switches.fold_reprojection, dtype=dtype)  # (B, T, K)

    def concatenate(self, parts: Sequence[torch.Tensor]) -> torch.Tensor:
        """One (N, D_i) matrix (or (D_i,) vector) per embedding, in `embeddings` order -> (N, D) (or (D,)) in
        Flair's order: the embeddings' names sorted as strings (`concat`)."""
        return torch.cat([parts[i] for i in self.concat], dim=-1)

    def emissions(self, x: torch.Tensor, lengths: list[int], *, fold: bool = False,
                  dtype: torch.dtype = torch.float32, reprojection: nn.Module | None = None,
                  bilstm: BiLSTMRunner | None = None,
                  after_bilstm: Callable[[torch.Tensor], torch.Tensor] | None = None) -> torch.Tensor:
        """Emission scores (B, T, K), fp32, zeros in the padding, of x (N, D): the concatenated embeddings
        (`concatenate`) of the N tokens of sentences of `lengths`, in token order (sentence 0's tokens, then
        sentence 1's...). Steps: reprojection, BiLSTM over the N tokens (packed), linear, padding.

        `fold`: the folded BiLSTM replaces reprojection + BiLSTM (without gradients; see `folded_rnn`).
        `dtype`: the layers run in that precision (x must be in it; see precision.py).
        Training's pieces, the other steps unchanged: `reprojection` runs instead of `embedding2nn` (never
        folded); `bilstm` runs the BiLSTM instead of `packed_bilstm`; `after_bilstm` maps its (N, 2H) rows
        (dropout).
        """
        x, rnn = self.bilstm_input(x, fold, dtype, reprojection)
        h, positions = (packed_bilstm if bilstm is None else bilstm)(rnn, x, lengths)  # (N, 2H), (N,)
        if after_bilstm is not None:
            h = after_bilstm(h)
        scores = self._layer("linear", self.linear, dtype)(h).float()  # (N, K)
        grid = scores.new_zeros(len(lengths) * max(lengths), scores.shape[1])  # (B * T, K)
        return grid.index_copy(0, positions, scores).view(len(lengths), max(lengths), -1)  # (B, T, K)

    def bilstm_input(self, x: torch.Tensor, fold: bool, dtype: torch.dtype = torch.float32,
                     reprojection: nn.Module | None = None) -> tuple[torch.Tensor, nn.LSTM]:
        """The BiLSTM's input and the BiLSTM to run, layers in `dtype`, for x (N, D) or (B, T, D): x reprojected
        (by `reprojection`, default `embedding2nn`) and `rnn`; x itself and `rnn` without reprojection; x itself
        and the folded BiLSTM with `fold`, which serves inference only: with gradients the two layers run as
        trained."""
        if reprojection is not None:
            return reprojection(x), self._layer("rnn", self.rnn, dtype)
        if self.embedding2nn is None:
            return x, self._layer("rnn", self.rnn, dtype)
        if fold and not torch.is_grad_enabled():
            return x, self._layer("folded", self.folded_rnn(), dtype)
        return self._layer("embedding2nn", self.embedding2nn, dtype)(x), self._layer("rnn", self.rnn, dtype)

    def _layer(self, name: str, module: nn.Module, dtype: torch.dtype) -> nn.Module:
        """`module` itself in fp32, else its copy in `dtype`, converted once and cached (see precision.py)."""
        return module if dtype == torch.float32 else self._reduced.get(name, module, dtype)

    def folded_rnn(self) -> nn.LSTM:
        """A copy of `rnn` whose first layer reads the raw embeddings: the reprojection is folded into its
        input weights, both directions: weight (4H, D) = W_ih A, bias (4H,) = W_ih a + b_ih. The other
        weights are shared. Cached until a weight changes (in place or replaced); never registered as a
        submodule, so it is not saved, and threads tagging with other switches never see it."""
        a_w, a_b = self.embedding2nn.weight, self.embedding2nn.bias
        params = (a_w, a_b, *self.rnn.parameters())
        if any(p.is_inference() for p in params):  # no version counter: nothing to key a cache on
            return self._fold(params)
        versions = tuple(p._version for p in params)
        cached = self._folded  # (params, versions, rnn); the params are kept so their ids stay theirs
        if cached is not None and cached[1] == versions and all(c is p for c, p in zip(cached[0], params)):
            return cached[2]
        self._folded = (params, versions, self._fold(params))
        return self._folded[2]

    def _fold(self, params) -> nn.LSTM:
        a_w, a_b, r = params[0], params[1], self.rnn
        rnn = nn.LSTM(r.input_size, r.hidden_size, r.num_layers, batch_first=True, bidirectional=True,
                      dropout=r.dropout, device="meta").eval()
        with torch.inference_mode(False), torch.no_grad():
            for name, weight in r.named_parameters():
                if name.startswith("weight_ih_l0"):  # weight_ih_l0 and weight_ih_l0_reverse
                    weight = weight @ a_w
                elif name.startswith("bias_ih_l0"):
                    weight = torch.addmv(weight, getattr(r, name.replace("bias", "weight")), a_b)
                setattr(rnn, name, nn.Parameter(weight, requires_grad=False))
        return rnn

    # --- predict ----------------------------------------------------------------------------------------

    def predict(self, inputs: str | Sentence | Iterable[str | Sentence], mini_batch_size: int = 32,
                switches: Switches | None = None, precision: str = "fp32", *,
                window_chars: int = WINDOW_CHARS) -> list[Sentence]:
        """Tag `inputs` (str, Sentence, or a list of them); returns the Sentences in input order.

        Strings are tokenized with the default tokenizer; Sentences are tagged in place. Empty or
        whitespace-only inputs come back with no tokens and no spans. `switches` defaults to `fastest`.
        Memory is bounded whatever a sentence's length: a sentence whose tokenized string is longer than
        `window_chars` is tagged in windows of at most that many characters, overlapping by WINDOW_CONTEXT
        characters each side (whose tags are dropped), so each token is tagged with context on both sides;
        a batch holds at most 3 x `window_chars` characters (and `mini_batch_size` sentences).
        `precision`: "fp32" (default, exact), "bf16" (a CPU with AVX512/AVX512-BF16, or a recent GPU) or
        "fp16" (GPU): the char LMs, reprojection, BiLSTM and linear run in it, the CRF decoding in fp32; tags
        may differ from fp32 where two paths score almost the same. Unsupported: `PrecisionError`.
        """
        switches = Switches.preset("fastest") if switches is None else switches
        if not isinstance(switches, Switches):
            raise TypeError(f"switches must be a fastner.Switches, not {type(switches).__name__}")
        if not isinstance(mini_batch_size, int) or isinstance(mini_batch_size, bool) or mini_batch_size < 1:
            raise ValueError(f"mini_batch_size must be a positive int, got {mini_batch_size!r}")
        if not isinstance(window_chars, int) or window_chars < 4 * WINDOW_CONTEXT:
            raise ValueError(f"window_chars must be an int of at least {4 * WINDOW_CONTEXT}, got {window_chars!r}")
        dtype = resolve_precision(precision, self.device)
        if dtype != torch.float32 and switches.batch_build != "gather":
            raise PrecisionError(f"precision={precision!r} runs on the gathered path only: switches with "
                                 f"batch_build={switches.batch_build!r} need precision='fp32'")
        sentences = _as_sentences(inputs)
        grad_mode = torch.inference_mode if switches.grad_mode == "inference_mode" else torch.no_grad
        with grad_mode():
            todo, windowed = _windows([x for x in sentences if len(x)], window_chars)
            for x in sentences:
                x.spans = []
                if switches.batch_build != "gather":
                    _clear_embeddings(x)  # Flair: store_embeddings(sentences, 'none') before predicting
            by_chars = switches.sort_by == "chars"
            todo.sort(key=(lambda x: len(x.to_tokenized_string())) if by_chars else len, reverse=True)
            decode = Decoder.prepare(self.transitions, self.start, self.stop, switches)
            for batch in _batches(todo, mini_batch_size, 3 * window_chars):
                feats, lengths = self.features(batch, switches, dtype)  # (B, T, K), fp32
                for sentence, (ids, confs) in zip(batch, decode(feats, lengths)):
                    sentence.set_tags([self.tags[i] for i in ids], confs)
                if switches.eval_storage == "none":
                    for sentence in batch:
                        _clear_embeddings(sentence)
                else:
                    _store_on_cpu(batch)
            _join_windows(windowed)
        return sentences


def _join_windows(windowed: list[tuple[Sentence, list[tuple[Sentence, int, int]]]]) -> None:
    """Tag each long sentence with the kept tags of its tagged windows (see `_windows`)."""
    for sentence, parts in windowed:
        tags: list[str] = []
        scores: list[float] = []
        for window, keep_from, keep_to in parts:
            tags += [t.tag for t in window.tokens[keep_from:keep_to]]
            scores += [t.score for t in window.tokens[keep_from:keep_to]]
        sentence.set_tags(tags, scores)


def _batches(todo: list[Sentence], size: int, max_chars: int) -> Iterable[list[Sentence]]:
    """Consecutive batches of at most `size` sentences (Flair's mini-batches) and, so that memory stays
    bounded whatever the sentences, of at most `max_chars` characters of tokenized strings (a batch holds one
    sentence at least; ordinary batches of 32 sentences of a few hundred characters never reach the bound)."""
    batch: list[Sentence] = []
    chars = 0
    for sentence in todo:
        n = len(sentence.to_tokenized_string())
        if batch and (len(batch) == size or chars + n > max_chars):
            yield batch
            batch, chars = [], 0
        batch.append(sentence)
        chars += n
    if batch:
        yield batch


def _prefixed(tensors: Mapping[str, torch.Tensor], prefix: str) -> dict[str, torch.Tensor]:
    """The tensors whose names start with `prefix`, without it."""
    return {k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)}


def _windows(sentences: list[Sentence], window_chars: int
             ) -> tuple[list[Sentence], list[tuple[Sentence, list[tuple[Sentence, int, int]]]]]:
    """The sentences to tag: each one whose tokenized string is longer than `window_chars` replaced by
    windows (pre-tokenized Sentences of its tokens). Also, for each long sentence, its windows and the
    range of each window's tokens whose tags it keeps (every token kept once, in order)."""
    todo: list[Sentence] = []
    windowed = []
    for sentence in sentences:
        if len(sentence.to_tokenized_string()) <= window_chars:
            todo.append(sentence)
            continue
        starts, position = [], 0  # each token's offset in the tokenized string
        for token in sentence.tokens:
            starts.append(position)
            position += len(token.text) + 1
        parts = []
        first = 0  # first token whose tags are not yet kept
        n = len(sentence)
        while first < n:
            begin = bisect.bisect_left(starts, starts[first] - WINDOW_CONTEXT)
            limit = starts[begin] + window_chars  # the window ends before this offset
            end = max(bisect.bisect_right(starts, limit) - 1, first + 1)  # tokens [begin, end) fit (one at least)
            # the last window keeps all its tokens; the others, those followed by WINDOW_CONTEXT characters
            keep_to = n if end == n else max(bisect.bisect_right(starts, starts[end - 1] - WINDOW_CONTEXT), first + 1)
            window = Sentence([t.text for t in sentence.tokens[begin:end]])
            parts.append((window, first - begin, keep_to - begin))
            todo.append(window)
            first = keep_to
        windowed.append((sentence, parts))
    return todo, windowed


def _as_sentences(inputs) -> list[Sentence]:
    if isinstance(inputs, (str, Sentence)):
        inputs = [inputs]
    if isinstance(inputs, (bytes, bytearray, Mapping)):
        raise TypeError(f"predict expects str, Sentence or a list of them, not {type(inputs).__name__}")
    try:
        items = list(inputs)
    except TypeError:
        raise TypeError(f"predict expects str, Sentence or a list of them, not {type(inputs).__name__}") from None
    out = []
    for i, item in enumerate(items):
        if isinstance(item, Sentence):
            out.append(item)
        elif isinstance(item, str):
            out.append(Sentence(item))
        else:
            raise TypeError(f"input {i} is a {type(item).__name__}: expected str or Sentence")
    return out


def _clear_embeddings(sentence: Sentence) -> None:
    for token in sentence:
        token._embeddings = {}


def _store_on_cpu(sentences: list[Sentence]) -> None:
    """Flair's store_embeddings(..., 'cpu'): every token vector moved to the host and kept."""
    for sentence in sentences:
        for token in sentence:
            for name, vector in token._embeddings.items():
                token._embeddings[name] = vector.cpu()  # a device-to-host copy on a GPU
