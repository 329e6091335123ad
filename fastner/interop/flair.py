"""Run Flair 0.15 SequenceTaggers in fastner: convert the model, weight for weight.

`from_flair(tagger)` maps an in-memory `flair.models.SequenceTagger` onto `fastner.SequenceTagger`:

- embeddings: `WordEmbeddings` (the `embedding` table and the `vocab` word -> row dict; Flair's row
  `len(vocab)` is the unknown-word row and must be zero) and `FlairEmbeddings` (the LanguageModel's character
  Dictionary, `encoder`, `rnn`, optional `proj`, `decoder`), alone or in (nested) `StackedEmbeddings`, in
  any order. fastner keeps Flair's embedding names, so both concatenate in the same sorted-name order;
- `embedding2nn` (reprojection), the bidirectional `rnn` (LSTM, any number of layers), `linear`, and the
  CRF's `crf.transitions` ([to, from], as in fastner), with the tag dictionary in Flair's order.

Whatever fastner cannot run exactly (another embedding class, GRU/RNN, `use_rnn=False`, BIO tags,
token-label taggers, lower-casing or untokenized LMs, a non-zero unknown-word vector...) raises
`UnsupportedFlairModelError` listing every problem found: nothing is silently dropped or approximated.
Flair's dropout layers are identity at inference and trained initial RNN states are unused by Flair
0.15's forward pass, so neither has a counterpart here.

Flair is imported lazily, inside the functions: importing this module never needs it.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import torch
from torch import nn

from fastner.embeddings.charlm import START_MARKER, UNKNOWN, CharLM, CharLMEmbeddings
from fastner.embeddings.words import WordEmbeddings
from fastner.tagger import START_TAG, STOP_TAG, SequenceTagger

FLAIR_SERIES = "0.15"  # the Flair release series whose behaviour fastner reproduces (tokenizer, spans)
_BIOES_PREFIXES = ("S-", "B-", "E-", "I-")
_NON_SPAN_TAGS = ("O", START_TAG, STOP_TAG, UNKNOWN)


class FlairNotInstalledError(ImportError):
    """Flair (or a part of it) could not be imported."""


class UnsupportedFlairModelError(ValueError):
    """The Flair model uses something fastner does not run; `problems` lists each one."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__("cannot convert this Flair model to fastner:\n  - " + "\n  - ".join(self.problems))


class UntrustedPickleError(PermissionError):
    """A Flair `.pt` file is a pickle: loading it runs code from the file, so it needs explicit consent."""


def _flair() -> SimpleNamespace:
    """Flair's classes, imported now (lazily); checks that the installed Flair is the supported series."""
    try:
        import flair
        from flair.embeddings import FlairEmbeddings, StackedEmbeddings
        from flair.embeddings import WordEmbeddings as FlairWordEmbeddings
        from flair.file_utils import load_torch_state
        from flair.models import LanguageModel
        from flair.models import SequenceTagger as FlairSequenceTagger
    except ImportError as err:
        raise FlairNotInstalledError(
            f"converting Flair models needs flair {FLAIR_SERIES}.x installed ({err}); "
            "install it with: pip install 'flair==0.15.1' gensim") from err
    version = getattr(flair, "__version__", "unknown")
    if not str(version).startswith(FLAIR_SERIES + "."):
        raise FlairNotInstalledError(
            f"flair {version} is installed, but fastner converts models as Flair {FLAIR_SERIES}.x runs them "
            f"(tokenizer, embeddings, spans): install flair=={FLAIR_SERIES}.1")
    return SimpleNamespace(SequenceTagger=FlairSequenceTagger, WordEmbeddings=FlairWordEmbeddings,
                           FlairEmbeddings=FlairEmbeddings, StackedEmbeddings=StackedEmbeddings,
                           LanguageModel=LanguageModel, load_torch_state=load_torch_state, version=version)


def _cls(obj: Any) -> str:
    return f"{type(obj).__module__}.{type(obj).__qualname__}"


