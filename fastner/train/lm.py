"""Training forward and backward character language models, and their files.

An LM reads exactly what the tagger will feed it: a sentence's tokenized string (tokens joined by single
spaces) between the start marker "\\n" and the end marker " ", reversed for a backward LM, from a zero
hidden state. Training predicts each next character of those strings (cross-entropy, Adam), in batches of
sentences of similar length; perplexity on held-out sentences is reported after every epoch.

Files: a directory with `config.json` (format `fastner-char-lm`) and `model.safetensors` (the CharLM's
state dict), loadable with `load_char_lm` and usable as a tagger's character embeddings.
"""

from __future__ import annotations

import json
import math
import os
import random
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import numpy as np
import torch
from safetensors import safe_open
from safetensors.torch import save_file
from segtok.segmenter import split_single

from fastner.embeddings.charlm import CharLM, char_grid, lm_string, token_positions
from fastner.progress import Progress
from fastner.tagger import DEFAULT_CHARS
from fastner.text import Sentence, clean_text

LM_FORMAT, LM_VERSION = "fastner-char-lm", 1
CONFIG, WEIGHTS = "config.json", "model.safetensors"
MAX_TRAIN_CHARS = 2000  # longer training strings are cut (the LSTM is causal: the prefix is still exact)


# --- corpus -----------------------------------------------------------------------------------------------

def tokenized_sentences(lines: Iterable[str]) -> list[str]:
    """Each line split into sentences (segtok) and tokenized like the tagger does: tokens joined by spaces."""
    out = []
    for line in lines:
        cleaned, _ = clean_text(line.strip())
        for sentence in split_single(cleaned):
            tokenized = Sentence(sentence).to_tokenized_string()
            if tokenized:
                out.append(tokenized)
    return out


def read_text(path) -> list[str]:
    """Tokenized sentences of a UTF-8 text file (errors name the file and line)."""
    path = Path(path)
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        raise ValueError(f"{path}:{line}: invalid UTF-8 (byte {data[err.start]:#04x})") from None
    sentences = tokenized_sentences(text.splitlines())
    if not sentences:
        raise ValueError(f"{path}: no text found")
    return sentences


def char_dictionary(sentences: Iterable[str], min_count: int = 2) -> list[str]:
    """fastner's default characters, then the corpus's other characters seen `min_count` times or more."""
    counts = Counter(c for s in sentences for c in s)
    known = set(DEFAULT_CHARS)
    extra = sorted((c for c, n in counts.items() if n >= min_count and c not in known), key=lambda c: (-counts[c], c))
    return [*DEFAULT_CHARS, *extra]


# --- differentiable token states ------------------------------------------------------------------------

def encode_strings(lm: CharLM, strings: Sequence[str]) -> tuple[torch.Tensor, np.ndarray]:
    """(C_max, B) int64 indices padded with the end marker (`char_grid`), and the lengths."""
    return torch.from_numpy(char_grid(lm, list(strings))), np.array([len(s) for s in strings], dtype=np.int64)


def token_states(lm: CharLM, token_lists: Sequence[Sequence[str]], device: torch.device) -> torch.Tensor:
    """(N, H or P) LM states of every token of the sentences, in sentence order, with gradients.

    The same numbers as `CharLMEmbeddings.embed_batch` (inference), computed in one padded LSTM call.
    """
    texts = [" ".join(tokens) for tokens in token_lists]
    strings = [lm_string(t, lm.is_forward) for t in texts]
    chars, _ = encode_strings(lm, strings)
    out, _ = lm.rnn(lm.encoder(chars.to(device)), lm.init_hidden(len(strings), device))  # (C, B, H)
    t_index, b_index = [], []
    for i, (text, tokens) in enumerate(zip(texts, token_lists)):
        positions = token_positions(text, [len(t) for t in tokens], lm.is_forward)
        t_index += positions
        b_index += [i] * len(positions)
    states = out[torch.tensor(t_index, device=device), torch.tensor(b_index, device=device)]  # (N, H)
    return lm.proj(states) if lm.proj is not None else states


