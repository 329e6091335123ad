"""Training a SequenceTagger from CoNLL sentences: vocabulary, batches, CRF loss, early stopping, checkpoints.

The trained model is an ordinary `SequenceTagger` (saved with `tagger.save`), so inference and every
switch apply to it. Training runs the tagger's own forward steps (`SequenceTagger.concatenate` and
`.emissions`, those of the gathered inference path): embeddings -> (N, D) rows in sorted-name order ->
reprojection -> BiLSTM -> linear -> CRF, inserting only its own pieces: inputs standardized before a
training-only reprojection (folded into the tagger's at `sync`), dropout in training mode, and for one
layer a padded BiLSTM runner (a faster CPU backward). Word vectors are learned over the training
vocabulary (lower-cased, digits as 0: the forms the tagger's lookup falls back to) or read from a
word2vec file; character LMs come from `train-lm` and are frozen (their token states are computed once
and cached) or fine-tuned.
"""

from __future__ import annotations

import json
import random
import re
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path

import numpy as np
import torch
from torch import nn

from fastner.decode import viterbi_batched
from fastner.devices import resolve_device
from fastner.embeddings.charlm import CharLMEmbeddings
from fastner.embeddings.words import WordEmbeddings
from fastner.options import option
from fastner.progress import Progress
from fastner.switches import Switches
from fastner.tagger import SequenceTagger, bioes_tags
from fastner.text import Sentence
from fastner.train.conll import TaggedSentence
from fastner.train.crf import crf_nll, softmax_nll
from fastner.train.lm import load_char_lm, token_states
from fastner.train.metrics import span_scores

_DIGIT = re.compile(r"\d")
STATE = "trainer-state.pt"


@dataclass(frozen=True)
class TrainConfig:
    """Everything that decides a training run (saved next to the model as training.json); `fastner train`'s
    flags are generated from these fields (`fastner.options`)."""

    word_dim: int = option(64, "size of learned word vectors", "N")
    word_min_count: int = option(1, "learned vocabulary: minimum count", "N", flag="--min-count")
    word_vectors: str | None = option(None, "word2vec file (text or binary); default: learned vectors", "FILE")
    tune_word_vectors: bool = option(False, "fine-tune vectors read from --word-vectors (learned ones are always "
                                            "trained)")
    forward_lm: str | None = option(None, "forward character LM directory (from train-lm)", "DIR")
    backward_lm: str | None = option(None, "backward character LM directory (from train-lm)", "DIR")
    fine_tune_lms: bool = option(False, "train the character LMs too (default: frozen)")
    hidden_size: int = option(128, "BiLSTM hidden size", "N", flag="--hidden")
    rnn_layers: int = option(1, "BiLSTM layers", "N", flag="--layers")
    use_crf: bool = option(True, "decode without a CRF", flag="--no-crf")
    reproject: bool = option(True, "no reprojection layer before the BiLSTM")
    epochs: int = option(10, "epochs at most", "N")
    patience: int = option(3, "epochs without dev improvement before stopping", "N")
    batch_size: int = option(32, "sentences per training batch", "N")
    lr: float = option(2e-3, "Adam learning rate", "LR")
    anneal: float = option(0.5, "learning rate factor after an epoch without dev improvement", "F")
    dropout: float = option(0.25, "locked dropout on the embeddings, dropout on the BiLSTM outputs", "P")
    word_dropout: float = option(0.05, "rate of tokens whose whole embedding is zeroed", "P")
    unk_rate: float = option(0.1, "rate of word vectors replaced by the unknown (zero) vector", "P")
    entity_unk_rate: float = option(0.0, "rate of word vectors inside a gold entity replaced by the unknown vector "
                                         "(on top of --unk-rate): names must then be told from context and "
                                         "characters, as for names the training data never had", "P")
    clip: float = option(5.0, "gradient norm clipping", "NORM")
    seed: int = option(0, "random seed (training is deterministic by seed)", "N")
    device: str = option("auto", "auto (CUDA when present), cpu, cuda, cuda:1...", "DEVICE")
    eval_batch_size: int = option(64, "sentences per batch when scoring dev", "N")
    augment: float = option(0.0, "spliced sentences (an entity's left part + another sentence's end) added, as a "
                                 "fraction of the training set: better on unseen templates (see `splice`)", "F")


