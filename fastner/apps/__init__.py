"""Applications over the tagger: `fastner tag` and `fastner anonymize` for document collections.

Modules: `documents` (inputs, validation, sentence splitting with offsets), `pipeline` (the streamed
document pipeline), `runs` (resumable runs, manifest, atomic writes, progress), `tag` (the bundled model),
`anonymize` (strategies, consistency), `review` (checklists), `html` (document
view), `cli` (`register(subparsers)`), `recall_report` (consistency's effect on recall).
"""
