"""Head to head: Flair 0.15.1 `predict` against fastner on the same weights and the same text, interleaved.

A random-weight Flair tagger is built offline at a named size (word vectors in gensim KeyedVectors,
forward/backward character LMs, BiLSTM-CRF), converted with `fastner.interop.flair.from_flair`, and both
tag the pre-tokenized workload. Before any timing, fastner's spans and token tags must equal Flair's.
Each round times every system once, in a rotating order; the compute floor is timed in the same rounds.
Needs the `flair` extra (flair==0.15.1, gensim).
"""

from __future__ import annotations

import cProfile
import pstats
import tempfile
from pathlib import Path

import numpy as np
import torch

from fastner.perf.floor import prepare_floor
from fastner.perf.profile import top_functions
from fastner.perf.setup import environment, workload_vocab
from fastner.perf.timing import interleaved_rounds
from fastner.perf.workloads import load_workload
from fastner.reports import write_json_and_markdown
from fastner.switches import Switches
from fastner.synth.labels import LABELS
from fastner.tagger import DEFAULT_CHARS, SIZES
from fastner.text import Sentence

PROFILE_ROWS = 12
SYSTEMS = ("flair-0.15.1", "fastner flair-0.4.4", "fastner fastest", "floor (unpadded)", "floor (unpadded, folded)")


def build_flair_tagger(size: str, vocab: list[str], seed: int, directory: Path):
    """A Flair 0.15 SequenceTagger with random weights at `size`, built without any download."""
    import flair
    from flair.data import Dictionary
    from flair.embeddings import FlairEmbeddings, StackedEmbeddings, WordEmbeddings
    from flair.models import LanguageModel, SequenceTagger
    from gensim.models import KeyedVectors

    spec = SIZES[size]
    words = list(dict.fromkeys(vocab))[: spec.vocab_size]
    words += [f"w{i:06d}" for i in range(spec.vocab_size - len(words))]
    rng = np.random.default_rng(seed)
    kv = KeyedVectors(vector_size=spec.word_dim)
    kv.add_vectors(words, rng.standard_normal((len(words), spec.word_dim)).astype(np.float32))
    kv_path = directory / "word-vectors.kv"  # not a 2-letter name: Flair would take it for a language code
    kv.save(str(kv_path))
    torch.manual_seed(seed)  # the caller's RNG state is restored by run()
    chars = Dictionary(add_unk=True)
    for c in DEFAULT_CHARS[1:]:
        chars.add_item(c)
    lms = []
    for forward in (True, False):
        lm = LanguageModel(chars, is_forward_lm=forward, hidden_size=spec.char_hidden, nlayers=spec.char_layers,
                           embedding_size=spec.char_embedding)
        lms.append(FlairEmbeddings(lm))
        lm.eval()
    tags = Dictionary(add_unk=False)
    for t in LABELS:  # entity types: Flair adds O and the BIOES prefixes itself for span labels
        tags.add_item(t)
    tags.span_labels = True
    tagger = SequenceTagger(hidden_size=spec.hidden, embeddings=StackedEmbeddings([WordEmbeddings(str(kv_path)), *lms]),
                            tag_dictionary=tags, tag_type="ner", tag_format="BIOES", use_crf=True)
    tagger.to(flair.device)
    return tagger.eval()