def word_key(word: str) -> str:
    """The vocabulary form of a word: lower case, digits as 0 (WordEmbeddings' last lookup fallback)."""
    return _DIGIT.sub("0", word.lower())


def build_vocabulary(sentences: Sequence[TaggedSentence], min_count: int = 1) -> list[str]:
    counts = Counter(word_key(t) for s in sentences for t in s.tokens)
    return sorted((w for w, n in counts.items() if n >= min_count), key=lambda w: (-counts[w], w))


def tag_types(sentences: Sequence[TaggedSentence]) -> list[str]:
    return sorted({t[2:] for s in sentences for t in s.tags if t != "O"})


def splice(sentences: Sequence[TaggedSentence], rate: float, seed: int, max_len: int = 150) -> list[TaggedSentence]:
    """Augmentation: `rate * len(sentences)` new sentences, each the beginning of one sentence up to the end of
    one of its entities, followed by the end of another sentence from an entity or O boundary. Entities keep
    their left context but get a right context seen with other entities, so the tagger learns to trust the
    cues next to a mention ("Maître", "Madame") over the rest of a template. Tags stay well formed."""
    from fastner.train.conll import spans_from_bioes

    rng = random.Random(f"fastner-splice:{seed}")
    with_entities = [s for s in sentences if any(t != "O" for t in s.tags)]
    if not with_entities:
        return []
    out = []
    for _ in range(int(rate * len(sentences))):
        a, b = rng.choice(with_entities), rng.choice(sentences)
        cut_a = rng.choice(spans_from_bioes(a.tags))[1] + 1
        cuts_b = [j for j in range(1, len(b)) if b.tags[j][:1] in ("O", "B", "S")]
        if not cuts_b:
            continue
        cut_b = rng.choice(cuts_b)
        tokens, tags = a.tokens[:cut_a] + b.tokens[cut_b:], a.tags[:cut_a] + b.tags[cut_b:]
        out.append(TaggedSentence(tokens[:max_len], _close(tags[:max_len]), a.doc))
    return out


def _close(tags: list[str]) -> list[str]:
    """A BIOES sequence cut after an unfinished entity: its last tag becomes E-/S-."""
    if tags and tags[-1][:1] in ("B", "I"):
        tags = [*tags[:-1], ("S-" if tags[-1][0] == "B" else "E-") + tags[-1][2:]]
    return tags


# --- the model being trained ------------------------------------------------------------------------------

def build_tagger(config: TrainConfig, train: Sequence[TaggedSentence]) -> tuple[SequenceTagger, bool]:
    """A fresh tagger for `train`'s tag types; True when its word vectors are to be trained."""
    if config.word_vectors:
        from fastner.train.vectors import read_word2vec

        words, vectors = read_word2vec(config.word_vectors)
        tune_words = config.tune_word_vectors
    else:
        words = build_vocabulary(train, config.word_min_count)
        vectors = np.random.default_rng(config.seed).normal(0.0, 0.1, (len(words), config.word_dim))
        vectors = vectors.astype(np.float32)
        tune_words = True
    embeddings: list = [WordEmbeddings(words, vectors, name="0-words")]
    for i, (path, forward) in enumerate(((config.forward_lm, True), (config.backward_lm, False)), start=1):
        if path:
            lm = load_char_lm(path)
            if lm.is_forward != forward:
                raise ValueError(f"{path}: a {'forward' if lm.is_forward else 'backward'} LM, given as the "
                                 f"{'forward' if forward else 'backward'} one")
            embeddings.append(CharLMEmbeddings(lm, f"{i}-charlm-{'forward' if forward else 'backward'}"))
    types = tag_types(train)
    if not types:
        raise ValueError("the training data has no entities")
    tagger = SequenceTagger(embeddings, bioes_tags(types), config.hidden_size, config.rnn_layers,
                            use_crf=config.use_crf, reproject=config.reproject)
    if tagger.use_crf:  # start from no preference (Flair draws them from N(0, 1)), keeping the impossible moves
        with torch.no_grad():
            tagger.transitions.zero_()
            tagger.transitions[tagger.start, :] = -10000.0
            tagger.transitions[:, tagger.stop] = -10000.0
    return tagger, tune_words


