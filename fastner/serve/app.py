"""The ASGI app of `fastner serve` (FastAPI) and its uvicorn server: the only module importing either.

Per request on `POST /tag` and `POST /anonymize`, on the event loop: admission (429 with `Retry-After`
when `max_queue` requests are in the server), the body read up to `ServeOptions.max_body_bytes` (413
beyond), then `Service` in a pipeline thread (JSON parsing, validation, sentence splitting, records)
while a watcher waits for the client to disconnect (its queued work is then dropped). Predict itself
runs only in the batcher's worker thread. The log has one line per request: id, endpoint, status,
documents, characters, sentences, tokens, queue wait and latency; never a text.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import socket
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import uvicorn
from fastapi import FastAPI, Request, Response
from starlette.requests import ClientDisconnect

from fastner.serve.batcher import Batcher, Cancelled, Ticket
from fastner.serve.metrics import CONTENT_TYPE, Metrics
from fastner.serve.options import ServeOptions
from fastner.serve.service import Reply, RequestError, Service, error_reply, json_bytes
from fastner.switches import Switches

log = logging.getLogger("fastner.serve")
JSON = "application/json"
CLIENT_CLOSED = 499  # nginx's code for a request whose client went away (never sent; logged and counted)


class Server:
    """The service's state: one model, one batcher (one predict thread), the pipeline threads, metrics."""

    def __init__(self, tagger, model_id: str, options: ServeOptions, switches: Switches | None = None) -> None:
        self.options = options
        self.model_id = model_id
        self.metrics = Metrics()
        switches = switches or Switches.preset("fastest")

        def predict(sentences):  # in the batcher's worker thread only
            return tagger.predict(sentences, options.max_batch, switches)

        self.batcher = Batcher(predict, max_batch=options.max_batch, max_tokens=options.max_batch_tokens,
                               max_wait_s=options.max_wait_s, max_queue=options.max_queue,
                               on_batch=self.metrics.batch, on_wait=self.metrics.waited)
        self.service = Service(self.batcher, list(tagger.tag_types), model_id, options)
        self.pool = ThreadPoolExecutor(max_workers=options.max_queue, thread_name_prefix="fastner-pipeline")

    def start(self) -> None:
        self.batcher.start()

    def close(self) -> None:
        self.batcher.close()
        self.pool.shutdown(wait=True, cancel_futures=True)

    def retry_after(self) -> int:
        """Seconds until the queued sentences are likely tagged, at the recent rate (1 to 60)."""
        sentences_per_s, _ = self.metrics.rates()
        queued = self.batcher.depth()["sentences"]
        return 1 if sentences_per_s <= 0 else max(1, min(60, math.ceil(queued / sentences_per_s)))

    async def handle(self, request: Request, endpoint: str, work: Callable[[bytes, Ticket], Reply]) -> Response:
        started = time.perf_counter()
        request_id = uuid.uuid4().hex[:16]
        ticket = self.batcher.admit(request_id)
        if ticket is None:
            wait = self.retry_after()
            reply = error_reply(429, f"the queue is full ({self.options.max_queue} requests in the server, "
                                     f"--max-queue): retry after {wait} s", {"Retry-After": str(wait)})
            return self._answer(request_id, endpoint, reply, started, None)
        try:
            body = await _read_body(request, self.options.max_body_bytes)
            watcher = asyncio.create_task(_watch_disconnect(request, ticket))
            try:
                reply = await asyncio.get_running_loop().run_in_executor(self.pool, work, body, ticket)
            finally:
                watcher.cancel()
        except RequestError as err:
            reply = error_reply(err.status, err.message)
        except (Cancelled, ClientDisconnect):
            ticket.cancel()
            reply = error_reply(CLIENT_CLOSED, "the client went away")
            self.metrics.request_cancelled()
        except asyncio.CancelledError:
            ticket.cancel()
            raise
        except Exception as err:  # a bug: answer 500, log the type only (a message may quote the text)
            log.error("id=%s %s failed: %s", request_id, endpoint, type(err).__name__)
            reply = error_reply(500, f"internal error ({type(err).__name__})")
        finally:
            ticket.release()
        return self._answer(request_id, endpoint, reply, started, ticket)

    def _answer(self, request_id: str, endpoint: str, reply: Reply, started: float, ticket: Ticket | None) -> Response:
        seconds = time.perf_counter() - started
        self.metrics.request(endpoint, reply.status, seconds)
        sentences = ticket.sentences if ticket else 0
        tokens = ticket.tokens if ticket else 0
        queue_ms = 1000 * ticket.queue_wait if ticket else 0.0
        log.info("id=%s POST %s status=%d docs=%d chars=%d sentences=%d tokens=%d queue_ms=%.1f ms=%.1f",
                 request_id, endpoint, reply.status, reply.documents, reply.chars, sentences, tokens, queue_ms,
                 1000 * seconds)
        headers = {"X-Request-Id": request_id, **reply.headers}
        return Response(reply.body, reply.status, headers=headers, media_type=JSON)

    def health(self) -> dict:
        depth = self.batcher.depth()
        return {"status": "ok", "model": self.model_id, "queue_depth": depth["requests"],
                "queued_sentences": depth["sentences"], "max_queue": self.options.max_queue,
                "max_batch": self.options.max_batch, "max_wait_ms": self.options.max_wait_ms}

    def metrics_text(self) -> str:
        depth = self.batcher.depth()
        return self.metrics.render({
            "fastner_queue_depth": ("gauge", "Requests in the server (queued or being tagged).", depth["requests"]),
            "fastner_queued_sentences": ("gauge", "Sentences waiting for a batch.", depth["sentences"]),
            "fastner_max_queue": ("gauge", "Requests admitted at most (--max-queue).", self.options.max_queue),
            "fastner_dropped_sentences_total": ("counter", "Sentences of cancelled requests never tagged.",
                                                self.batcher.dropped_sentences),
        })


