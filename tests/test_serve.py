"""`fastner serve` over real HTTP on 127.0.0.1: outputs equal to `fastner tag` / `fastner anonymize`, batching
that does not change a request's output, refusals (400, 413, 422, 429), disconnects, metrics, the CLI."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import torch

pytest.importorskip("fastapi", reason="needs the serve extra")
pytest.importorskip("uvicorn", reason="needs the serve extra")

from fastner import SequenceTagger
from fastner.apps.tag import load_model
from fastner.cli import main
from fastner.serve.app import create_app, serve_in_thread
from fastner.serve.metrics import parse
from fastner.serve.options import ServeOptions
from fastner.synth.decisions import generate_documents
from fastner.synth.labels import LABELS

REPO = Path(__file__).resolve().parents[1]
SCORE_GAP = 1.5e-4  # scores are rounded to 4 decimals; float rounding (1e-6) may move the last one
DEADLINE_S = 60.0  # every polling loop gives up after this long


@pytest.fixture(autouse=True)
def _one_torch_thread():
    """One torch thread (the conftest fixture restores the count): on a small machine shared with other work,
    more threads stall at OpenMP barriers and tests crawl."""
    torch.set_num_threads(1)


@pytest.fixture(scope="module")
def model(tmp_path_factory) -> tuple[Path, SequenceTagger, str]:
    path = tmp_path_factory.mktemp("model") / "tiny"
    SequenceTagger.random("tiny", tag_types=list(LABELS), seed=0).save(path)
    tagger, model_id = load_model(path)
    return path, tagger, model_id


def documents(n: int, sentences: int = 4, seed: int = 0) -> list[str]:
    out = []
    for doc in generate_documents(n, seed, split="test"):
        out.append("\n".join(doc.text[a:b] for a, b in doc.sentences[:sentences]) + "\n")
    return out


# --- HTTP helpers (the standard library's client) -------------------------------------------------------------

def request(url: str, method: str, path: str, payload=None, raw: bytes | None = None,
            headers: dict | None = None) -> tuple[int, dict[str, str], bytes]:
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=DEADLINE_S)
    try:
        body = raw if raw is not None else (None if payload is None else json.dumps(payload).encode())
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


def post(url: str, path: str, payload=None, raw: bytes | None = None) -> tuple[int, dict]:
    status, _, body = request(url, "POST", path, payload, raw)
    return status, json.loads(body)


def metrics(url: str) -> dict[str, float]:
    status, headers, body = request(url, "GET", "/metrics")
    assert status == 200 and headers["content-type"].startswith("text/plain")
    return parse(body.decode())


def wait_until(condition, what: str) -> None:
    deadline = time.monotonic() + DEADLINE_S
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.01)


def assert_same(got, want, path: str = "") -> None:
    """Equal JSON values, except numbers under a "score" key, which may differ by `SCORE_GAP`."""
    if isinstance(want, dict):
        assert isinstance(got, dict) and got.keys() == want.keys(), f"{path}: keys {got} != {want}"
        for key in want:
            if key == "score" and isinstance(want[key], float):
                assert abs(got[key] - want[key]) <= SCORE_GAP, f"{path}.score: {got[key]} != {want[key]}"
            else:
                assert_same(got[key], want[key], f"{path}.{key}")
    elif isinstance(want, list):
        assert isinstance(got, list) and len(got) == len(want), f"{path}: lengths differ"
        for i, (g, w) in enumerate(zip(got, want)):
            assert_same(g, w, f"{path}[{i}]")
    else:
        assert got == want, f"{path}: {got!r} != {want!r}"


class GatedTagger:
    """A tagger that records every predict batch, blocks while its gate is closed, and fails any batch with a
    sentence containing POISON (a document the tagger cannot take)."""

    def __init__(self, tagger: SequenceTagger) -> None:
        self.tagger = tagger
        self.tag_types = tagger.tag_types
        self.gate = threading.Event()
        self.gate.set()
        self.entered = threading.Event()
        self.batches: list[list[str]] = []

    def predict(self, sentences, mini_batch_size=32, switches=None):
        self.batches.append([s.text for s in sentences])
        self.entered.set()
        if not self.gate.wait(DEADLINE_S):
            raise RuntimeError("the test never opened the gate")
        if any("POISON" in s.text for s in sentences):
            raise RuntimeError("poisoned batch")
        return self.tagger.predict(sentences, mini_batch_size, switches)


def in_threads(calls) -> list:
    """Run each `call()` in its own thread; their results in order."""
    results: list = [None] * len(calls)

    def run(i, call):
        results[i] = call()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    return threads, results


@pytest.fixture(scope="module")
def server(model):
    _, tagger, model_id = model
    options = ServeOptions(max_chars=20_000, log_level="warning")
    with serve_in_thread(create_app(tagger, model_id, options), options) as url:
        yield url


# --- what the service answers -----------------------------------------------------------------------------------

def test_tag_answers_the_record_fastner_tag_writes(model, server, tmp_path):
    model_dir, _, model_id = model
    texts = [*documents(3), "Bonjour.\r\n\r\n  Deux lignes, un accent: é, un emoji 😀 et M. Dupont.  "]
    (tmp_path / "in").mkdir()
    for i, text in enumerate(texts):
        (tmp_path / "in" / f"doc{i}.txt").write_bytes(text.encode("utf-8"))
    assert main(["tag", str(tmp_path / "in"), "--out", str(tmp_path / "out"), "--model", str(model_dir), "-q"]) == 0
    written = [json.loads((tmp_path / "out" / f"doc{i}.jsonl").read_text(encoding="utf-8")) for i in range(len(texts))]
    for i, text in enumerate(texts):
        status, record = post(server, "/tag", {"text": text})
        assert status == 200
        assert record["model"] == model_id and record["id"] == "doc0" and record["n_sentences"] > 0
        want = dict(written[i], id="doc0", source="doc0")
        assert_same(record, want)
        for sentence in record["sentences"]:
            for span in sentence["spans"]:
                assert text[span["start"]:span["end"]] == span["text"]
    status, answer = post(server, "/tag", {"texts": texts})
    assert status == 200 and list(answer) == ["documents"]
    assert_same(answer["documents"], [dict(w, id=f"doc{i}", source=f"doc{i}") for i, w in enumerate(written)])
    assert post(server, "/tag", {"texts": []}) == (200, {"documents": []})


@pytest.mark.parametrize("strategy", ["placeholder", "numbered", "cassation", "initials", "fake"])
def test_anonymize_answers_what_fastner_anonymize_writes(model, server, tmp_path, strategy):
    model_dir = model[0]
    text = documents(1, sentences=8, seed=3)[0]
    types = ["PERS", "ADDRESS", "DATE"]
    (tmp_path / "doc0.txt").write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    code = main(["anonymize", str(tmp_path / "doc0.txt"), "--out", str(out), "--model", str(model_dir), "-q",
                 "--strategy", strategy, "--types", ",".join(types)])
    assert code == 0
    status, answer = post(server, "/anonymize", {"text": text, "strategy": strategy, "types": types})
    assert status == 200 and set(answer) == {"text", "replacements", "review"}
    assert answer["text"] == (out / "doc0.txt").read_text(encoding="utf-8")
    assert_same(answer["review"], json.loads((out / "doc0.review.json").read_text(encoding="utf-8")))
    # the replacements rebuild the pseudonymized text from the original
    rebuilt, pos = [], 0
    for r in answer["replacements"]:
        assert r["label"] in types and text[r["start"]:r["end"]] == r["text"] and r["start"] >= pos
        rebuilt += [text[pos:r["start"]], r["replacement"]]
        pos = r["end"]
    assert "".join(rebuilt) + text[pos:] == answer["text"]
    if strategy == "placeholder":
        assert answer["replacements"], "the tiny model tags something in this document"


def test_anonymize_defaults_and_options(server):
    text = "M. Jean Dupont demeure 3 rue des Lilas à Lyon. Dupont a signé."
    status, default = post(server, "/anonymize", {"text": text})
    status2, explicit = post(server, "/anonymize", {"text": text, "strategy": "placeholder",
                                                    "types": ["PERS", "ADDRESS"], "consistency": True, "seed": 0})
    assert status == status2 == 200 and default == explicit
    status, without = post(server, "/anonymize", {"text": text, "consistency": False})
    assert status == 200 and all(r["source"] == "model" for r in without["replacements"])


def test_a_long_document_is_tagged_a_few_batches_at_a_time(model):
    from fastner.apps.pipeline import Settings, process_texts

    _, tagger, model_id = model
    text = "".join(f"M. Jean Dupont{i % 3} demeure {i} rue des Lilas. " + ("\n" if i % 7 == 0 else "")
                   for i in range(150))
    gated = GatedTagger(tagger)
    options = ServeOptions(max_batch=4, log_level="warning")
    with serve_in_thread(create_app(gated, model_id, options), options) as url:
        status, record = post(url, "/tag", {"text": text})
        status2, anonymized = post(url, "/anonymize", {"text": text, "strategy": "numbered"})
    assert status == status2 == 200 and record["n_sentences"] == 150
    assert max(map(len, gated.batches)) == 4
    (direct,) = process_texts([text], tagger, Settings(mode="tag", review=False), model_id)
    assert_same(record, json.loads(direct.files[".jsonl"]))
    (direct,) = process_texts([text], tagger, Settings(mode="anonymize", strategy="numbered"), model_id)
    assert anonymized["text"] == direct.files[".txt"]


# --- refusals ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("path", "raw", "status", "message"), [
    ("/tag", b'{"text": ', 400, "not valid JSON"),
    ("/tag", b"\xff\xfe{", 400, "not valid JSON"),
    ("/tag", b"[" * 100_000, 400, "not valid JSON"),
    ("/tag", b"", 400, "not valid JSON"),
    ("/tag", b'["a"]', 422, "JSON object"),
    ("/tag", b"{}", 422, "exactly one of"),
    ("/tag", b'{"text": "a", "texts": ["b"]}', 422, "exactly one of"),
    ("/tag", b'{"txt": "a"}', 422, "unknown field"),
    ("/tag", b'{"text": 3}', 422, "text must be a string"),
    ("/tag", b'{"text": null}', 422, "text must be a string, not null"),
    ("/tag", b'{"texts": "abc"}', 422, "texts must be a list"),
    ("/tag", b'{"texts": ["ok", 4]}', 422, "texts[1] must be a string"),
    ("/tag", b'{"text": ""}', 422, "text: empty"),
    ("/tag", b'{"texts": ["ok", " \\n\\t "]}', 422, "texts[1]: empty"),
    ("/tag", b'{"text": "a\\u0000b"}', 422, "text: binary"),
    ("/tag", b'{"text": "caf\\ud800"}', 422, "lone surrogate"),
    ("/anonymize", b'{"strategy": "numbered"}', 422, 'missing field "text"'),
    ("/anonymize", b'{"text": "a", "strategy": "erase"}', 422, "strategy must be one of"),
    ("/anonymize", b'{"text": "a", "types": []}', 422, "non-empty list"),
    ("/anonymize", b'{"text": "a", "types": "PERS"}', 422, "non-empty list"),
    ("/anonymize", b'{"text": "a", "types": ["PERS", "CAT"]}', 422, "unknown type(s) CAT"),
    ("/anonymize", b'{"text": "a", "consistency": "yes"}', 422, "consistency must be"),
    ("/anonymize", b'{"text": "a", "seed": true}', 422, "seed must be an integer"),
    ("/anonymize", b'{"text": "a", "texts": ["b"]}', 422, "unknown field"),
])
def test_bad_requests_are_refused_with_a_message(server, path, raw, status, message):
    got, answer = post(server, path, raw=raw)
    assert got == status and message in answer["detail"]


def test_limits_413(server):
    status, answer = post(server, "/tag", {"text": "a " * 10_001})
    assert status == 413 and "--max-chars" in answer["detail"]
    status, answer = post(server, "/tag", {"texts": ["a " * 5000, "b " * 5001]})
    assert status == 413
    status, answer = post(server, "/anonymize", {"text": "é" * 20_001})
    assert status == 413
    # a declared body far over the limit is refused before it is sent
    parts = urlsplit(server)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=DEADLINE_S)
    conn.putrequest("POST", "/tag")
    conn.putheader("Content-Length", str(10**12))
    conn.endheaders()
    response = conn.getresponse()
    assert response.status == 413
    conn.close()
    assert post(server, "/tag", {"text": "a " * 9_999})[0] == 200


def test_unknown_paths_and_methods(server):
    assert request(server, "GET", "/nope")[0] == 404
    assert request(server, "GET", "/tag")[0] == 405


def test_health_and_metrics(model, server):
    status, _, body = request(server, "GET", "/health")
    health = json.loads(body)
    assert status == 200 and health["model"] == model[2] and health["queue_depth"] == 0
    before = metrics(server)
    assert post(server, "/tag", {"texts": ["M. Dupont demeure à Lyon.", "Un. Deux."]})[0] == 200
    assert post(server, "/tag", {"text": ""})[0] == 422
    after = metrics(server)

    def delta(key):
        return after.get(key, 0.0) - before.get(key, 0.0)

    assert delta('fastner_requests_total{endpoint="/tag",status="200"}') == 1
    assert delta('fastner_requests_total{endpoint="/tag",status="422"}') == 1
    assert delta('fastner_request_duration_seconds_count{endpoint="/tag"}') == 2
    assert delta("fastner_sentences_total") == 3
    assert delta("fastner_batch_sentences_sum") == 3
    assert delta("fastner_tokens_total") == delta("fastner_batch_tokens_sum") > 0
    assert after['fastner_batch_sentences_bucket{le="+Inf"}'] == after["fastner_batch_sentences_count"]
    assert after["fastner_tokens_per_second"] > 0
    assert after["fastner_queue_depth"] == 0 and after["fastner_max_queue"] == 256


# --- batching ------------------------------------------------------------------------------------------------------

def gated_server(model, **options):
    _, tagger, model_id = model
    gated = GatedTagger(tagger)
    opts = ServeOptions(log_level="warning", **options)
    return gated, serve_in_thread(create_app(gated, model_id, opts), opts)


def health(url: str) -> dict:
    return json.loads(request(url, "GET", "/health")[2])


def test_output_does_not_depend_on_the_batch(model):
    texts = documents(5, sentences=3, seed=7)
    gated, running = gated_server(model, max_batch=64, max_wait_ms=0)
    with running as url:
        alone = [post(url, "/tag", {"text": t}) for t in texts]
        assert all(status == 200 for status, _ in alone)
        n_batches = len(gated.batches)
        gated.gate.clear()
        gated.entered.clear()
        blocker, blocker_result = in_threads([lambda: post(url, "/tag", {"text": "Bonjour."})])
        wait_until(gated.entered.is_set, "the blocking batch")
        threads, together = in_threads([lambda t=t: post(url, "/tag", {"text": t}) for t in texts])
        n_sentences = sum(r["n_sentences"] for _, r in alone)
        wait_until(lambda: health(url)["queued_sentences"] == n_sentences, "all requests queued")
        gated.gate.set()
        for t in (*blocker, *threads):
            t.join(DEADLINE_S)
    assert blocker_result[0][0] == 200
    shared = gated.batches[n_batches + 1]  # the batch after the blocking one holds every request's sentences
    assert len(shared) == n_sentences
    assert len(gated.batches) == n_batches + 2
    for (status, record), (_, want) in zip(together, alone):
        assert status == 200
        assert_same(record, want)


def test_a_failing_request_does_not_fail_its_batch(model):
    texts = documents(3, sentences=2, seed=11)
    gated, running = gated_server(model, max_batch=64, max_wait_ms=0)
    with running as url:
        want = [post(url, "/tag", {"text": t})[1] for t in texts]
        gated.gate.clear()
        gated.entered.clear()
        blocker, _ = in_threads([lambda: post(url, "/tag", {"text": "Bonjour."})])
        wait_until(gated.entered.is_set, "the blocking batch")
        calls = [lambda t=t: post(url, "/tag", {"text": t}) for t in texts]
        calls.insert(1, lambda: post(url, "/tag", {"text": "Un POISON ici."}))
        threads, results = in_threads(calls)
        wait_until(lambda: health(url)["queue_depth"] == 5 and health(url)["queued_sentences"] >= 7, "queued")
        gated.gate.set()
        for t in (*blocker, *threads):
            t.join(DEADLINE_S)
        assert post(url, "/tag", {"text": texts[0]})[0] == 200  # the server goes on
    status, answer = results.pop(1)
    assert status == 500 and "could not be tagged" in answer["detail"]
    for (status, record), expected in zip(results, want):
        assert status == 200
        assert_same(record, expected)
    assert any(len(batch) > 2 and any("POISON" in s for s in batch) for batch in gated.batches)


def test_queue_full_answers_429_with_retry_after(model):
    gated, running = gated_server(model, max_queue=2)
    with running as url:
        gated.gate.clear()
        first, first_result = in_threads([lambda: post(url, "/tag", {"text": "Bonjour."}),
                                          lambda: post(url, "/tag", {"text": "Merci."})])
        wait_until(lambda: health(url)["queue_depth"] == 2, "two admitted requests")
        statuses = []
        for _ in range(5):
            status, headers, body = request(url, "POST", "/tag", {"text": "Encore."})
            statuses.append(status)
            assert int(headers["retry-after"]) >= 1 and "--max-queue" in json.loads(body)["detail"]
        assert request(url, "GET", "/health")[0] == 200  # health and metrics are never refused
        gated.gate.set()
        for t in first:
            t.join(DEADLINE_S)
        assert [r[0] for r in first_result] == [200, 200]
        assert post(url, "/tag", {"text": "Encore."})[0] == 200
        counts = metrics(url)
    assert statuses == [429] * 5
    assert counts['fastner_requests_total{endpoint="/tag",status="429"}'] == 5


def test_a_client_that_goes_away_has_its_work_dropped(model):
    text = " ".join(f"Phrase numéro {i}." for i in range(40))
    gated, running = gated_server(model)
    with running as url:
        gated.gate.clear()
        gated.entered.clear()
        blocker, blocker_result = in_threads([lambda: post(url, "/tag", {"text": "Bonjour."})])
        wait_until(gated.entered.is_set, "the blocking batch")
        parts = urlsplit(url)
        body = json.dumps({"text": text}).encode()
        with socket.create_connection((parts.hostname, parts.port)) as sock:
            sock.sendall(b"POST /tag HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                         b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
            wait_until(lambda: health(url)["queued_sentences"] == 40, "the document queued")
        wait_until(lambda: metrics(url)["fastner_requests_cancelled_total"] == 1, "the cancellation")
        gated.gate.set()
        blocker[0].join(DEADLINE_S)
        assert blocker_result[0][0] == 200
        assert post(url, "/tag", {"text": "Merci."})[0] == 200
        counts = metrics(url)
    assert counts["fastner_dropped_sentences_total"] == 40
    assert not any("Phrase numéro" in s for batch in gated.batches for s in batch)
    assert counts["fastner_queue_depth"] == 0


def test_a_lone_request_does_not_wait_for_companions(model):
    _, tagger, model_id = model
    options = ServeOptions(max_wait_ms=30_000, log_level="warning")
    with serve_in_thread(create_app(tagger, model_id, options), options) as url:
        for _ in range(3):
            assert post(url, "/tag", {"text": "M. Dupont demeure à Lyon."})[0] == 200
        counts = metrics(url)
    assert counts["fastner_queue_wait_seconds_count"] == 3
    assert counts['fastner_queue_wait_seconds_bucket{le="5"}'] == 3  # never the 30 s of --max-wait-ms


def test_concurrent_requests_share_batches_and_get_their_own_results(model, server):
    texts = documents(12, sentences=2, seed=5)
    want = [post(server, "/tag", {"text": t})[1] for t in texts]
    before = metrics(server)
    threads, results = in_threads([lambda t=t: post(server, "/tag", {"text": t}) for t in texts])
    for t in threads:
        t.join(DEADLINE_S)
    after = metrics(server)
    for (status, record), expected in zip(results, want):
        assert status == 200
        assert_same(record, expected)
    sentences = after["fastner_batch_sentences_sum"] - before["fastner_batch_sentences_sum"]
    assert sentences == sum(r["n_sentences"] for r in want)


# --- the command ---------------------------------------------------------------------------------------------------

def test_serve_command_logs_no_text_and_writes_nothing(model, tmp_path):
    workdir, tmpdir = tmp_path / "cwd", tmp_path / "tmp"
    workdir.mkdir()
    tmpdir.mkdir()
    env = dict(os.environ, TMPDIR=str(tmpdir), PYTHONPATH=str(REPO))
    proc = subprocess.Popen([sys.executable, "-m", "fastner.cli", "serve", "--model", str(model[0]), "--port", "0",
                             "--max-batch", "4", "--threads", "1"], cwd=workdir, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert "listening on http://127.0.0.1:" in line, line
        url = line.split("listening on ")[1].split()[0]
        secret = "Madame Zéphyrine Quintavalle-Brocard demeure 17 impasse des Mésanges."
        status, record = post(url, "/tag", {"text": secret})
        assert status == 200 and record["n_sentences"] == 1
        assert post(url, "/anonymize", {"text": secret})[0] == 200
        assert post(url, "/tag", {"text": secret, "oops": 1})[0] == 422
    finally:
        proc.send_signal(signal.SIGTERM)
        _, log = proc.communicate(timeout=DEADLINE_S)
    assert proc.returncode == -signal.SIGTERM  # uvicorn shuts down gracefully, then re-raises the signal
    assert "Application shutdown complete" in log
    assert "POST /tag status=200" in log and "POST /anonymize status=200" in log and "status=422" in log
    for word in ("Zéphyrine", "Quintavalle", "Mésanges", "impasse"):
        assert word not in log
    assert list(workdir.iterdir()) == [] and list(tmpdir.iterdir()) == []


@pytest.mark.parametrize(("args", "message"), [
    (["--max-batch", "0"], "--max-batch must be a positive integer"),
    (["--port", "70000"], "--port must be in 0..65535"),
    (["--max-wait-ms", "-1"], "--max-wait-ms must be in"),
    (["--model", "/nonexistent/model"], "not a directory"),
])
def test_serve_command_usage_errors(args, message, capsys):
    assert main(["serve", *args]) == 2
    assert message in capsys.readouterr().err


def test_listening_sockets_name_tcp_so_answers_are_not_delayed():
    from fastner.serve.app import listen

    sock = listen("127.0.0.1", 0)  # asyncio sets TCP_NODELAY only on sockets whose protocol is IPPROTO_TCP
    try:
        assert sock.proto == socket.IPPROTO_TCP and sock.getsockname()[1] > 0
    finally:
        sock.close()