class Trainable(nn.Module):
    """The tagger's trainable view: an nn.Embedding for the word vectors, the tagger's own layers."""

    def __init__(self, tagger: SequenceTagger, tune_words: bool, fine_tune_lms: bool, config: TrainConfig) -> None:
        super().__init__()
        self.tagger = tagger
        self.config = config
        self.fine_tune_lms = fine_tune_lms
        words = tagger.embeddings[0]
        assert isinstance(words, WordEmbeddings)
        table = torch.zeros(len(words.words) + 1, words.dim)
        table[:-1] = torch.from_numpy(words.vectors)
        self.unknown = len(words.words)
        self.outside = tagger.tags.index("O")
        self.words = nn.Embedding.from_pretrained(table, freeze=not tune_words, padding_idx=self.unknown)
        for emb in tagger.embeddings[1:]:
            emb.lm.requires_grad_(fine_tune_lms)
        self.directions = None
        rnn = tagger.rnn
        if rnn.num_layers == 1:  # two one-way LSTMs sharing the BiLSTM's parameters (same Parameter objects)
            forward, backward = (nn.LSTM(rnn.input_size, rnn.hidden_size, batch_first=True) for _ in range(2))
            for name in ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"):
                setattr(forward, name, getattr(rnn, name))
                setattr(backward, name, getattr(rnn, name + "_reverse"))
            self.directions = nn.ModuleList([forward, backward])
        # The reprojection is trained on standardized inputs (x - shift) / scale and folded back into the
        # tagger's Linear when saved: frozen LM states are nearly constant per dimension (saturated LSTM
        # outputs), and raw, they make the first epochs crawl.
        dim = tagger.embedding_dim
        self.register_buffer("shift", torch.zeros(dim))
        self.register_buffer("scale", torch.ones(dim))
        self.reproject = None
        if tagger.embedding2nn is not None:
            self.reproject = nn.Linear(dim, dim)
            self.reproject.load_state_dict(tagger.embedding2nn.state_dict())
            tagger.embedding2nn.requires_grad_(False)

    def standardize(self, data: Dataset, tune_words: bool) -> None:
        """Set shift/scale from the training data: per dimension mean and std of the frozen inputs (cached LM
        states; word vectors read from a file and not tuned); learned inputs are left as they are."""
        if self.reproject is None:
            return
        tagger = self.tagger
        stats = []
        for k, emb in enumerate(tagger.embeddings):
            if k == 0 and not tune_words:
                rows = torch.from_numpy(emb.vectors)
            elif k > 0 and data.lm_states is not None:
                rows = data.lm_states[k - 1]
            else:
                rows = None
            if rows is None or len(rows) < 2:
                stats.append((torch.zeros(emb.dim), torch.ones(emb.dim)))
            else:
                stats.append((rows.mean(0), rows.std(0).clamp(min=1e-3)))
        self.shift.copy_(tagger.concatenate([mean for mean, _ in stats]))
        self.scale.copy_(tagger.concatenate([std for _, std in stats]))

    def sync(self) -> None:
        """Write the trained word vectors and the folded reprojection into the tagger (what is saved)."""
        self.sync_words()
        if self.reproject is not None:
            with torch.no_grad():
                w, b = self.reproject.weight, self.reproject.bias
                self.tagger.embedding2nn.weight.copy_(w / self.scale.unsqueeze(0))
                self.tagger.embedding2nn.bias.copy_(b - w @ (self.shift / self.scale))

    def sync_words(self) -> None:
        """Copy the trained word vectors into the tagger's WordEmbeddings (what is saved)."""
        words = self.tagger.embeddings[0]
        words.vectors[:] = self.words.weight.detach()[:-1].cpu().numpy()
        words.clear_caches()

    def word_rows(self, batch: Batch) -> torch.Tensor:
        """(N,) vocabulary rows of the batch's tokens. In training mode, a `unk_rate` share of them, and an
        `entity_unk_rate` share of those inside a gold entity, become the unknown row."""
        device = self.words.weight.device
        rows = batch.word_rows.to(device)
        if self.training and self.config.unk_rate:
            rows = rows.masked_fill(torch.rand(rows.shape, device=device) < self.config.unk_rate, self.unknown)
        if self.training and self.config.entity_unk_rate:
            tokens = torch.arange(batch.tags.shape[1]) < torch.tensor(batch.lengths).unsqueeze(1)  # (B, T)
            inside = (batch.tags[tokens] != self.outside).to(device)  # (N,), in token order
            rows = rows.masked_fill(inside & (torch.rand(rows.shape, device=device) < self.config.entity_unk_rate),
                                    self.unknown)
        return rows

    def emissions(self, batch: Batch) -> torch.Tensor:
        """(B, T, K) emission scores: the tagger's steps (`SequenceTagger.emissions`) on the trainable word vectors
        and the (cached) LM states, standardized, with training's reprojection and, one layer, the padded BiLSTM;
        dropout in training mode only."""
        tagger, device = self.tagger, self.words.weight.device
        parts = [self.words(self.word_rows(batch))]
        for k, emb in enumerate(tagger.embeddings[1:]):
            if batch.lm_states is not None:
                parts.append(batch.lm_states[k].to(device))
            else:
                parts.append(token_states(emb.lm, batch.tokens, device))
        x = tagger.concatenate(parts)  # (N, D)
        if self.reproject is not None:
            x = (x - self.shift) / self.scale
        after_bilstm = None
        if self.training:
            n, d = x.shape
            if self.config.word_dropout:
                x = x * (torch.rand(n, 1, device=device) >= self.config.word_dropout)
            if self.config.dropout:
                keep = 1.0 - self.config.dropout
                locked = (torch.rand(len(batch.lengths), d, device=device) < keep) / keep  # (B, D)
                x = x * locked[batch.sentence_of_token.to(device)]
                after_bilstm = partial(nn.functional.dropout, p=self.config.dropout)
        bilstm = self._bilstm_padded if self.directions is not None else None  # one layer: fast to train on a CPU
        return tagger.emissions(x, batch.lengths, reprojection=self.reproject, bilstm=bilstm,
                                after_bilstm=after_bilstm)

    def _bilstm_padded(self, rnn: nn.LSTM, x: torch.Tensor, lengths: list[int]) -> tuple[torch.Tensor, torch.Tensor]:
        """The tagger's one-layer BiLSTM `rnn` on (N, D) token rows (a `BiLSTMRunner`), run as `directions`: the
        forward direction on the padded batch, the backward one on each sentence reversed within its length (so
        padding never reaches a state). Returns (N, 2H) rows in token order and their flat (b * T + t) positions
        in the padded grid.

        Same numbers as the packed BiLSTM of inference; without packing, PyTorch's CPU backward does not
        allocate a zeroed (N, 4H) gradient per time step.
        """
        if rnn is not self.tagger.rnn:
            raise ValueError("the padded runner runs the tagger's own BiLSTM, whose Parameters its directions share")
        device = x.device
        b, t_max = len(lengths), max(lengths)
        sentence = np.repeat(np.arange(b), lengths)
        within = np.concatenate([np.arange(n) for n in lengths])
        lens = np.asarray(lengths)[sentence]
        pos = torch.from_numpy(sentence * t_max + within).to(device)
        rev = torch.from_numpy(sentence * t_max + lens - 1 - within).to(device)
        forward, backward = self.directions
        grid = x.new_zeros(b * t_max, x.shape[1])
        out_f, _ = forward(grid.index_copy(0, pos, x).view(b, t_max, -1))
        out_b, _ = backward(grid.index_copy(0, rev, x).view(b, t_max, -1))
        h = torch.cat([out_f.reshape(b * t_max, -1)[pos], out_b.reshape(b * t_max, -1)[rev]], dim=1)
        return h, pos

    def loss(self, batch: Batch) -> torch.Tensor:
        """Mean over the batch's sentences of the negative log-likelihood of the gold tags."""
        feats = self.emissions(batch)
        tags = batch.tags.to(feats.device)
        lengths = torch.tensor(batch.lengths, device=feats.device)
        t = self.tagger
        nll = crf_nll(feats, tags, lengths, t.transitions, t.start, t.stop) if t.use_crf else \
            softmax_nll(feats, tags, lengths)
        return nll.mean()


