"""Every optimization of the tagger, as one switch each, in one frozen dataclass.

The default value of every field is Flair 0.4.3's behaviour (the `baseline` preset). Each field's
metadata carries `help` (what the switch changes) and `pr` (the upstream Flair pull request(s), or
"fastner" for our own). Nothing in fastner reads switches from globals: they are passed down.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any


def _switch(default: Any, choices: tuple | None, pr: str, help: str) -> Any:
    return field(default=default, metadata={"help": help, "pr": pr, "choices": choices})


@dataclass(frozen=True)
class Switches:
    """One inference configuration. All defaults = Flair 0.4.3 (`Switches.preset("baseline")`)."""

    viterbi_device: str = _switch(
        "model", ("model", "cpu"), "1038",
        "Where the CRF (Viterbi) is decoded: on the model's device, per sentence (0.4.3), or on the CPU after one "
        "device-to-host copy of the batch's features and one of the transitions per predict() call.")
    viterbi_impl: str = _switch(
        "torch_loop", ("torch_loop", "numpy_tile", "numpy_broadcast", "batched"), "1053 / fastner",
        "CRF Viterbi algorithm: 0.4.3's torch loop with per-token .item() syncs; a NumPy loop with an explicit "
        "np.tile copy and a per-step softmax; NumPy broadcasting with one vectorized softmax (#1053); or "
        "fastner's decoder over all sentences of the batch at once (one loop over time steps).")
    nocrf_vectorized: bool = _switch(
        False, None, "1068",
        "Without CRF: one softmax/max over the whole batch instead of a per-token loop with .item() calls.")
    clone_policy: str = _switch(
        "per_token", ("per_token", "per_sentence", "none"), "1074 / 1089 / 1095",
        "How character-LM states are kept on tokens: one clone() per token (0.4.3), one compact copy per "
        "sentence (the #1089 idea), or views into the LM output (what #1095 does in 'none' storage mode).")
    word_vec_cache_size: int = _switch(
        0, None, "1084",
        "Entries of the LRU cache owned by the word embedding (0 = off). With per-token embeddings it maps a "
        "word to its vector already on the model's device; with batch_build='gather' to its matrix row.")
    batch_build: str = _switch(
        "per_token_cat", ("per_token_cat", "per_column", "single_cat", "gather"), "1093 / 1130 / fastner",
        "How the (B, T, D) batch tensor is built: one cat per token plus a slice assignment per sentence "
        "(0.4.3); a stack per embedding column and sentence (#1093); one lazy cat for the whole batch "
        "(#1130); or fastner's gather: embeddings return (N, D_i) matrices and tokens never hold tensors.")
    eval_storage: str = _switch(
        "cpu", ("cpu", "none"), "1074",
        "What happens to token embeddings after a batch: moved to the CPU and kept ('cpu', the 0.4.3 "
        "evaluate() default that the article's timings ran with), or dropped ('none').")
    set_embedding_to: str = _switch(
        "always", ("always", "if_needed"), "1093 / 1112",
        "Token.set_embedding calls .to(device) on every vector (0.4.3) or only when the device differs.")
    zero_grad: bool = _switch(
        True, None, "1072",
        "0.4.3's forward() starts with self.zero_grad(), a walk over every parameter, even at inference.")
    char_indexing: str = _switch(
        "per_char", ("per_char", "vectorized"), "1145",
        "Characters to LM indices one Python call per character (UTF-8 encode + dict lookup), or one "
        "itemgetter over a decoded dictionary per string.")
    lm_chunk_padding: str = _switch(
        "batch", ("batch", "chunk"), "1145",
        "Pad every LM string to the batch's longest string (0.4.3), or each chunk only to its own longest.")
    lm_prefetch: bool = _switch(
        False, None, "1117",
        "Build and send every chunk's index tensor (non_blocking) before the first LSTM call, so copies "
        "overlap compute, instead of one blocking copy right before each chunk.")
    lm_single_detach: bool = _switch(
        False, None, "1132",
        "One detach() of the whole LM output instead of one per token.")
    lm_skip_decoder: bool = _switch(
        False, None, "flair v0.12",
        "Skip the LM's output decoder (a Linear over the whole character vocabulary for every character), "
        "whose result inference throws away.")
    lm_shrink: bool = _switch(
        False, None, "fastner",
        "Run the character LM on the characters present only: strings sorted by length and read in "
        "64-character steps, each step on the strings still running, carrying their hidden state; only the "
        "token states are kept (bounded memory). Requires batch_build='gather'.")
    grad_mode: str = _switch(
        "no_grad", ("no_grad", "inference_mode"), "fastner",
        "torch.no_grad() (Flair) or torch.inference_mode(), which also skips version counters and views' "
        "autograd metadata.")
    fold_reprojection: bool = _switch(
        False, None, "fastner",
        "Fold the reprojection Linear(D, D) into the first BiLSTM layer's input weights, once per model: "
        "W_ih (A x + a) + b_ih = (W_ih A) x + (W_ih a + b_ih), so no D x D product is computed per token.")
    sort_by: str = _switch(
        "tokens", ("tokens", "chars"), "fastner",
        "Order sentences into batches by token count (Flair) or by character count, so a batch's char-LM "
        "strings have similar lengths and little padding.")

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            choices = f.metadata["choices"]
            value = getattr(self, f.name)
            if choices is not None and value not in choices:
                raise ValueError(f"Switches.{f.name}={value!r}: expected one of {', '.join(choices)}")
        if not isinstance(self.word_vec_cache_size, int) or self.word_vec_cache_size < 0:
            raise ValueError(f"Switches.word_vec_cache_size={self.word_vec_cache_size!r}: expected an int >= 0")
        if self.viterbi_impl in ("numpy_tile", "numpy_broadcast") and self.viterbi_device != "cpu":
            raise ValueError(
                f"Switches.viterbi_impl={self.viterbi_impl!r} runs in NumPy, on the host: it needs "
                "Switches.viterbi_device='cpu'")
        if self.batch_build == "gather":
            attached = (("clone_policy", self.clone_policy), ("eval_storage", self.eval_storage))
            bad = [name for name, value in attached if value != "none"]
            if bad:
                raise ValueError(
                    "Switches.batch_build='gather' attaches no tensors to tokens, so "
                    + " and ".join(f"Switches.{name}" for name in bad) + " must be 'none'")
        if self.lm_shrink and self.batch_build != "gather":
            raise ValueError("Switches.lm_shrink=True gathers token states itself: "
                             "it needs Switches.batch_build='gather'")

    @classmethod
    def preset(cls, name: str) -> Switches:
        """`baseline` (Flair 0.4.3), `flair-0.4.4` (every 2019 change) or `fastest` (all of fastner)."""
        try:
            return cls(**PRESETS[name])
        except KeyError:
            raise ValueError(f"unknown preset {name!r}: expected one of {', '.join(PRESETS)}") from None

    def replace(self, **changes: Any) -> Switches:
        """A copy with some fields changed (validated)."""
        return dataclasses.replace(self, **changes)

    def diff(self, other: Switches | None = None) -> dict[str, Any]:
        """Fields whose value differs from `other` (default: the baseline)."""
        other = other or Switches()
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)
                if getattr(self, f.name) != getattr(other, f.name)}

    def inert(self, use_crf: bool | None = None, reproject: bool | None = None) -> dict[str, str]:
        """Fields whose code path the other switches (or the model, when `use_crf` or `reproject` is given)
        bypass, with the reason: their value changes nothing here."""
        out = {}
        if reproject is False:
            out["fold_reprojection"] = "the model has no reprojection layer"
        if use_crf is True:
            out["nocrf_vectorized"] = "the model decodes with a CRF"
        if use_crf is False:
            out["viterbi_device"] = out["viterbi_impl"] = "the model has no CRF"
        if self.batch_build == "gather":
            for name in ("clone_policy", "eval_storage", "set_embedding_to", "lm_single_detach"):
                out[name] = "batch_build='gather' attaches no tensors to tokens"
        if self.lm_shrink:
            for name in ("lm_chunk_padding", "lm_prefetch"):
                out[name] = "lm_shrink=True does not use Flair's chunked representation"
        if self.viterbi_impl.startswith("numpy"):
            out["viterbi_device"] = "the NumPy decoders always run on the host"
        return out

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def markdown_table(cls) -> str:
        """The switches table of the README: every field, its values, PR, and the presets' settings."""
        presets = {name: cls.preset(name) for name in ("flair-0.4.4", "fastest")}
        rows = ["| switch | values (baseline first) | upstream | flair-0.4.4 | fastest | what it changes |",
                "|---|---|---|---|---|---|"]
        for f in dataclasses.fields(cls):
            choices = f.metadata["choices"] or ((f.default, not f.default) if isinstance(f.default, bool) else None)
            values = ", ".join(f"`{c}`" for c in choices) if choices else f"int (`{f.default}` = off)"
            settings = " | ".join(f"`{getattr(p, f.name)}`" for p in presets.values())
            rows.append(f"| `{f.name}` | {values} | {f.metadata['pr']} | {settings} | {f.metadata['help']} |")
        return "\n".join(rows)


FLAIR_044: dict[str, Any] = {
    "viterbi_device": "cpu",
    "viterbi_impl": "numpy_broadcast",
    "nocrf_vectorized": True,
    "clone_policy": "none",
    "word_vec_cache_size": 10000,
    "batch_build": "single_cat",
    "eval_storage": "none",
    "set_embedding_to": "if_needed",
    "zero_grad": False,
    "char_indexing": "vectorized",
    "lm_chunk_padding": "chunk",
    "lm_prefetch": True,
    "lm_single_detach": True,
}

PRESETS: dict[str, dict[str, Any]] = {
    "baseline": {},
    "flair-0.4.4": FLAIR_044,
    "fastest": {
        **FLAIR_044,
        "viterbi_impl": "batched",
        "batch_build": "gather",
        "lm_skip_decoder": True,
        "lm_shrink": True,
        "grad_mode": "inference_mode",
        "sort_by": "chars",
        "fold_reprojection": True,
    },
}


if __name__ == "__main__":
    print(Switches.markdown_table())