# --- training -------------------------------------------------------------------------------------------

def _batches(lengths: np.ndarray, batch_chars: int, max_batch: int) -> list[np.ndarray]:
    """Indices grouped into batches of similar length: at most `batch_chars` padded characters each."""
    order = np.argsort(-lengths, kind="stable")
    batches, current, longest = [], [], 0
    for i in order:
        n = min(int(lengths[i]), MAX_TRAIN_CHARS)
        if current and (max(longest, n) * (len(current) + 1) > batch_chars or len(current) >= max_batch):
            batches.append(np.array(current))
            current, longest = [], 0
        current.append(int(i))
        longest = max(longest, n)
    if current:
        batches.append(np.array(current))
    return batches


def _batch_loss(lm: CharLM, strings: Sequence[str], device: torch.device, dropout: float,
                training: bool) -> tuple[torch.Tensor, int]:
    """Summed next-character cross-entropy of a batch, and the number of predicted characters."""
    strings = [s[:MAX_TRAIN_CHARS] for s in strings]
    chars, lengths = encode_strings(lm, strings)
    chars = chars.to(device)
    inputs, targets = chars[:-1], chars[1:]  # (C-1, B)
    x = lm.encoder(inputs)
    out, _ = lm.rnn(x, lm.init_hidden(len(strings), device))
    if lm.proj is not None:
        out = lm.proj(out)
    if training and dropout:
        out = torch.nn.functional.dropout(out, dropout)
    logits = lm.decoder(out)  # (C-1, B, V)
    mask = torch.from_numpy(np.arange(chars.shape[0] - 1)[:, None] < (lengths - 1)[None, :]).to(device)
    loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1),
                                             reduction="none").view_as(targets)
    return (loss * mask).sum(), int(mask.sum())


def perplexity(lm: CharLM, strings: Sequence[str], device: torch.device, batch_chars: int = 32000) -> float:
    """exp(mean next-character cross-entropy) over `strings` (already LM strings)."""
    if not strings:
        return float("nan")
    was_training = lm.training
    lm.eval()
    total, count = 0.0, 0
    lengths = np.array([len(s) for s in strings])
    with torch.no_grad():
        for batch in _batches(lengths, batch_chars, 256):
            loss, n = _batch_loss(lm, [strings[i] for i in batch], device, 0.0, False)
            total += float(loss)
            count += n
    lm.train(was_training)
    return math.exp(total / max(count, 1))


