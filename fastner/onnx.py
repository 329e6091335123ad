"""ONNX export of the whole tagger network, and `OnnxTagger`, which tags with ONNX Runtime.

One graph from character ids and word rows to emissions: both character LMs (character embedding, LSTM
layers as ONNX `LSTM` ops with `sequence_lens`, the token-state gather, the optional projection), the word
vectors, the concatenation in Flair's order (sorted embedding names), the reprojection folded into the
BiLSTM's input weights (`fold_reprojection`), the BiLSTM (`LSTM` ops, both directions, `sequence_lens`) and
the output linear. Batch, character and token axes are dynamic. Outside the graph, and shared with
`SequenceTagger.predict`: tokenization (`fastner.text`), character indexing and token positions
(`fastner.embeddings.charlm`), word lookups with Flair's fallbacks (`fastner.embeddings.words`) and the CRF
Viterbi (`fastner.decode`).

Everything `predict` needs (tags, CRF transitions, character dictionaries, vocabulary) travels inside the
.onnx file as JSON under the metadata key "fastner": one artifact, and loading it runs no code.

Graph inputs, for a batch of B sentences with N tokens in all (T the longest sentence, C_i the longest LM
string of LM i): `chars_i` (C_i, B) int64, `char_lens_i` (B,) int32, `token_pos_i` (N,) int64 (flat index
c * B + b of each token's state), `word_rows_k` (N,) int64 (rows of word table k, V = unknown),
`token_grid` (T, B) int64 (the token of each slot, 0 in padding), `sentence_lens` (B,) int32.
Output: `emissions` (B, T, K) float32.

Needs the `onnx` extra (`pip install 'fastner[onnx]'`: onnx, onnxruntime); `import fastner` never loads them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from fastner.decode import Decoder
from fastner.embeddings.charlm import CharLM, CharLMEmbeddings, char_grid, token_positions
from fastner.embeddings.words import WordEmbeddings
from fastner.switches import Switches
from fastner.text import Sentence

FORMAT, VERSION, METADATA_KEY = "fastner-onnx", 1, "fastner"
OPSET = 17
GATES = [0, 3, 1, 2]  # PyTorch's LSTM gate blocks (i, f, g, o) in ONNX's order (i, o, f, c)
WORD_ROW_CACHE = 10_000  # the `fastest` preset's word_vec_cache_size


class OnnxModelError(ValueError):
    """An .onnx file that is not a fastner export (names the file and the problem)."""

    def __init__(self, path, problem: str) -> None:
        super().__init__(f"{path}: {problem}")


def _require(module: str):
    try:
        return __import__(module)
    except ImportError:
        raise ImportError(f"{module} is not installed: `pip install 'fastner[onnx]'` (onnx and onnxruntime)") from None


# --- export ----------------------------------------------------------------------------------------------

def export(tagger, path: str | Path) -> Path:
    """Write `tagger` (a fastner SequenceTagger) as one .onnx file at `path`; returns the path."""
    onnx = _require("onnx")
    from onnx import TensorProto, helper, numpy_helper

    g = _GraphBuilder(numpy_helper)
    lms = [e for e in tagger.embeddings if isinstance(e, CharLMEmbeddings)]
    words = [e for e in tagger.embeddings if isinstance(e, WordEmbeddings)]
    inputs = []
    parts: dict[str, str] = {}  # embedding name -> (N, D_i) tensor name
    for i, emb in enumerate(lms):
        chars, lens, pos = f"chars_{i}", f"char_lens_{i}", f"token_pos_{i}"
        inputs += [helper.make_tensor_value_info(chars, TensorProto.INT64, [f"C{i}", "B"]),
                   helper.make_tensor_value_info(lens, TensorProto.INT32, ["B"]),
                   helper.make_tensor_value_info(pos, TensorProto.INT64, ["N"])]
        parts[emb.name] = _char_lm(g, emb.lm, f"lm{i}", chars, lens, pos)
    for k, emb in enumerate(words):
        inputs.append(helper.make_tensor_value_info(f"word_rows_{k}", TensorProto.INT64, ["N"]))
        table = np.concatenate([emb.vectors, np.zeros((1, emb.dim), np.float32)])  # (V+1, Dw): row V unknown
        parts[emb.name] = g.node("Gather", [g.const(f"words{k}.table", table), f"word_rows_{k}"], axis=0)  # (N, Dw)
    names = [e.name for e in tagger.embeddings]
    x = g.node("Concat", [parts[names[i]] for i in tagger.concat], axis=1)  # (N, D), Flair's order
    inputs += [helper.make_tensor_value_info("token_grid", TensorProto.INT64, ["T", "B"]),
               helper.make_tensor_value_info("sentence_lens", TensorProto.INT32, ["B"])]
    h = g.node("Gather", [x, "token_grid"], axis=0)  # (T, B, D); padding slots read token 0, masked by lengths
    rnn = tagger.rnn if tagger.embedding2nn is None else tagger.folded_rnn()  # reprojection folded in
    for layer in range(rnn.num_layers):
        w, r, b = _lstm_weights(rnn, layer, bidirectional=True)
        y = g.node("LSTM", [h, g.const(f"rnn.W{layer}", w), g.const(f"rnn.R{layer}", r), g.const(f"rnn.B{layer}", b),
                            "sentence_lens"], name=f"bilstm.layer{layer}", hidden_size=rnn.hidden_size,
                   direction="bidirectional")  # (T, 2, B, H)
        h = g.node("Transpose", [y], perm=[0, 2, 1, 3])  # (T, B, 2, H)
        h = g.node("Reshape", [h, g.const(f"rnn.shape{layer}", np.array([0, 0, -1], np.int64))])  # (T, B, 2H)
    weight = tagger.linear.weight.detach().float().numpy().T  # (2H, K)
    h = g.node("MatMul", [h, g.const("linear.weight", np.ascontiguousarray(weight))])
    h = g.node("Add", [h, g.const("linear.bias", tagger.linear.bias.detach().float().numpy())])  # (T, B, K)
    g.node("Transpose", [h], perm=[1, 0, 2], output="emissions")  # (B, T, K)
    graph = helper.make_graph(g.nodes, "fastner-tagger", inputs,
                              [helper.make_tensor_value_info("emissions", TensorProto.FLOAT, ["B", "T", "K"])],
                              initializer=g.initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="fastner")
    helper.set_model_props(model, {METADATA_KEY: json.dumps(_metadata(tagger, lms, words))})
    onnx.checker.check_model(model, full_check=True)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    onnx.save_model(model, str(tmp))
    tmp.replace(path)
    return path


class _GraphBuilder:
    """Nodes and initializers of a graph under construction, with generated tensor names."""

    def __init__(self, numpy_helper) -> None:
        from onnx import helper

        self.helper, self.numpy_helper = helper, numpy_helper
        self.nodes, self.initializers, self._count = [], [], 0

    def const(self, name: str, array: np.ndarray) -> str:
        self.initializers.append(self.numpy_helper.from_array(np.ascontiguousarray(array), name))
        return name

    def node(self, op: str, inputs: list[str], output: str | None = None, name: str | None = None, **attrs) -> str:
        """Add one node; returns its output's name. `name` names the node (profiles show it)."""
        self._count += 1
        out = output or f"{op.lower()}_{self._count}"
        self.nodes.append(self.helper.make_node(op, inputs, [out], name=name or f"{op}_{self._count}", **attrs))
        return out


