"""Bridges to other NER toolkits.

`fastner.interop.flair` converts Flair 0.15 SequenceTaggers (in memory or saved `.pt` files) into fastner
taggers; it imports Flair lazily, inside its functions, so importing this package (or fastner's core) never
needs Flair installed. `fastner.interop.cli` holds the `convert-flair` subcommand.
"""