def flair_tagger_from(tagger, directory: Path):
    """A Flair 0.15 SequenceTagger with the weights of a fastner `tagger` (word vectors, char LMs, CRF): what
    `from_flair` would convert back to it. The embedding names are kept, so Flair concatenates in the same
    order. The word vectors are written as gensim KeyedVectors under `directory`."""
    import flair
    from flair.data import Dictionary
    from flair.embeddings import FlairEmbeddings, StackedEmbeddings, WordEmbeddings
    from flair.models import LanguageModel, SequenceTagger
    from gensim.models import KeyedVectors

    from fastner.embeddings.charlm import CharLMEmbeddings

    leaves = []
    for k, emb in enumerate(tagger.embeddings):
        if isinstance(emb, CharLMEmbeddings):
            lm = emb.lm
            chars = Dictionary(add_unk=True)
            for c in lm.chars[1:]:
                chars.add_item(c)
            flair_lm = LanguageModel(chars, is_forward_lm=lm.is_forward, hidden_size=lm.hidden_size,
                                     nlayers=lm.nlayers, embedding_size=lm.embedding_size, nout=lm.nout)
            flair_lm.load_state_dict(lm.state_dict(), strict=True)
            leaf = FlairEmbeddings(flair_lm.eval(), chars_per_chunk=emb.chars_per_chunk)
        else:
            kv = KeyedVectors(vector_size=emb.dim)
            kv.add_vectors(emb.words, emb.vectors)
            kv_path = directory / f"word-vectors-{k}.kv"  # not a 2-letter name: Flair would take it for a language
            kv.save(str(kv_path))
            leaf = WordEmbeddings(str(kv_path))
        leaf.name = emb.name  # before stacking: Flair orders a token's vectors by these names
        leaves.append(leaf)
    tags = Dictionary(add_unk=False)
    for t in tagger.tag_types:
        tags.add_item(t)
    tags.span_labels = True
    out = SequenceTagger(hidden_size=tagger.hidden_size, embeddings=StackedEmbeddings(leaves), tag_dictionary=tags,
                         tag_type="ner", tag_format="BIOES", use_crf=tagger.use_crf, rnn_layers=tagger.rnn_layers,
                         reproject_embeddings=tagger.embedding2nn is not None)
    if out.label_dictionary.get_items() != tagger.tags:
        raise AssertionError(f"Flair's tags {out.label_dictionary.get_items()} differ from {tagger.tags}")
    pairs = [(out.rnn, tagger.rnn), (out.linear, tagger.linear)]
    if tagger.embedding2nn is not None:
        pairs.append((out.embedding2nn, tagger.embedding2nn))
    with torch.no_grad():
        for dst, src in pairs:
            dst.load_state_dict(src.state_dict(), strict=True)
        if tagger.use_crf:
            out.crf.transitions.copy_(tagger.transitions)  # both [to, from]
    out.to(flair.device)
    return out.eval()


def _flair_spans(sentences) -> list[list[tuple[int, int, str]]]:
    return [sorted((s.start_position, s.end_position, s.get_label("ner").value) for s in x.get_spans("ner"))
            for x in sentences]


def _fastner_spans(sentences: list[Sentence]) -> list[list[tuple[int, int, str]]]:
    return [sorted((s.start, s.end, s.label) for s in x.spans) for x in sentences]


def run(workload: str = "legal", size: str = "cpu", rounds: int = 5, batch_size: int = 32,
        limit: int | None = None, seed: int = 0) -> dict:
    """Measure, check, and return everything as a JSON-ready dict."""
    import flair.data

    from fastner.interop.flair import from_flair

    wl = load_workload(workload, limit)
    with tempfile.TemporaryDirectory() as tmp, torch.random.fork_rng(devices=[]):
        flair_tagger = build_flair_tagger(size, workload_vocab(wl), seed, Path(tmp))
        tagger = from_flair(flair_tagger)
    flair_sentences = [flair.data.Sentence(s) for s in wl.sentences]
    ours = [Sentence(s) for s in wl.sentences]
    n_tokens = sum(len(s) for s in ours)
    presets = {"fastner flair-0.4.4": Switches.preset("flair-0.4.4"), "fastner fastest": Switches.preset("fastest")}
    floors = {f"floor ({name})": prepare_floor(tagger, ours, batch_size, variant)
              for name, variant in (("unpadded", "unpadded"), ("unpadded, folded", "folded"))}

    def flair_predict():
        flair_tagger.predict(flair_sentences, mini_batch_size=batch_size)

    calls = {"flair-0.15.1": flair_predict, **floors}
    for name, switches in presets.items():
        calls[name] = lambda s=switches: tagger.predict(ours, batch_size, s)

    with torch.no_grad():  # checks first (they are the warm-up round too)
        flair_predict()
        want = _flair_spans(flair_sentences)
        checks = {}
        for name, switches in presets.items():
            tagger.predict(ours, batch_size, switches)
            got = _fastner_spans(ours)
            if got != want:
                bad = next(i for i, (g, w) in enumerate(zip(got, want)) if g != w)
                raise AssertionError(f"{name}: spans differ from Flair's on sentence {bad}: {got[bad]} != {want[bad]}")
            checks[name] = {"sentences": len(ours), "spans": sum(len(s) for s in got)}
        for floor in floors.values():
            floor()
        times = interleaved_rounds({name: calls[name] for name in SYSTEMS}, rounds)
        profiles = {name: _profile(calls[name]) for name in ("flair-0.15.1", "fastner fastest")}  # after timing
    stats = wl.stats(lambda text: [t.text for t in Sentence(text)])
    return {"kind": "head-to-head", "profiles": profiles,
            "workload": wl.name, "size": size, "batch_size": batch_size, "rounds": rounds,
            "limit": limit, "n_tokens": n_tokens, "workload_stats": stats, "checks": checks, "times": times,
            "environment": {**environment(torch.device("cpu")), "flair": flair.__version__}}