# --- data -------------------------------------------------------------------------------------------------

@dataclass
class Batch:
    tokens: list[list[str]]
    lengths: list[int]
    word_rows: torch.Tensor  # (N,)
    tags: torch.Tensor  # (B, T)
    sentence_of_token: torch.Tensor  # (N,)
    lm_states: list[torch.Tensor] | None  # per LM (N, H), when the LMs are frozen


class Dataset:
    """Sentences encoded once: word rows, tag ids, and (frozen LMs) every token's LM states."""

    def __init__(self, sentences: Sequence[TaggedSentence], tagger: SequenceTagger, cache_lms: bool,
                 device: torch.device, batch_size: int = 64) -> None:
        self.sentences = [s for s in sentences if len(s)]
        index = {t: i for i, t in enumerate(tagger.tags)}
        words = tagger.embeddings[0]
        self.lengths = np.array([len(s) for s in self.sentences], dtype=np.int64)
        self.offsets = np.concatenate([[0], np.cumsum(self.lengths)])
        self.word_rows = torch.tensor([words.row(t) for s in self.sentences for t in s.tokens], dtype=torch.long)
        unknown = [t for s in self.sentences for t in s.tags if t not in index]
        if unknown:
            raise ValueError(f"tags {sorted(set(unknown))[:5]} are not among the model's tags")
        self.tag_ids = [torch.tensor([index[t] for t in s.tags], dtype=torch.long) for s in self.sentences]
        self.lm_states = None
        if cache_lms and len(tagger.embeddings) > 1:
            self.lm_states = [self._states(emb, device, batch_size) for emb in tagger.embeddings[1:]]

    def _states(self, emb: CharLMEmbeddings, device: torch.device, batch_size: int) -> torch.Tensor:
        """(N, H) states of every token (the inference path's numbers), computed in length-sorted batches."""
        out = torch.empty(int(self.offsets[-1]), emb.dim)
        order = np.argsort(-self.lengths, kind="stable")
        switches = Switches.preset("fastest")
        with torch.no_grad():
            for begin in range(0, len(order), batch_size):
                chosen = order[begin:begin + batch_size]
                states = emb.embed_batch([Sentence(self.sentences[i].tokens) for i in chosen], device, switches)
                rows = np.concatenate([np.arange(self.offsets[i], self.offsets[i + 1]) for i in chosen])
                out[torch.from_numpy(rows)] = states.cpu()
        return out

    def __len__(self) -> int:
        return len(self.sentences)

    def batch(self, ids: Sequence[int]) -> Batch:
        rows = np.concatenate([np.arange(self.offsets[i], self.offsets[i + 1]) for i in ids])
        rows_t = torch.from_numpy(rows)
        lengths = [int(self.lengths[i]) for i in ids]
        tags = torch.zeros(len(ids), max(lengths), dtype=torch.long)
        for j, i in enumerate(ids):
            tags[j, : lengths[j]] = self.tag_ids[i]
        return Batch(
            tokens=[self.sentences[i].tokens for i in ids], lengths=lengths, word_rows=self.word_rows[rows_t],
            tags=tags, sentence_of_token=torch.repeat_interleave(torch.arange(len(ids)), torch.tensor(lengths)),
            lm_states=None if self.lm_states is None else [s[rows_t] for s in self.lm_states])


