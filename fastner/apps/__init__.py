"""Applications over the tagger: `fastner tag` and `fastner anonymize` for document collections.

Modules: `documents` (inputs, validation, sentence splitting with offsets), `pipeline` (the streamed
document pipeline), `runs` (resumable runs, manifest, atomic writes, progress), `tag` (the bundled model),
`anonymize` (strategies, consistency), `review` (checklists), `html` (document
view), `distributed` (the Ray engine), `cli` (`register(subparsers)`).
Their benchmarks and reports live with them and use fastner.perf's helpers (perf never imports apps):
`recall_report` (consistency's effect on recall), `tag_overhead` (the pipeline against predict alone),
`scale_ray` (the Ray engine against the local one).
"""