def train_char_lm(train: Sequence[str], dev: Sequence[str], is_forward: bool, *, hidden_size: int = 128,
                  nlayers: int = 1, embedding_size: int = 32, chars: list[str] | None = None, epochs: int = 2,
                  lr: float = 3e-3, batch_chars: int = 4000, max_batch: int = 64, dropout: float = 0.1,
                  clip: float = 1.0, seed: int = 0, device: torch.device | str = "cpu",
                  log: Callable[[str], None] = print, progress: bool = True) -> tuple[CharLM, list[dict]]:
    """Train one character LM on tokenized sentences; returns it (eval mode, on the CPU) and its history.

    `train`/`dev` are tokenized sentences (see `tokenized_sentences`); `history` has one dict per epoch with
    the training loss, the dev perplexity and the time taken.
    """
    device = torch.device(device)
    chars = chars or char_dictionary(train)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        lm = CharLM(chars, is_forward, hidden_size, nlayers, embedding_size)
    lm.to(device).train()
    train_strings = [lm_string(s, is_forward) for s in train]
    dev_strings = [lm_string(s, is_forward) for s in dev]
    lengths = np.array([len(s) for s in train_strings])
    batches = _batches(lengths, batch_chars, max_batch)
    optimizer = torch.optim.Adam(lm.parameters(), lr=lr)
    rng = random.Random(f"fastner-lm:{seed}:{is_forward}")
    generator = torch.Generator().manual_seed(seed)
    history = []
    name = "forward" if is_forward else "backward"
    total_chars = int(sum(min(n, MAX_TRAIN_CHARS) for n in lengths))
    for epoch in range(1, epochs + 1):
        order = list(range(len(batches)))
        rng.shuffle(order)
        begin = time.perf_counter()
        seen_loss, seen_chars = 0.0, 0
        with torch.random.fork_rng(devices=[]), \
                Progress(total_chars, f"{name} LM epoch {epoch}/{epochs}", "chars", enabled=progress) as bar:
            torch.set_rng_state(generator.get_state())
            for k in order:
                loss, n = _batch_loss(lm, [train_strings[i] for i in batches[k]], device, dropout, True)
                optimizer.zero_grad()
                (loss / n).backward()
                torch.nn.utils.clip_grad_norm_(lm.parameters(), clip)
                optimizer.step()
                seen_loss += float(loss.detach())
                seen_chars += n
                bar.update(n, loss=seen_loss / seen_chars)
            generator.set_state(torch.get_rng_state())
        train_loss = seen_loss / max(seen_chars, 1)
        ppl = perplexity(lm, dev_strings, device)
        elapsed = time.perf_counter() - begin
        history.append({"epoch": epoch, "train_loss": train_loss, "train_perplexity": math.exp(train_loss),
                        "dev_perplexity": ppl, "seconds": elapsed})
        log(f"{name} LM epoch {epoch}: train loss {train_loss:.4f} (perplexity {math.exp(train_loss):.3f}), "
            f"dev perplexity {ppl:.3f}, {elapsed:.0f}s")
    return lm.cpu().eval(), history


# --- files ----------------------------------------------------------------------------------------------

def lm_config(lm: CharLM) -> dict:
    return {"format": LM_FORMAT, "version": LM_VERSION, "chars": lm.chars, "is_forward": lm.is_forward,
            "hidden_size": lm.hidden_size, "nlayers": lm.nlayers, "embedding_size": lm.embedding_size,
            "nout": lm.nout}


def save_char_lm(lm: CharLM, path, extra: dict | None = None) -> None:
    """Write `path/config.json` and `path/model.safetensors` (atomically)."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    tensors = {k: v.detach().cpu().contiguous() for k, v in lm.state_dict().items()}
    tmp = path / f".{WEIGHTS}.tmp"
    save_file(tensors, str(tmp), metadata={"format": LM_FORMAT})
    os.replace(tmp, path / WEIGHTS)
    config = {**lm_config(lm), **(extra or {})}
    tmp = path / f".{CONFIG}.tmp"
    tmp.write_text(json.dumps(config, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(tmp, path / CONFIG)


def load_char_lm(path) -> CharLM:
    """Load a character LM saved by `save_char_lm` (or `fastner train-lm`)."""
    path = Path(path)
    config_path, weights_path = path / CONFIG, path / WEIGHTS
    for p in (config_path, weights_path):
        if not p.is_file():
            raise ValueError(f"{p}: missing (a character LM directory holds {CONFIG} and {WEIGHTS})")
    config = json.loads(config_path.read_text(encoding="utf-8"))
    if config.get("format") != LM_FORMAT or config.get("version") != LM_VERSION:
        raise ValueError(f"{config_path}: not a fastner character LM (format {LM_FORMAT!r} version {LM_VERSION})")
    lm = CharLM(config["chars"], config["is_forward"], config["hidden_size"], config["nlayers"],
                config["embedding_size"], config["nout"])
    with safe_open(str(weights_path), framework="pt") as f:
        tensors = {k: f.get_tensor(k) for k in f.keys()}  # noqa: SIM118 (safe_open has no __iter__)
    try:
        lm.load_state_dict(tensors, strict=True)
    except RuntimeError as err:
        raise ValueError(f"{weights_path}: does not match {CONFIG} ({err})") from None
    return lm.eval()
