"""`fastner convert-flair FLAIR.pt OUT_DIR --trust-pickle`: a saved Flair tagger -> fastner's safetensors format.

`register(subparsers)` adds the subcommand to fastner's argparse parser; Flair is imported only when the
command runs.
"""

from __future__ import annotations

import argparse
import sys


def register(subparsers) -> None:
    """Add `convert-flair` to an argparse subparsers object (from `add_subparsers`)."""
    p = subparsers.add_parser(
        "convert-flair", help="convert a saved Flair 0.15 SequenceTagger (.pt) to fastner's format (needs flair)",
        description="Load a Flair 0.15 SequenceTagger saved with tagger.save() and write it as a fastner model "
                    "directory (config.json + model.safetensors, no pickle). Needs flair==0.15.1 and gensim. "
                    "Only WordEmbeddings and FlairEmbeddings with an LSTM-(CRF) tagger on BIOES tags convert; "
                    "anything else is refused with the reason.")
    p.add_argument("flair_model", help="path to the Flair .pt file (a local file: nothing is downloaded)")
    p.add_argument("out_dir", help="directory to write config.json and model.safetensors into")
    p.add_argument("--trust-pickle", action="store_true",
                   help="required: a Flair .pt file is a pickle, and loading it executes code from the file")
    p.set_defaults(func=cmd_convert_flair)


def cmd_convert_flair(args: argparse.Namespace) -> int:
    if not args.trust_pickle:
        print(f"fastner convert-flair: refusing to load {args.flair_model}: a Flair model file is a Python pickle "
              "and loading it executes code from the file. Re-run with --trust-pickle if you trust its source.",
              file=sys.stderr)
        return 2
    from fastner.interop.flair import FlairNotInstalledError, UnsupportedFlairModelError, load_flair_file

    try:
        tagger = load_flair_file(args.flair_model, trust_pickle=True)
    except (FlairNotInstalledError, UnsupportedFlairModelError, FileNotFoundError) as err:
        print(f"fastner convert-flair: {err}", file=sys.stderr)
        return 1
    tagger.save(args.out_dir)
    parts = ", ".join(f"{e.name} ({e.dim})" for e in tagger.embeddings)
    print(f"wrote {args.out_dir}: {len(tagger.tags)} tags, {'CRF' if tagger.use_crf else 'no CRF'}, "
          f"BiLSTM {tagger.rnn_layers}x{tagger.hidden_size}, embeddings {parts}")
    return 0