def _lstm_weights(rnn: torch.nn.LSTM, layer: int, bidirectional: bool) -> tuple[np.ndarray, ...]:
    """ONNX W (dirs, 4H, in), R (dirs, 4H, H), B (dirs, 8H) of one layer of a PyTorch LSTM, gates reordered."""
    hidden = rnn.hidden_size

    def gates(name: str) -> np.ndarray:  # (4H, ...) in ONNX's gate order
        t = getattr(rnn, name).detach().float().numpy()
        return np.concatenate([t[g * hidden:(g + 1) * hidden] for g in GATES])

    ws, rs, bs = [], [], []
    for suffix in ("", "_reverse") if bidirectional else ("",):
        ws.append(gates(f"weight_ih_l{layer}{suffix}"))
        rs.append(gates(f"weight_hh_l{layer}{suffix}"))
        bs.append(np.concatenate([gates(f"bias_ih_l{layer}{suffix}"), gates(f"bias_hh_l{layer}{suffix}")]))
    return np.stack(ws), np.stack(rs), np.stack(bs)


def _char_lm(g: _GraphBuilder, lm: CharLM, prefix: str, chars: str, lens: str, pos: str) -> str:
    """The LM's states at the tokens: (N, H or P)."""
    h = g.node("Gather", [g.const(f"{prefix}.encoder", lm.encoder.weight.detach().float().numpy()), chars],
               axis=0)  # (C, B, E)
    for layer in range(lm.nlayers):
        w, r, b = _lstm_weights(lm.rnn, layer, bidirectional=False)
        y = g.node("LSTM", [h, g.const(f"{prefix}.W{layer}", w), g.const(f"{prefix}.R{layer}", r),
                            g.const(f"{prefix}.B{layer}", b), lens], name=f"{prefix}.layer{layer}",
                   hidden_size=lm.hidden_size)  # (C, 1, B, H)
        h = g.node("Squeeze", [y, g.const(f"{prefix}.axis{layer}", np.array([1], np.int64))])  # (C, B, H)
    flat = g.node("Reshape", [h, g.const(f"{prefix}.flat", np.array([-1, lm.hidden_size], np.int64))])  # (C*B, H)
    states = g.node("Gather", [flat, pos], axis=0)  # (N, H)
    if lm.proj is not None:
        weight = np.ascontiguousarray(lm.proj.weight.detach().float().numpy().T)  # (H, P)
        states = g.node("MatMul", [states, g.const(f"{prefix}.proj.weight", weight)])
        states = g.node("Add", [states, g.const(f"{prefix}.proj.bias", lm.proj.bias.detach().float().numpy())])
    return states


