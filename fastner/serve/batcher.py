"""Dynamic batching: the sentences of concurrent requests gathered into mini-batches for one predict thread.

A request is admitted with a `Ticket` (at most `max_queue` at once: the caller answers 429 beyond). Its
pipeline thread splits the text into Sentences and hands them to `Batcher.submit` (through
`BatchedTagger.predict`, which the pipeline calls as it would call `SequenceTagger.predict`), then waits.
The one worker thread forms each mini-batch from the queued submissions:

- at most `max_batch` sentences and `max_tokens` tokens (a batch always takes one sentence);
- round-robin over the submissions in arrival order (one sentence from each in turn), so a long document
  does not hold back a one-sentence request queued behind it;
- it waits for companions at most `max_wait_s` after the oldest queued submission arrived, and only while
  another admitted request has not submitted its sentences yet: a lone request never waits.

The batch goes through `predict(sentences)` (the CLI's `SequenceTagger.predict`, tagging in place). If it
raises, each submission in the batch is predicted alone, so only the one(s) that fail get the error.
A cancelled ticket (client gone) has its queued sentences dropped and its waiting thread released.
Predict results do not depend on the batch beyond float rounding (confidences within 1e-5, as across
`fastner tag`'s own cross-document chunks): tags, spans and offsets are the same alone or batched.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future

from fastner.text import Sentence


class Cancelled(Exception):
    """The request's client went away: its work is dropped."""


class Ticket:
    """One admitted request (state guarded by its batcher's lock)."""

    def __init__(self, batcher: Batcher, request_id: str) -> None:
        self.batcher = batcher
        self.id = request_id
        self.submitted = False  # has handed sentences to the batcher at least once
        self.released = False
        self.cancelled = False
        self.queue_wait = 0.0  # seconds its submissions waited before their first sentence entered a batch
        self.sentences = self.tokens = 0

    def cancel(self) -> None:
        self.batcher.cancel(self)

    def release(self) -> None:
        self.batcher.release(self)


class _Submission:
    """Sentences of one predict call of one request, taken into batches a few at a time."""

    def __init__(self, ticket: Ticket, sentences: list[Sentence]) -> None:
        self.ticket = ticket
        self.sentences = sentences
        self.future: Future[None] = Future()
        self.arrived = time.perf_counter()
        self.started = False  # a sentence of it has entered a batch
        self.next = 0  # index of the next sentence not taken yet
        self.in_flight = 0  # sentences taken, in the batch being predicted

    @property
    def untaken(self) -> int:
        return len(self.sentences) - self.next


BatchObserver = Callable[[int, int, float], None]  # (sentences, tokens, predict seconds) of each batch