def _tensor(t: torch.Tensor) -> torch.Tensor:
    """A float32 CPU copy, detached from Flair's module."""
    return t.detach().to(device="cpu", dtype=torch.float32).clone()


# --- Embeddings ------------------------------------------------------------------------------------------

def _leaves(embeddings, f: SimpleNamespace) -> list:
    """The token embeddings of a (possibly nested) StackedEmbeddings, in stack order."""
    if type(embeddings) is f.StackedEmbeddings:
        return [leaf for e in embeddings.embeddings for leaf in _leaves(e, f)]
    return [embeddings]


def _words(emb, problems: list[str]) -> WordEmbeddings | None:
    """Flair 0.15's WordEmbeddings: `embedding` (V + 1, D) and `vocab` word -> row; row len(vocab) = unknown."""
    where = f"WordEmbeddings {emb.name!r}"
    before = len(problems)
    if getattr(emb, "field", None) is not None:
        problems.append(f"{where} embeds the label {emb.field!r} instead of the token text (field=...): "
                        "fastner embeds the token text only")
    if getattr(emb, "stable", False) or getattr(emb, "layer_norm", None) is not None:
        problems.append(f"{where} uses stable=True (a LayerNorm on the vectors), which fastner does not have")
    vocab = getattr(emb, "vocab", None)
    table = getattr(emb, "embedding", None)
    if not isinstance(vocab, dict) or not isinstance(table, nn.Embedding):
        problems.append(f"{where} has no `vocab` dict and `embedding` table (not a Flair 0.15 WordEmbeddings?)")
        return None
    weight = table.weight.detach().cpu()
    rows, unknown = weight.shape[0], len(vocab)
    if not all(isinstance(w, str) and isinstance(i, int) and 0 <= i < rows for w, i in vocab.items()):
        problems.append(f"{where}: its vocabulary must map words (str) to rows of its {rows}-row table")
    if unknown >= rows:
        problems.append(f"{where}: the table has {rows} rows for {unknown} words, so Flair's unknown-word row "
                        f"{unknown} is missing")
    elif bool(weight[unknown].any()):
        problems.append(f"{where}: the unknown-word vector (row {unknown}) is not zero (fine-tuned?); fastner "
                        "gives unknown words a zero vector")
    if len(problems) > before:
        return None
    words = sorted(vocab, key=vocab.__getitem__)
    index = torch.tensor([vocab[w] for w in words], dtype=torch.long)
    vectors = weight.index_select(0, index).to(torch.float32).numpy()  # (V, D), row i = vector of words[i]
    return WordEmbeddings(words, np.ascontiguousarray(vectors), name=emb.name)


def _chars(dictionary, where: str, problems: list[str]) -> list[str] | None:
    """The LM's character list from Flair's Dictionary (idx2item of UTF-8 bytes, item 0 = '<unk>')."""
    items = getattr(dictionary, "idx2item", None)
    if not isinstance(items, list) or not items:
        problems.append(f"{where}: its character dictionary is empty or not a flair.data.Dictionary")
        return None
    try:
        chars = [item.decode("utf-8") for item in items]
    except (AttributeError, UnicodeDecodeError) as err:
        problems.append(f"{where}: its character dictionary holds an item that is not UTF-8 bytes ({err})")
        return None
    if chars[0] != UNKNOWN:
        problems.append(f"{where}: item 0 of its character dictionary is {chars[0]!r}, not {UNKNOWN!r}; Flair "
                        f"reads unknown characters as item 0 and fastner needs that item to be {UNKNOWN!r}")
    if dictionary.item2idx != {item: i for i, item in enumerate(items)}:
        problems.append(f"{where}: its character dictionary's item2idx and idx2item disagree")
    cached = dictionary.__dict__.get("item2idx_not_encoded")  # what Flair's get_idx_for_items really reads
    if cached is not None:  # a defaultdict(int): unknown characters looked up so far were added with index 0
        index = {c: i for i, c in enumerate(chars)}
        if any(cached.get(c) != i for c, i in index.items()) or any(
                i != 0 for c, i in cached.items() if c not in index):
            problems.append(f"{where}: its character dictionary changed after Flair cached its lookup table")
    return chars