def _metadata(tagger, lms: list[CharLMEmbeddings], words: list[WordEmbeddings]) -> dict:
    transitions = None if tagger.transitions is None else tagger.transitions.detach().float().tolist()
    return {"format": FORMAT, "version": VERSION, "tags": tagger.tags, "use_crf": tagger.use_crf,
            "producer": "fastner.onnx.export", "reprojection": "folded into the BiLSTM" if tagger.embedding2nn
            is not None else "none",
            "start": tagger.start, "stop": tagger.stop, "transitions": transitions,
            "char_lms": [{"name": e.name, "chars": e.lm.chars, "is_forward": e.lm.is_forward} for e in lms],
            "words": [{"name": e.name, "vocabulary": e.words} for e in words]}


# --- inference -------------------------------------------------------------------------------------------

@dataclass
class _Vocabularies:
    """What the host side needs from the metadata, as fastner's own objects (no weights)."""

    lms: list[CharLMEmbeddings]  # character dictionaries only: the LMs live on the meta device
    words: list[WordEmbeddings]  # vocabularies for Flair's lookup fallbacks; vectors of width 0


class OnnxTagger:
    """A tagger that runs an exported graph with ONNX Runtime; `predict` returns what `SequenceTagger.predict`
    does (fp32, `fastest`'s batching and decoder)."""

    def __init__(self, session, meta: dict, path: Path) -> None:
        self.session, self.path = session, path
        self.tags: list[str] = meta["tags"]
        self.use_crf: bool = meta["use_crf"]
        transitions = torch.tensor(meta["transitions"], dtype=torch.float32) if self.use_crf else None
        self._decoder = Decoder.prepare(transitions, meta["start"], meta["stop"], Switches.preset("fastest"))
        with torch.device("meta"):  # character dictionaries and indexing only; no weights are allocated
            lms = [CharLMEmbeddings(CharLM(lm["chars"], lm["is_forward"], 1), lm["name"]) for lm in meta["char_lms"]]
        words = [WordEmbeddings(w["vocabulary"], np.zeros((len(w["vocabulary"]), 0), np.float32), w["name"])
                 for w in meta["words"]]
        self._vocab = _Vocabularies(lms, words)

    @classmethod
    def load(cls, path: str | Path, threads: int | None = None, session_options=None) -> OnnxTagger:
        """Open an exported .onnx file (`threads`: ONNX Runtime intra-op threads, default torch's count)."""
        ort = _require("onnxruntime")
        path = Path(path)
        if not path.is_file():
            raise OnnxModelError(path, "no such file")
        options = session_options or ort.SessionOptions()
        if session_options is None:
            options.intra_op_num_threads = threads or torch.get_num_threads()
            options.inter_op_num_threads = 1
        try:
            session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        except Exception as err:  # onnxruntime raises its own exception types for unreadable graphs
            raise OnnxModelError(path, f"ONNX Runtime cannot load it ({type(err).__name__}: {err})") from None
        raw = session.get_modelmeta().custom_metadata_map.get(METADATA_KEY)
        if raw is None:
            raise OnnxModelError(path, f"no {METADATA_KEY!r} metadata: not exported by fastner.onnx.export")
        try:
            meta = json.loads(raw)
        except json.JSONDecodeError as err:
            raise OnnxModelError(path, f"its {METADATA_KEY!r} metadata is not JSON ({err})") from None
        _check_metadata(path, meta, {i.name for i in session.get_inputs()})
        return cls(session, meta, path)

    def predict(self, inputs, mini_batch_size: int = 32) -> list[Sentence]:
        """Tag `inputs` (str, Sentence, or a list of them); the Sentences in input order, as
        `SequenceTagger.predict` returns them (Sentences given are tagged in place), with its batching: sorted
        by characters, long sentences tagged in overlapping windows."""
        from fastner.tagger import WINDOW_CHARS, _as_sentences, _batches, _join_windows, _windows

        if not isinstance(mini_batch_size, int) or isinstance(mini_batch_size, bool) or mini_batch_size < 1:
            raise ValueError(f"mini_batch_size must be a positive int, got {mini_batch_size!r}")
        sentences = _as_sentences(inputs)
        todo, windowed = _windows([x for x in sentences if len(x)], WINDOW_CHARS)
        for x in sentences:
            x.spans = []
        todo.sort(key=lambda x: len(x.to_tokenized_string()), reverse=True)  # `fastest`'s sort_by='chars'
        for batch in _batches(todo, mini_batch_size, 3 * WINDOW_CHARS):
            emissions = self.session.run(["emissions"], self.feeds(batch))[0]  # (B, T, K)
            lengths = [len(x) for x in batch]
            for sentence, (ids, confs) in zip(batch, self._decoder(torch.from_numpy(emissions), lengths)):
                sentence.set_tags([self.tags[i] for i in ids], confs)
        _join_windows(windowed)
        return sentences

    def feeds(self, batch: list[Sentence]) -> dict[str, np.ndarray]:
        """The graph's inputs for a batch of non-empty sentences."""
        feeds: dict[str, np.ndarray] = {}
        b = len(batch)
        for i, emb in enumerate(self._vocab.lms):
            lm = emb.lm
            texts, strings = emb._strings(batch)
            lengths = np.array([len(x) for x in strings], dtype=np.int32)
            grid = char_grid(lm, strings)  # (C, B)
            pos = [p * b + k for k, (text, sentence) in enumerate(zip(texts, batch))
                   for p in token_positions(text, [len(t.text) for t in sentence], lm.is_forward)]
            feeds[f"chars_{i}"], feeds[f"char_lens_{i}"] = grid, lengths
            feeds[f"token_pos_{i}"] = np.asarray(pos, dtype=np.int64)
        words = [t.text for sentence in batch for t in sentence]
        for k, vocabulary in enumerate(self._vocab.words):
            row = vocabulary.cached("row", WORD_ROW_CACHE)
            feeds[f"word_rows_{k}"] = np.fromiter((row(w) for w in words), dtype=np.int64, count=len(words))
        lens = np.array([len(x) for x in batch], dtype=np.int32)
        first = np.concatenate([[0], np.cumsum(lens)[:-1]])
        steps = np.arange(int(lens.max()))[:, None]  # (T, 1)
        feeds["token_grid"] = np.where(steps < lens[None, :], first[None, :] + steps, 0).astype(np.int64)  # (T, B)
        feeds["sentence_lens"] = lens
        return feeds


