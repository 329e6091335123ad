"""`fastner serve`: the tagger and the pseudonymizer as an HTTP service, with dynamic batching.

Modules: `options` (the service's settings, declared once; the CLI is generated from them), `batcher`
(concurrent requests' sentences gathered into mini-batches for one predict thread), `service` (requests
validated and run through the `fastner tag` / `fastner anonymize` pipeline), `metrics` (Prometheus text),
`app` (the FastAPI app and the uvicorn server), `client` (a small asyncio HTTP client for the load
benchmark), `bench` (`fastner serve-bench` and its report), `cli` (the sub-commands).

FastAPI and uvicorn come with the optional extra `fastner[serve]`; only `app` imports them, and nothing
outside this package imports `app`.
"""