async def _read_body(request: Request, limit: int) -> bytes:
    """The request body, refused with 413 as soon as it is known to exceed `limit` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            size = int(declared)
        except ValueError:
            raise RequestError(400, f"invalid Content-Length {declared[:32]!r}") from None
        if size > limit:
            raise RequestError(413, f"the body has {size} bytes, over the limit of {limit} (from --max-chars)")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise RequestError(413, f"the body exceeds {limit} bytes (from --max-chars)")
        chunks.append(chunk)
    return b"".join(chunks)


async def _watch_disconnect(request: Request, ticket: Ticket) -> None:
    """Cancel `ticket` when the client disconnects (the body has been read: only a disconnect comes next)."""
    while True:
        message = await request.receive()
        if message["type"] == "http.disconnect":
            ticket.cancel()
            return


def create_app(tagger, model_id: str, options: ServeOptions | None = None, switches: Switches | None = None) -> FastAPI:
    """The FastAPI app serving `tagger` (its id `model_id`); the batcher starts with the app's lifespan."""
    options = options or ServeOptions()
    server = Server(tagger, model_id, options, switches)

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI):
        server.start()
        try:
            yield
        finally:
            await asyncio.get_running_loop().run_in_executor(None, server.close)

    app = FastAPI(title="fastner", summary="Named-entity tagging and pseudonymization with dynamic batching",
                  lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.server = server

    def route(endpoint: str, work: Callable[[bytes, Ticket], Reply]) -> Callable[[Request], Awaitable[Response]]:
        async def handler(request: Request) -> Response:
            return await server.handle(request, endpoint, work)

        handler.__doc__ = work.__doc__
        return handler

    app.post("/tag", summary="Tag one document or a list of documents")(route("/tag", server.service.tag))
    app.post("/anonymize", summary="Pseudonymize one document")(route("/anonymize", server.service.anonymize))

    @app.get("/health", summary="Model id and queue depth")
    async def health() -> Response:
        started = time.perf_counter()
        response = Response(json_bytes(server.health()), media_type=JSON)
        server.metrics.request("/health", 200, time.perf_counter() - started)
        return response

    @app.get("/metrics", summary="Prometheus text metrics")
    async def metrics() -> Response:
        server.metrics.request("/metrics", 200, 0.0)
        return Response(server.metrics_text(), media_type=CONTENT_TYPE)

    return app


# --- the server ------------------------------------------------------------------------------------------------

def listen(host: str, port: int) -> socket.socket:
    """A listening TCP socket on `host:port` (port 0: any free port); OSError if it cannot be bound.

    The protocol is named (IPPROTO_TCP): asyncio sets TCP_NODELAY only on such sockets, and without it
    Nagle's algorithm and delayed ACKs add about 40 ms to every answer sent in two writes."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(2048)
    except OSError:
        sock.close()
        raise
    return sock


def uvicorn_server(app: FastAPI, options: ServeOptions) -> uvicorn.Server:
    """uvicorn with its access log off (the app logs requests itself) and logging left to the caller."""
    config = uvicorn.Config(app, log_config=None, log_level=options.log_level, access_log=False, lifespan="on",
                            timeout_graceful_shutdown=5)
    return uvicorn.Server(config)


@contextlib.contextmanager
def serve_in_thread(app: FastAPI, options: ServeOptions | None = None, host: str = "127.0.0.1",
                    startup_timeout: float = 30.0) -> Iterator[str]:
    """Run `app` on a free port of `host` in a background thread; yield its base URL; stop it on exit."""
    options = options or ServeOptions()
    sock = listen(host, 0)
    port = sock.getsockname()[1]
    server = uvicorn_server(app, options)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="fastner-serve", daemon=True)
    thread.start()
    deadline = time.monotonic() + startup_timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            sock.close()
            raise RuntimeError("the server did not start")
        time.sleep(0.01)
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()