def _check_lstm(rnn, where: str, problems: list[str], *, bidirectional: bool, batch_first: bool) -> bool:
    if type(rnn) is not nn.LSTM:
        problems.append(f"{where} is a {_cls(rnn)}: fastner runs torch.nn.LSTM only")
        return False
    ok = True
    for attr, want, why in (("bidirectional", bidirectional, "direction"), ("batch_first", batch_first, "layout"),
                            ("bias", True, "biases"), ("proj_size", 0, "LSTM projection (proj_size)")):
        if getattr(rnn, attr) != want:
            problems.append(f"{where} has {attr}={getattr(rnn, attr)!r}: fastner's LSTM has {attr}={want!r} ({why})")
            ok = False
    return ok


def _charlm(emb, f: SimpleNamespace, problems: list[str]) -> CharLMEmbeddings | None:
    """Flair 0.15's FlairEmbeddings with its LanguageModel."""
    where = f"FlairEmbeddings {emb.name!r}"
    before = len(problems)
    if not getattr(emb, "with_whitespace", True):
        problems.append(f"{where} has with_whitespace=False (state at the word's last character): fastner reads "
                        "the state at the space after the word (Flair's default)")
    if not getattr(emb, "tokenized_lm", True):
        problems.append(f"{where} has tokenized_lm=False (the LM reads the untokenized text): fastner's LMs read "
                        "the tokenized string (Flair's default)")
    if getattr(emb, "is_lower", False):
        problems.append(f"{where} has is_lower=True (lower-cased LM input), which fastner does not implement")
    chars_per_chunk = getattr(emb, "chars_per_chunk", 512)
    if not isinstance(chars_per_chunk, int) or isinstance(chars_per_chunk, bool) or chars_per_chunk < 1:
        problems.append(f"{where} has chars_per_chunk={chars_per_chunk!r}: expected a positive int")
    lm = getattr(emb, "lm", None)
    if type(lm) is not f.LanguageModel:
        problems.append(f"{where} holds a {_cls(lm)}, not a flair.models.LanguageModel")
        return None
    delimiter = lm.document_delimiter if "document_delimiter" in lm.__dict__ else "\n"  # Flair's start marker
    if delimiter != START_MARKER:
        problems.append(f"{where}: its LM's document_delimiter is {delimiter!r}; fastner starts every LM string "
                        f"with {START_MARKER!r}")
    if emb.is_forward_lm != lm.is_forward_lm:
        problems.append(f"{where}: is_forward_lm={emb.is_forward_lm} but its LM has is_forward_lm={lm.is_forward_lm}")
    rnn = lm.rnn
    lstm_ok = _check_lstm(rnn, f"{where}: its LM's recurrent layer ({getattr(lm, 'recurrent_type', 'LSTM')})",
                          problems, bidirectional=False, batch_first=False)
    if lstm_ok and rnn.input_size != lm.encoder.embedding_dim:
        problems.append(f"{where}: LM LSTM input {rnn.input_size} != encoder size {lm.encoder.embedding_dim}")
    chars = _chars(lm.dictionary, where, problems)
    if chars is not None and lm.encoder.num_embeddings != len(chars):
        problems.append(f"{where}: its LM encoder has {lm.encoder.num_embeddings} rows for a dictionary of "
                        f"{len(chars)} characters")
    nout = None
    if lm.proj is not None:
        proj = lm.proj
        if type(proj) is not nn.Linear or proj.bias is None or proj.in_features != rnn.hidden_size:
            problems.append(f"{where}: its LM projection is not a Linear({rnn.hidden_size}, nout) with bias")
        else:
            nout = proj.out_features
    out_dim = nout or rnn.hidden_size
    decoder = getattr(lm, "decoder", None)
    if decoder is not None and (type(decoder) is not nn.Linear or decoder.bias is None
                                or tuple(decoder.weight.shape) != (lm.encoder.num_embeddings, out_dim)):
        problems.append(f"{where}: its LM decoder is not a Linear({out_dim}, {lm.encoder.num_embeddings}) with bias")
    if emb.embedding_length != out_dim:
        problems.append(f"{where}: embedding_length {emb.embedding_length} != LM output size {out_dim}")
    if len(problems) > before:
        return None
    fast_lm = CharLM(chars, lm.is_forward_lm, rnn.hidden_size, rnn.num_layers, lm.encoder.embedding_dim, nout)
    source = lm.state_dict()
    state = {}
    for key, target in fast_lm.state_dict().items():
        if key.startswith("decoder.") and decoder is None:  # loaded without its decoder: never read at inference
            state[key] = torch.zeros_like(target)
        else:
            state[key] = _tensor(source[key])
    fast_lm.load_state_dict(state, strict=True)
    return CharLMEmbeddings(fast_lm, emb.name, chars_per_chunk)


