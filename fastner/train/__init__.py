"""Training-side tools: CoNLL I/O, metrics, character-LM and tagger training, the default model's recipe."""
