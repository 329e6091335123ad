"""Profiles of one configuration, separate from timing runs: a cProfile `.prof` (open it with snakeviz),
its top functions as JSON (for the reports), and a line_profiler report of the hot functions."""

from __future__ import annotations

import cProfile
import io
import json
import pstats
from pathlib import Path

from fastner import decode, tagger, text
from fastner.embeddings import charlm, stack, words
from fastner.perf.setup import BenchSetup
from fastner.switches import Switches

HOT_FUNCTIONS = [
    decode.viterbi_torch_loop, decode.viterbi_numpy_tile, decode.viterbi_numpy_broadcast, decode.viterbi_batched,
    decode.argmax_per_token, decode.argmax_vectorized, decode.Decoder.__call__,
    words.WordEmbeddings.row, words.WordEmbeddings.embed_tokens, words.WordEmbeddings.embed_batch,
    charlm.CharLMEmbeddings.representation, charlm.CharLMEmbeddings.embed_tokens,
    charlm.CharLMEmbeddings.embed_batch, charlm.CharLMEmbeddings._shrunk_states,
    stack.per_token_cat, stack.per_column, stack.single_cat, stack.Packing.__init__,
    tagger.SequenceTagger._features_attached, tagger.SequenceTagger._features_gathered, tagger.SequenceTagger.emissions,
    tagger.SequenceTagger.predict, text.Sentence.set_tags,
]


def top_functions(stats: pstats.Stats, n: int = 25) -> list[dict]:
    """The n functions with the most own time, as plain dicts."""
    total = sum(v[2] for v in stats.stats.values()) or 1.0
    rows = []
    for (filename, line, name), (_, ncalls, tottime, cumtime, _) in stats.stats.items():
        where = name if filename == "~" else f"{Path(filename).name}:{line}({name})"
        rows.append({"function": where, "ncalls": ncalls, "tottime": tottime, "cumtime": cumtime,
                     "share": tottime / total})
    rows.sort(key=lambda r: (-r["tottime"], r["function"]))
    return rows[:n]


def profile_config(setup: BenchSetup, switches: Switches, out_dir: Path, name: str) -> dict[str, Path]:
    """Write `name.prof`, `name-top.json` and `name-lines.txt` under `out_dir`; return their paths."""
    from line_profiler import LineProfiler

    out_dir.mkdir(parents=True, exist_ok=True)
    setup.predict(switches)  # warm-up, outside the profiles
    profiler = cProfile.Profile()
    profiler.runcall(setup.predict, switches)
    prof_path = out_dir / f"{name}.prof"
    profiler.dump_stats(prof_path)
    stats = pstats.Stats(profiler)
    top = {"name": name, "switches": switches.to_dict(), "total_seconds": stats.total_tt,
           "n_tokens": setup.n_tokens, "top": top_functions(stats)}
    top_path = out_dir / f"{name}-top.json"
    top_path.write_text(json.dumps(top, indent=1), encoding="utf-8")

    lines = LineProfiler(*HOT_FUNCTIONS)
    lines.runcall(setup.predict, switches)
    buffer = io.StringIO()
    lines.print_stats(stream=buffer, output_unit=1e-3, stripzeros=True)
    lines_path = out_dir / f"{name}-lines.txt"
    lines_path.write_text(buffer.getvalue(), encoding="utf-8")
    return {"prof": prof_path, "top": top_path, "lines": lines_path}
