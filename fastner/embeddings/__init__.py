"""The stacked embeddings: static word vectors and character language models."""
