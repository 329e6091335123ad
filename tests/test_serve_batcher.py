"""The batcher alone (no HTTP, no extra needed): bounds of a mini-batch, round robin between requests, failures
isolated per request, cancellation, admission, closing."""

from __future__ import annotations

import threading

import pytest

from fastner.serve.batcher import Batcher, Cancelled
from fastner.text import Sentence

DEADLINE_S = 60.0


class Recorder:
    """A predict that records each batch (first words), can be held at a gate, and fails on "BAD"."""

    def __init__(self) -> None:
        self.batches: list[list[str]] = []
        self.gate = threading.Event()
        self.gate.set()
        self.entered = threading.Event()

    def __call__(self, sentences: list[Sentence]) -> None:
        self.batches.append([s.tokens[0].text for s in sentences])
        self.entered.set()
        assert self.gate.wait(DEADLINE_S), "the test never opened the gate"
        if any("BAD" in s.text for s in sentences):
            raise RuntimeError("cannot tag BAD")


def words(name: str, n: int) -> Sentence:
    return Sentence([name] + ["w"] * (n - 1))  # n tokens, the first names the sentence


@pytest.fixture
def recorder():
    return Recorder()


def make(recorder: Recorder, **kw) -> Batcher:
    options = {"max_batch": 4, "max_tokens": 1000, "max_wait_s": 0.0, "max_queue": 10, **kw}
    batcher = Batcher(recorder, **options)
    batcher.start()
    return batcher


def hold(batcher: Batcher, recorder: Recorder):
    """Occupy the worker with a one-sentence batch held at the gate; returns its future."""
    recorder.gate.clear()
    recorder.entered.clear()
    ticket = batcher.admit("blocker")
    future = batcher.submit(ticket, [words("blocker", 1)])
    assert recorder.entered.wait(DEADLINE_S)
    return future


def test_batches_are_bounded_and_requests_share_them_round_robin(recorder):
    batcher = make(recorder)
    blocker = hold(batcher, recorder)
    long_doc = batcher.submit(batcher.admit("long"), [words(f"long{i}", 2) for i in range(10)])
    short = batcher.submit(batcher.admit("short"), [words("short", 2)])
    recorder.gate.set()
    for future in (blocker, long_doc, short):
        future.result(DEADLINE_S)
    batcher.close()
    after = recorder.batches[1:]
    assert all(len(b) <= 4 for b in after) and sum(map(len, after)) == 11
    assert after[0] == ["long0", "long1", "long2", "short"]  # the one-sentence request does not wait behind


def test_token_budget_bounds_a_batch_but_a_long_sentence_goes_alone(recorder):
    batcher = make(recorder, max_batch=32, max_tokens=10)
    blocker = hold(batcher, recorder)
    futures = [batcher.submit(batcher.admit(f"r{i}"), [words(f"s{i}", n)]) for i, n in enumerate([4, 4, 4, 15, 3])]
    recorder.gate.set()
    for future in (blocker, *futures):
        future.result(DEADLINE_S)
    batcher.close()
    assert recorder.batches[1:] == [["s0", "s1"], ["s2"], ["s3"], ["s4"]]


def test_a_failing_request_fails_alone(recorder):
    batcher = make(recorder, max_batch=8)
    blocker = hold(batcher, recorder)
    good = [batcher.submit(batcher.admit(f"g{i}"), [words(f"good{i}", 3)]) for i in range(3)]
    bad = batcher.submit(batcher.admit("bad"), [words("BAD", 3)])
    recorder.gate.set()
    blocker.result(DEADLINE_S)
    for future in good:
        assert future.result(DEADLINE_S) is None
    with pytest.raises(RuntimeError, match="cannot tag BAD"):
        bad.result(DEADLINE_S)
    batcher.close()
    assert ["good0", "good1", "good2", "BAD"] in recorder.batches  # they were batched together first


def test_cancelled_requests_are_dropped_and_admission_is_bounded(recorder):
    batcher = make(recorder, max_queue=3)
    blocker = hold(batcher, recorder)
    ticket = batcher.admit("gone")
    gone = batcher.submit(ticket, [words(f"gone{i}", 2) for i in range(5)])
    assert batcher.admit("third") is not None and batcher.admit("fourth") is None
    assert batcher.depth() == {"requests": 3, "sentences": 5}
    ticket.cancel()
    with pytest.raises(Cancelled):
        gone.result(DEADLINE_S)
    assert batcher.dropped_sentences == 5 and batcher.depth()["sentences"] == 0
    with pytest.raises(Cancelled):  # a cancelled request cannot submit again
        batcher.submit(ticket, [words("again", 1)]).result(DEADLINE_S)
    ticket.release()
    assert batcher.admit("fourth") is not None
    recorder.gate.set()
    blocker.result(DEADLINE_S)
    batcher.close()
    assert not any("gone" in s for batch in recorder.batches for s in batch)


def test_closing_fails_the_waiting_requests_and_stops_the_worker(recorder):
    batcher = make(recorder)
    blocker = hold(batcher, recorder)
    queued = batcher.submit(batcher.admit("queued"), [words("queued", 2)])
    closer = threading.Thread(target=batcher.close)
    closer.start()
    with pytest.raises(Cancelled):
        queued.result(DEADLINE_S)
    with pytest.raises(Cancelled):  # the batch in progress ends, its request learns the server is closing
        recorder.gate.set()
        blocker.result(DEADLINE_S)
    closer.join(DEADLINE_S)
    assert not closer.is_alive() and batcher.admit("late") is None
