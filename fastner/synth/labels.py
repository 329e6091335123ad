"""The entity types of the synthetic decisions, hence of the bundled model and the benchmarks' models."""

from __future__ import annotations

LABELS = ("PERS", "ADDRESS", "ORGANIZATION", "LAWYER", "JUDGE_CLERK", "BAR", "COURT", "DATE")
PERSON_LABELS = ("PERS", "LAWYER", "JUDGE_CLERK")  # the types naming a person