# --- evaluation -------------------------------------------------------------------------------------------

def decode_dataset(model: Trainable, data: Dataset, batch_size: int) -> list[list[str]]:
    """Predicted tags of every sentence (eval mode, Viterbi or argmax), in the dataset's order."""
    tagger = model.tagger
    model.eval()
    out: list[list[str]] = [[] for _ in range(len(data))]
    order = np.argsort(-data.lengths, kind="stable")
    with torch.no_grad():
        for begin in range(0, len(order), batch_size):
            ids = [int(i) for i in order[begin:begin + batch_size]]
            feats = model.emissions(data.batch(ids))
            if tagger.use_crf:
                lengths = torch.tensor([int(data.lengths[i]) for i in ids], device=feats.device)
                decoded = viterbi_batched(feats, lengths, tagger.transitions, tagger.start, tagger.stop)
                paths = [p for p, _ in decoded]
            else:
                best = feats.argmax(2).tolist()
                paths = [best[j][: int(data.lengths[i])] for j, i in enumerate(ids)]
            for i, path in zip(ids, paths):
                out[i] = [_entity_tag(tagger.tags[k]) for k in path]
    return out


def _entity_tag(tag: str) -> str:
    return tag if tag == "O" or tag[:2] in ("B-", "I-", "E-", "S-") else "O"


