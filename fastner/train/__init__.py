"""Training-side tools: synthetic data generation (and, later, CoNLL I/O, metrics, trainers)."""