class Batcher:
    """Gathers submitted sentences into mini-batches run by one worker thread through `predict`."""

    def __init__(self, predict: Callable[[list[Sentence]], object], *, max_batch: int, max_tokens: int,
                 max_wait_s: float, max_queue: int, on_batch: BatchObserver | None = None,
                 on_wait: Callable[[float], None] | None = None) -> None:
        self.predict = predict
        self.max_batch, self.max_tokens, self.max_wait_s, self.max_queue = max_batch, max_tokens, max_wait_s, max_queue
        self.on_batch = on_batch
        self.on_wait = on_wait
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._queue: deque[_Submission] = deque()
        self._admitted = 0  # tickets not released
        self._incoming = 0  # admitted tickets that have not submitted yet
        self._untaken = 0  # sentences queued, not yet in a batch
        self._untaken_tokens = 0
        self.dropped_sentences = 0  # of cancelled requests, never predicted
        self._closed = False
        self._worker = threading.Thread(target=self._run, name="fastner-predict", daemon=True)

    # -- the request side -----------------------------------------------------------------------------------

    def start(self) -> None:
        self._worker.start()

    def close(self, timeout: float = 10.0) -> None:
        """Stop the worker after the batch in progress; queued submissions fail with `Cancelled`."""
        with self._lock:
            self._closed = True
            for sub in self._queue:
                self._fail(sub, Cancelled("the server is shutting down"))
            self._queue.clear()
            self._wake.notify_all()
        if self._worker.is_alive():
            self._worker.join(timeout)

    def admit(self, request_id: str) -> Ticket | None:
        """A ticket for a new request, or None when `max_queue` requests are already admitted."""
        with self._lock:
            if self._closed or self._admitted >= self.max_queue:
                return None
            self._admitted += 1
            self._incoming += 1
            return Ticket(self, request_id)

    def release(self, ticket: Ticket) -> None:
        """The request is answered (or gone): its place in the queue is free."""
        with self._lock:
            if ticket.released:
                return
            ticket.released = True
            self._admitted -= 1
            if not ticket.submitted:
                self._incoming -= 1
                self._wake.notify_all()

    def cancel(self, ticket: Ticket) -> None:
        """Drop the ticket's queued sentences; its waiting thread gets `Cancelled`."""
        with self._lock:
            if ticket.cancelled:
                return
            ticket.cancelled = True
            for sub in [s for s in self._queue if s.ticket is ticket]:
                if sub.in_flight == 0:  # else the batch predicting it fails it when it returns
                    self._queue.remove(sub)
                    self._fail(sub, Cancelled("the client went away"))
                    self._wake.notify_all()

    def submit(self, ticket: Ticket, sentences: Sequence[Sentence]) -> Future[None]:
        """Queue `sentences` (tagged in place when the returned future is done)."""
        sub = _Submission(ticket, list(sentences))
        with self._lock:
            if not ticket.submitted:
                ticket.submitted = True
                if not ticket.released:
                    self._incoming -= 1
            if ticket.cancelled or self._closed:
                sub.future.set_exception(Cancelled("the client went away" if ticket.cancelled else "shutting down"))
                return sub.future
            if not sub.sentences:
                sub.future.set_result(None)
                return sub.future
            self._queue.append(sub)
            self._untaken += len(sub.sentences)
            self._untaken_tokens += sum(len(s) for s in sub.sentences)
            self._wake.notify_all()
        return sub.future

    @property
    def closed(self) -> bool:
        return self._closed

    def depth(self) -> dict[str, int]:
        """Admitted requests and the sentences waiting for a batch."""
        with self._lock:
            return {"requests": self._admitted, "sentences": self._untaken}

    # -- the worker -----------------------------------------------------------------------------------------

    def _fail(self, sub: _Submission, err: BaseException) -> None:
        """Lock held: account for `sub`'s untaken sentences and fail its future."""
        left = sub.untaken
        self._untaken -= left
        self._untaken_tokens -= sum(len(s) for s in sub.sentences[sub.next:])
        if isinstance(err, Cancelled):
            self.dropped_sentences += left
        sub.next = len(sub.sentences)
        if not sub.future.done():
            sub.future.set_exception(err)

    def _gather(self) -> list[tuple[_Submission, list[Sentence]]] | None:
        """Lock held: wait for work, then for companions (bounded), and take one batch; None when closed."""
        while not self._queue and not self._closed:
            self._wake.wait()
        if self._closed:
            return None
        deadline = self._queue[0].arrived + self.max_wait_s
        while (self._incoming > 0 and self._untaken < self.max_batch and self._untaken_tokens < self.max_tokens
               and not self._closed):
            left = deadline - time.perf_counter()
            if left <= 0:
                break
            self._wake.wait(left)
            if not self._queue:  # every queued submission was cancelled meanwhile
                return []
        taken: dict[int, tuple[_Submission, list[Sentence]]] = {}
        n = tokens = 0
        now = time.perf_counter()
        while n < self.max_batch and self._untaken:
            progressed = False
            for sub in self._queue:
                if sub.untaken == 0:
                    continue
                sentence = sub.sentences[sub.next]
                if n and tokens + len(sentence) > self.max_tokens:
                    break
                sub.next += 1
                sub.in_flight += 1
                self._untaken -= 1
                self._untaken_tokens -= len(sentence)
                if not sub.started:
                    sub.started = True
                    sub.ticket.queue_wait += now - sub.arrived
                    if self.on_wait is not None:
                        self.on_wait(now - sub.arrived)
                taken.setdefault(id(sub), (sub, []))[1].append(sentence)
                n += 1
                tokens += len(sentence)
                progressed = True
                if n >= self.max_batch:
                    break
            if not progressed or (n and tokens >= self.max_tokens):
                break
        return list(taken.values())

    def _run(self) -> None:
        while True:
            with self._lock:
                batch = self._gather()
            if batch is None:
                return
            if batch:
                self._predict(batch)

    def _predict(self, batch: list[tuple[_Submission, list[Sentence]]]) -> None:
        sentences = [s for _, part in batch for s in part]
        tokens = sum(len(s) for s in sentences)
        started = time.perf_counter()
        failed: dict[int, BaseException] = {}
        try:
            self.predict(sentences)
        except Exception:  # find the submission(s) the tagger cannot take; the others are tagged alone
            for sub, part in batch:
                try:
                    self.predict(part)
                except Exception as err:
                    failed[id(sub)] = err
        seconds = time.perf_counter() - started
        if self.on_batch is not None:
            self.on_batch(len(sentences), tokens, seconds)
        with self._lock:
            for sub, part in batch:
                sub.in_flight -= len(part)
                sub.ticket.sentences += len(part)
                sub.ticket.tokens += sum(len(s) for s in part)
                if sub.future.done():  # failed while its batch ran (the batcher was closed)
                    continue
                if id(sub) in failed or sub.ticket.cancelled:  # still queued: cancel() leaves batched ones there
                    self._queue.remove(sub)
                    self._fail(sub, failed.get(id(sub)) or Cancelled("the client went away"))
                elif sub.untaken == 0 and sub.in_flight == 0:
                    self._queue.remove(sub)
                    sub.future.set_result(None)


class BatchedTagger:
    """What the pipeline sees as its tagger: `predict` hands the sentences to the batcher and waits.

    One per request (it carries the request's ticket); `tag_types` is the model's.
    """

    def __init__(self, batcher: Batcher, ticket: Ticket, tag_types: Sequence[str]) -> None:
        self.batcher = batcher
        self.ticket = ticket
        self.tag_types = list(tag_types)

    def predict(self, inputs: Sequence[Sentence], mini_batch_size: int = 32, switches=None) -> list[Sentence]:
        """Tag `inputs` (Sentences, in place) in the batcher's mini-batches; the size and switches given here
        are ignored (the service decides both)."""
        sentences = list(inputs)
        self.batcher.submit(self.ticket, sentences).result()
        return sentences