# --- The tagger ------------------------------------------------------------------------------------------

def _check_tags(tagger, tags: list[str], problems: list[str]) -> None:
    tag_format = getattr(tagger, "tag_format", "BIOES")
    if tag_format != "BIOES":
        problems.append(f"tag_format={tag_format!r}: fastner decodes BIOES tags only")
    if not getattr(tagger, "predict_spans", False):
        problems.append("the tagger predicts token labels, not spans (predict_spans=False): fastner predicts "
                        "BIOES entity spans")
    bad = [t for t in tags if t not in _NON_SPAN_TAGS and not (t[:2] in _BIOES_PREFIXES and len(t) > 2)]
    if bad:
        problems.append(f"tags that are not BIOES: {bad[:8]}{' ...' if len(bad) > 8 else ''}")
    if len(set(tags)) != len(tags):
        problems.append("the tag dictionary holds duplicate tags")
    if tagger.use_crf:
        missing = [t for t in (START_TAG, STOP_TAG) if t not in tags]
        if missing:
            problems.append(f"the tagger uses a CRF but its tag dictionary lacks {missing}")
        crf = getattr(tagger, "crf", None)
        if crf is None or tuple(crf.transitions.shape) != (len(tags), len(tags)):
            problems.append(f"the CRF transitions are not a ({len(tags)}, {len(tags)}) matrix")


def _check_layers(tagger, dim: int, tags: list[str], problems: list[str]) -> None:
    if not getattr(tagger, "use_rnn", True):
        problems.append("use_rnn=False (a linear layer directly on the embeddings): fastner's tagger always has "
                        "a BiLSTM")
        return
    rnn_type = getattr(tagger, "rnn_type", "LSTM")
    if rnn_type != "LSTM":
        problems.append(f"rnn_type={rnn_type!r}: fastner runs a bidirectional LSTM only")
        return
    if not _check_lstm(tagger.rnn, "the tagger's RNN", problems, bidirectional=True, batch_first=True):
        return
    if tagger.rnn.input_size != dim:
        problems.append(f"the tagger's LSTM takes {tagger.rnn.input_size} inputs but the embeddings give {dim}")
    if tagger.reproject_embeddings:
        e2n = getattr(tagger, "embedding2nn", None)
        if type(e2n) is not nn.Linear or e2n.bias is None or tuple(e2n.weight.shape) != (dim, dim):
            problems.append(f"the reprojection (embedding2nn) is not a Linear({dim}, {dim}) with bias")
    linear = tagger.linear
    if type(linear) is not nn.Linear or linear.bias is None or tuple(linear.weight.shape) != (
            len(tags), 2 * tagger.rnn.hidden_size):
        problems.append(f"the output layer (linear) is not a Linear({2 * tagger.rnn.hidden_size}, {len(tags)}) "
                        "with bias")


