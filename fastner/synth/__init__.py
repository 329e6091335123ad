"""Synthetic French text with exact entity offsets, for training, benchmarks, applications and tests.

Modules: `labels` (the entity types, the one list), `lists` (word lists and templates, read from `data/`),
`variants` (harder surface forms), `decisions` (court-of-appeal decisions: `generate_documents`,
`iter_documents`, `legal_sentences`), `news` (short news-like sentences: `conll_like_sentences`).
"""
