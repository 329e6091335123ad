"""The requests of `fastner serve` without HTTP: validation, the pipeline run, the answer's bytes.

`POST /tag` and `POST /anonymize` go through `fastner.apps.pipeline.process_texts`, the code path of
`fastner tag` and `fastner anonymize`, with `BatchedTagger` as the tagger: the record of `/tag` is the
JSONL line `fastner tag` writes for the same document, and `/anonymize` answers the pseudonymized text
and the review checklist `fastner anonymize` writes (`DOC.txt`, `DOC.review.json`), plus the list of
replaced slices. Documents are identified `doc0`, `doc1`... in the order sent.

Refusals: a body that is not JSON -> 400; wrong, missing or unknown fields, text that is not valid
Unicode (a lone surrogate), or a document `fastner tag` refuses (empty, only whitespace, NUL characters)
-> 422; more than `max_chars` characters in one request -> 413. Messages name the field and the document
index, never the text. Everything runs in memory: nothing is written to disk.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from fastner.apps.anonymize import DEFAULT_TYPES, STRATEGIES
from fastner.apps.pipeline import DocResult, Settings, process_texts
from fastner.serve.batcher import BatchedTagger, Batcher, Cancelled, Ticket
from fastner.serve.options import ServeOptions

INPUT_REASONS = frozenset({"empty", "binary", "too_large", "invalid_utf8"})  # refused documents: 422


class RequestError(Exception):
    """A request refused with `status` and a message for the client."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


@dataclass
class Reply:
    """An answer's status and JSON body, and the sizes logged with it (never the text)."""

    status: int
    body: bytes
    documents: int = 0
    chars: int = 0
    headers: dict[str, str] = field(default_factory=dict)