def _check_metadata(path: Path, meta, graph_inputs: set[str]) -> None:
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise OnnxModelError(path, f"its metadata is not in the {FORMAT!r} format")
    if meta.get("version") != VERSION:
        raise OnnxModelError(path, f"{FORMAT} version {meta.get('version')!r}; this fastner reads version {VERSION}")
    tags = meta.get("tags")
    if not isinstance(tags, list) or not tags or not all(isinstance(t, str) for t in tags):
        raise OnnxModelError(path, "its tag list is missing or not a list of strings")
    if meta.get("use_crf"):
        trans = meta.get("transitions")
        if not (isinstance(trans, list) and len(trans) == len(tags) and all(len(r) == len(tags) for r in trans)):
            raise OnnxModelError(path, f"its CRF transitions are not a {len(tags)} x {len(tags)} matrix")
        if not all(isinstance(meta.get(k), int) and 0 <= meta[k] < len(tags) for k in ("start", "stop")):
            raise OnnxModelError(path, "its CRF start/stop tag indices are missing or out of range")
    lms, words = meta.get("char_lms"), meta.get("words")
    if not isinstance(lms, list) or not isinstance(words, list):
        raise OnnxModelError(path, "its embedding metadata (char_lms, words) is malformed")
    for w in words:
        vocabulary = w.get("vocabulary") if isinstance(w, dict) else None
        if not isinstance(vocabulary, list) or not all(isinstance(v, str) for v in vocabulary):
            raise OnnxModelError(path, "a word embedding's vocabulary is missing or malformed")
    for lm in lms:
        chars = lm.get("chars") if isinstance(lm, dict) else None
        if not isinstance(chars, list) or not chars or not all(isinstance(c, str) for c in chars):
            raise OnnxModelError(path, "a character LM's dictionary is missing or malformed")
    expected = {"token_grid", "sentence_lens"} | {f"word_rows_{k}" for k in range(len(words))} | {
        f"{k}_{i}" for i in range(len(lms)) for k in ("chars", "char_lens", "token_pos")}
    if expected != graph_inputs:
        raise OnnxModelError(path, f"graph inputs {sorted(graph_inputs)} do not match its metadata "
                                   f"(expected {sorted(expected)})")