def _profile(call) -> dict:
    """cProfile of one call (a separate run, after the timed rounds): total and top functions by own time."""
    profiler = cProfile.Profile()
    profiler.runcall(call)
    stats = pstats.Stats(profiler)
    return {"total_seconds": stats.total_tt, "top": top_functions(stats, PROFILE_ROWS)}


def render(data: dict) -> str:
    """Markdown for one head-to-head JSON (deterministic for a given JSON)."""
    t, n = data["times"], data["n_tokens"]
    med = {k: float(np.median(v)) for k, v in t.items()}
    iqr = {k: float(np.subtract(*np.percentile(v, [75, 25]))) for k, v in t.items()}
    env, s = data["environment"], data["workload_stats"]
    checked = ", ".join(f"{k}: {v['spans']} spans" for k, v in data["checks"].items())
    lines = [f"# Head to head: Flair 0.15.1 vs fastner, `{data['workload']}` workload, `{data['size']}` model, CPU",
             "", "Generated by `fastner head-to-head` from the JSON beside it: do not edit by hand.", "",
             f"Same random weights (a Flair tagger converted with `from_flair`), same {s['n_sentences']} sentences "
             f"({_int(n)} tokens, {_int(s['n_chars'])} characters, pre-tokenized before timing), "
             f"`predict(mini_batch_size={data['batch_size']})`, {data['rounds']} interleaved rounds in rotating "
             f"order. Before timing, each fastner preset produced exactly Flair's spans "
             f"({checked}).", "",
             "| system | median s | IQR s | tokens/s | speed vs Flair 0.15.1 | multiple of the floor |",
             "|---|---|---|---|---|---|"]
    flair_median, floor = med["flair-0.15.1"], med["floor (unpadded)"]
    for name in (x for x in SYSTEMS if x in t):
        lines.append(f"| {name} | {med[name]:.3f} | {iqr[name]:.3f} | {_int(n / med[name])} | "
                     f"{flair_median / med[name]:.2f}x | {med[name] / floor:.2f}x |")
    lines += ["", f"Machine: {env['cpu_model']}, {env['cpu_count']} cores, {env['torch_threads']} torch threads; "
                  f"Python {env['python']}, torch {env['torch']}, numpy {env['numpy']}, flair {env['flair']}; "
                  f"fastner {env['git_commit']}.", "",
              "The floor is the bare LSTM and linear compute of the same batches (`fastner/perf/floor.py`), "
              "the reprojection included; multiples are of that floor. The folded floor is the same work with "
              "the reprojection folded into the BiLSTM's input weights, the arithmetic `fastest` really does "
              "(`fold_reprojection`): it is the floor fastest can approach. "
              "Targets from the issue: fastest at least 1.5x Flair 0.15.1 and within 1.15x of the floor.", ""]
    if data.get("profiles"):
        lines += ["## Where the time goes", "",
                  "One profiled run of each after the timed rounds (cProfile adds its own cost to every Python "
                  "call, so shares of Python-heavy code are inflated). `torch.lstm` and `linear` are the "
                  "compute; everything else is what fastner removed or shrank.", ""]
    for name, profile in data.get("profiles", {}).items():
        lines += [f"### {name}: top functions by own time (cProfile, {profile['total_seconds']:.2f} s profiled)",
                  "", "| function | calls | own s | share |", "|---|---|---|---|"]
        lines += [f"| `{f['function']}` | {f['ncalls']:,} | {f['tottime']:.3f} | {f['share']:.1%} |"
                  for f in profile["top"]]
        lines.append("")
    return "\n".join(lines)


def _int(x: float) -> str:
    return f"{x:,.0f}"


def stem(data: dict) -> str:
    return f"head-to-head-cpu-{data['size']}-{data['workload']}"


def write(data: dict, out_dir: Path) -> tuple[Path, Path]:
    return write_json_and_markdown(data, render(data), out_dir, stem(data))