def predict_tags(tagger: SequenceTagger, token_lists: Sequence[Sequence[str]], batch_size: int = 64,
                 switches: Switches | None = None) -> list[list[str]]:
    """Tags predicted by the tagger's inference path (`predict`) for pre-tokenized sentences."""
    sentences = tagger.predict([Sentence(list(tokens)) for tokens in token_lists], mini_batch_size=batch_size,
                               switches=switches)
    return [[_entity_tag(t or "O") for t in s.tags] for s in sentences]


def evaluate_tagger(tagger: SequenceTagger, sentences: Sequence[TaggedSentence], batch_size: int = 64) -> dict:
    """Span scores (see metrics.span_scores) of the tagger's predictions on gold CoNLL sentences."""
    predicted = predict_tags(tagger, [s.tokens for s in sentences], batch_size)
    return span_scores([s.tags for s in sentences], predicted)


# --- the loop ---------------------------------------------------------------------------------------------

@dataclass
class TrainResult:
    tagger: SequenceTagger
    history: list[dict]
    best_dev_f1: float
    seconds: float


def train_tagger(train: Sequence[TaggedSentence], dev: Sequence[TaggedSentence], out: str | Path | None,
                 config: TrainConfig, log: Callable[[str], None] = print, progress: bool = True,
                 resume: bool = False) -> TrainResult:
    """Train a tagger; keep the best one on dev micro F1 (saved to `out`), stop after `patience` epochs
    without improvement. A checkpoint (model + optimizer + RNG states) is written to `out/checkpoint` after
    every epoch; `resume=True` continues from it."""
    begin = time.perf_counter()
    device = resolve_device(config.device)
    out = Path(out) if out is not None else None
    torch.manual_seed(config.seed)
    tagger, tune_words = build_tagger(config, train)
    model = Trainable(tagger, tune_words, config.fine_tune_lms, config).to(device)
    cache = not config.fine_tune_lms
    t0 = time.perf_counter()
    if config.augment:
        train = [*train, *splice(train, config.augment, config.seed)]
    train_data = Dataset(train, tagger, cache, device)
    dev_data = Dataset(dev, tagger, cache, device)
    model.standardize(train_data, tune_words)
    log(f"{len(train_data)} training sentences ({int(train_data.offsets[-1])} tokens), {len(dev_data)} dev "
        f"sentences; {len(tagger.embeddings[0].words)} words; tags {tagger.tag_types}; device {device}; "
        f"data prepared in {time.perf_counter() - t0:.0f}s")
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.Adam(params, lr=config.lr)
    rng = random.Random(f"fastner-train:{config.seed}")
    history: list[dict] = []
    best_f1, bad_epochs, first_epoch = -1.0, 0, 1
    best_state, best_words = None, None
    if resume:
        if out is None or not (out / "checkpoint" / STATE).is_file():
            raise ValueError(f"nothing to resume: {out}/checkpoint/{STATE} is missing")
        first_epoch, best_f1, bad_epochs, history = _load_checkpoint(out / "checkpoint", model, optimizer, rng)
        log(f"resumed after epoch {first_epoch - 1} (best dev F1 {best_f1:.4f})")
    n_tokens = int(train_data.offsets[-1])
    for epoch in range(first_epoch, config.epochs + 1):
        model.train()
        batches = _batches(train_data.lengths, config.batch_size, rng)
        epoch_begin, total_loss = time.perf_counter(), 0.0
        lr = optimizer.param_groups[0]["lr"]
        with Progress(n_tokens, f"epoch {epoch}/{config.epochs}", "tok", enabled=progress) as bar:
            for k, chosen in enumerate(batches, start=1):
                batch = train_data.batch(chosen)
                loss = model.loss(batch)
                optimizer.zero_grad()
                loss.backward()
                nn.utils.clip_grad_norm_(params, config.clip)
                optimizer.step()
                total_loss += float(loss.detach())
                bar.update(sum(batch.lengths), loss=total_loss / k)
        train_seconds = time.perf_counter() - epoch_begin
        scores = span_scores([s.tags for s in dev_data.sentences], decode_dataset(model, dev_data,
                                                                                 config.eval_batch_size))
        f1 = scores["micro"]["f1"]
        improved = f1 > best_f1
        record = {"epoch": epoch, "loss": total_loss / max(len(batches), 1), "dev_micro_f1": f1,
                  "dev_macro_f1": scores["macro"]["f1"], "lr": lr, "train_seconds": train_seconds,
                  "tokens_per_second": n_tokens / train_seconds if train_seconds else 0.0}
        history.append(record)
        log(f"epoch {epoch}: loss {record['loss']:.4f}, dev micro F1 {f1:.4f} (macro {record['dev_macro_f1']:.4f})"
            f"{' (best)' if improved else ''}, {record['tokens_per_second']:,.0f} tok/s, {train_seconds:.0f}s")
        if improved:
            best_f1, bad_epochs = f1, 0
            model.sync()
            if out is not None:
                tagger.save(out)
            else:
                best_state = {k: v.detach().clone() for k, v in tagger.state_dict().items()}
                best_words = tagger.embeddings[0].vectors.copy()
        else:
            bad_epochs += 1
            for group in optimizer.param_groups:
                group["lr"] *= config.anneal
        if out is not None:
            _save_checkpoint(out / "checkpoint", model, optimizer, rng, epoch, best_f1, bad_epochs, history, config)
            (out / "training.json").write_text(json.dumps({"config": asdict(config), "history": history},
                                                          indent=1), encoding="utf-8")
        if bad_epochs >= config.patience:
            log(f"no dev improvement for {bad_epochs} epochs: stopping")
            break
    if out is not None and (out / "config.json").is_file():
        best = SequenceTagger.load(out)
    else:
        best = tagger.cpu()
        if best_state is not None:
            best.load_state_dict(best_state)
            best.embeddings[0].vectors[:] = best_words
    return TrainResult(best.eval(), history, best_f1, time.perf_counter() - begin)