def from_flair(tagger) -> SequenceTagger:
    """A fastner SequenceTagger that tags exactly as the given Flair 0.15 SequenceTagger (in eval mode) does.

    Raises `UnsupportedFlairModelError` (listing every problem) for anything fastner cannot run exactly, and
    `FlairNotInstalledError` when flair 0.15.x cannot be imported. The Flair model is left untouched.
    """
    f = _flair()
    if type(tagger) is not f.SequenceTagger:
        raise UnsupportedFlairModelError([
            f"expected a flair.models.SequenceTagger, got a {_cls(tagger)} (subclasses change the forward pass)"])
    problems: list[str] = []
    tags = tagger.label_dictionary.get_items()
    _check_tags(tagger, tags, problems)

    leaves = _leaves(tagger.embeddings, f)
    names = [leaf.name for leaf in leaves]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        problems.append(f"several embeddings share the name(s) {duplicates}: Flair would mix their vectors up")
    elif set(names) != set(tagger.embeddings.get_names()):
        problems.append(f"the embedding names {names} differ from the stack's get_names() "
                        f"{tagger.embeddings.get_names()}")
    embeddings: list[WordEmbeddings | CharLMEmbeddings] = []
    with torch.random.fork_rng(devices=[]):  # building modules draws random init weights: keep the caller's RNG
        for leaf in leaves:
            if type(leaf) is f.WordEmbeddings:
                converted = _words(leaf, problems)
            elif type(leaf) is f.FlairEmbeddings:
                converted = _charlm(leaf, f, problems)
            else:
                problems.append(f"embedding {getattr(leaf, 'name', '?')!r} is a {_cls(leaf)}: fastner runs "
                                "flair.embeddings.WordEmbeddings and FlairEmbeddings only")
                converted = None
            if converted is not None:
                embeddings.append(converted)
        dim = tagger.embeddings.embedding_length
        if not problems and sum(e.dim for e in embeddings) != dim:
            problems.append(f"the embeddings give {sum(e.dim for e in embeddings)} values per token, Flair's "
                            f"stack says {dim}")
        _check_layers(tagger, dim, tags, problems)
        if problems:
            raise UnsupportedFlairModelError(problems)

        rnn = tagger.rnn
        out = SequenceTagger(embeddings, tags, rnn.hidden_size, rnn.num_layers, use_crf=bool(tagger.use_crf),
                             reproject=bool(tagger.reproject_embeddings))
    if out.tags != tags:  # fastner keeps a CRF tag list as given when it holds START and STOP
        raise AssertionError(f"tag order changed in conversion: {out.tags} != {tags}")
    pairs = [(out.rnn, rnn), (out.linear, tagger.linear)]
    if out.embedding2nn is not None:
        pairs.append((out.embedding2nn, tagger.embedding2nn))
    for dst, src in pairs:
        dst.load_state_dict({k: _tensor(v) for k, v in src.state_dict().items()}, strict=True)
    if out.transitions is not None:
        with torch.no_grad():
            out.transitions.copy_(_tensor(tagger.crf.transitions))  # both [to, from]
    return out.eval()


def load_flair_file(path: str | Path, trust_pickle: bool = False) -> SequenceTagger:
    """Load a Flair SequenceTagger saved with `tagger.save(...)` (a `.pt` pickle) and convert it.

    Unpickling runs code from the file, so this refuses unless `trust_pickle=True`: only pass it for files
    you trust. Nothing is downloaded: `path` must be an existing local file.
    """
    if not trust_pickle:
        raise UntrustedPickleError(
            f"{path}: a Flair model file is a Python pickle, and loading it executes code from the file. Pass "
            "trust_pickle=True (CLI: --trust-pickle) only for a file from a source you trust.")
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such Flair model file (fastner never downloads models)")
    f = _flair()
    state = f.load_torch_state(str(path))  # torch.load(weights_only=False): this is the pickle
    if not isinstance(state, dict) or "state_dict" not in state:
        raise UnsupportedFlairModelError([f"{path} is not a saved Flair model (no state_dict in it)"])
    cls_name = state.get("__cls__")
    if cls_name not in (None, "SequenceTagger"):
        raise UnsupportedFlairModelError([f"{path} holds a Flair {cls_name}, not a SequenceTagger"])
    tagger = f.SequenceTagger.load(state)  # a dict: Flair fetches nothing
    return from_flair(tagger)