def json_bytes(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode("utf-8")


def error_reply(status: int, message: str, headers: dict[str, str] | None = None) -> Reply:
    return Reply(status, json_bytes({"detail": message}), headers=headers or {})


def _parse(body: bytes) -> dict[str, Any]:
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise RequestError(400, f"the body is not valid JSON: {err}") from None
    except RecursionError:
        raise RequestError(400, "the body is not valid JSON: nested too deeply") from None
    if not isinstance(payload, dict):
        raise RequestError(422, f"the body must be a JSON object, not {type(payload).__name__}")
    return payload


def _check_fields(payload: dict[str, Any], allowed: tuple[str, ...]) -> None:
    unknown = [k for k in payload if k not in allowed]
    if unknown:
        raise RequestError(422, f"unknown field(s) {', '.join(map(repr, unknown))}: expected {', '.join(allowed)}")


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise RequestError(422, f"{where} must be a string, not {_kind(value)}")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as err:
        raise RequestError(422, f"{where} is not valid Unicode: lone surrogate at character {err.start}") from None
    return value


def _kind(value: Any) -> str:
    return "null" if value is None else type(value).__name__


class Service:
    """Runs validated requests through the pipeline with the batcher as the tagger."""

    def __init__(self, batcher: Batcher, tag_types: list[str], model_id: str, options: ServeOptions) -> None:
        self.batcher = batcher
        self.tag_types = list(tag_types)
        self.model_id = model_id
        self.options = options
        # sentences a request hands to the batcher at once: a long document is tagged a few batches at a time,
        # so the Sentences in memory stay bounded per request (a speed setting: outputs do not depend on it)
        self.chunk_sentences = max(32, 4 * options.max_batch)

    # -- POST /tag ------------------------------------------------------------------------------------------

    def tag(self, body: bytes, ticket: Ticket) -> Reply:
        """`{"text": str}` -> the document's record; `{"texts": [str, ...]}` -> `{"documents": [record, ...]}`."""
        try:
            payload = _parse(body)
            _check_fields(payload, ("text", "texts"))
            if ("text" in payload) == ("texts" in payload):
                raise RequestError(422, 'give exactly one of "text" (one document) or "texts" (a list of documents)')
            if "text" in payload:
                texts, names = [_text(payload["text"], "text")], ["text"]
            else:
                items = payload["texts"]
                if not isinstance(items, list):
                    raise RequestError(422, f"texts must be a list of strings, not {_kind(items)}")
                texts = [_text(t, f"texts[{i}]") for i, t in enumerate(items)]
                names = [f"texts[{i}]" for i in range(len(texts))]
            self._check_size(texts)
            settings = Settings(mode="tag", review=False, chunk_sentences=self.chunk_sentences)
            results = self._run(texts, names, settings, ticket)
        except RequestError as err:
            return error_reply(err.status, err.message)
        records = [r.files[".jsonl"].rstrip("\n") for r in results]
        body_text = records[0] if "text" in payload else '{"documents": [' + ", ".join(records) + "]}"
        return Reply(200, body_text.encode("utf-8"), len(texts), sum(map(len, texts)))

    # -- POST /anonymize ------------------------------------------------------------------------------------

    def anonymize(self, body: bytes, ticket: Ticket) -> Reply:
        """`{"text", "strategy", "types", "consistency", "seed"}` (only `text` required) ->
        `{"text": pseudonymized, "replacements": [...], "review": {...}}`."""
        try:
            payload = _parse(body)
            _check_fields(payload, ("text", "strategy", "types", "consistency", "seed"))
            if "text" not in payload:
                raise RequestError(422, 'missing field "text"')
            text = _text(payload["text"], "text")
            settings = Settings(mode="anonymize", chunk_sentences=self.chunk_sentences,
                                **self._anonymize_options(payload))
            self._check_size([text])
            (result,) = self._run([text], ["text"], settings, ticket)
        except RequestError as err:
            return error_reply(err.status, err.message)
        replacements = [{"start": m.start, "end": m.end, "label": m.label, "text": text[m.start:m.end],
                         "replacement": m.replacement, "source": m.source,
                         "score": None if m.score is None else round(float(m.score), 4)} for m in result.marks]
        answer = {"text": result.files[".txt"], "replacements": replacements,
                  "review": json.loads(result.files[".review.json"])}
        return Reply(200, json_bytes(answer), 1, len(text))

    def _anonymize_options(self, payload: dict[str, Any]) -> dict[str, Any]:
        strategy = payload.get("strategy", "placeholder")
        if strategy not in STRATEGIES:
            raise RequestError(422, f"strategy must be one of {', '.join(STRATEGIES)}, not {strategy!r}")
        types = payload.get("types", list(DEFAULT_TYPES))
        if not isinstance(types, list) or not types or not all(isinstance(t, str) for t in types):
            raise RequestError(422, f"types must be a non-empty list of strings (this model tags "
                                    f"{', '.join(self.tag_types)})")
        unknown = [t for t in types if t not in self.tag_types]
        if unknown:
            raise RequestError(422, f"unknown type(s) {', '.join(unknown)}: this model tags "
                                    f"{', '.join(self.tag_types)}")
        consistency = payload.get("consistency", True)
        if not isinstance(consistency, bool):
            raise RequestError(422, f"consistency must be true or false, not {_kind(consistency)}")
        seed = payload.get("seed", 0)
        if not isinstance(seed, int) or isinstance(seed, bool):
            raise RequestError(422, f"seed must be an integer, not {_kind(seed)}")
        return {"strategy": strategy, "types": tuple(dict.fromkeys(types)), "consistency": consistency, "seed": seed}

    # -- both -----------------------------------------------------------------------------------------------

    def _check_size(self, texts: list[str]) -> None:
        chars = sum(map(len, texts))
        if chars > self.options.max_chars:
            raise RequestError(413, f"the request has {chars} characters, over the limit of "
                                    f"{self.options.max_chars} (--max-chars)")

    def _run(self, texts: list[str], names: list[str], settings: Settings, ticket: Ticket) -> list[DocResult]:
        """The pipeline over `texts`, tagged by the batcher; every document must succeed."""
        failures: list[dict[str, Any]] = []
        ids = [f"doc{i}" for i in range(len(texts))]
        tagger = BatchedTagger(self.batcher, ticket, self.tag_types)
        results = process_texts(texts, tagger, settings, self.model_id, ids=ids, on_error=failures.append)
        if ticket.cancelled:
            raise Cancelled("the client went away")
        if failures:
            where = dict(zip(ids, names))
            refused = [f for f in failures if f["reason"] in INPUT_REASONS]
            first = (refused or failures)[0]
            message = f"{where.get(first['id'], first['id'])}: {first['reason']} ({first['detail']})"
            if refused:
                raise RequestError(422, f"{message}: fastner tag refuses such a document")
            if self.batcher.closed:
                raise RequestError(503, "the server is shutting down")
            raise RequestError(500, f"{message}: the document could not be tagged")
        return results