def _batches(lengths: np.ndarray, batch_size: int, rng: random.Random, pool: int = 50) -> list[list[int]]:
    """Shuffled batches of sentences of similar length: shuffle, sort pools of `pool` batches by length,
    cut them into batches, shuffle the batches (little padding, still a random order)."""
    ids = list(range(len(lengths)))
    rng.shuffle(ids)
    batches = []
    for begin in range(0, len(ids), pool * batch_size):
        chunk = sorted(ids[begin:begin + pool * batch_size], key=lambda i: lengths[i])
        batches += [chunk[i:i + batch_size] for i in range(0, len(chunk), batch_size)]
    rng.shuffle(batches)
    return batches


def _save_checkpoint(path: Path, model: Trainable, optimizer, rng: random.Random, epoch: int, best_f1: float,
                     bad_epochs: int, history: list[dict], config: TrainConfig) -> None:
    model.sync()
    model.tagger.save(path)
    state = {"trainable": {k: v for k, v in model.state_dict().items() if not k.startswith("tagger.")},
             "epoch": epoch, "best_f1": best_f1, "bad_epochs": bad_epochs, "optimizer": optimizer.state_dict(),
             "torch_rng": torch.get_rng_state(), "python_rng": rng.getstate(),
             "history": json.dumps(history), "config": json.dumps(asdict(config))}
    tmp = path / f".{STATE}.tmp"
    torch.save(state, tmp)
    tmp.replace(path / STATE)


def _load_checkpoint(path: Path, model: Trainable, optimizer, rng: random.Random) -> tuple[int, float, int, list]:
    saved = SequenceTagger.load(path)
    model.tagger.load_state_dict(saved.state_dict())
    with torch.no_grad():
        model.words.weight[:-1] = torch.from_numpy(saved.embeddings[0].vectors).to(model.words.weight.device)
    state = torch.load(path / STATE, weights_only=True)
    model.load_state_dict({**model.state_dict(), **state["trainable"]})
    model.sync()
    optimizer.load_state_dict(state["optimizer"])
    torch.set_rng_state(state["torch_rng"])
    rng.setstate(_as_tuple(state["python_rng"]))
    return state["epoch"] + 1, state["best_f1"], state["bad_epochs"], json.loads(state["history"])


def _as_tuple(value):
    return tuple(_as_tuple(v) for v in value) if isinstance(value, (list, tuple)) else value
