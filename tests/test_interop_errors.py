"""fastner.interop: what is refused, and how. The first part runs without Flair; the second needs flair 0.15."""

from __future__ import annotations

import argparse
import pickle
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import torch

import fastner.interop.flair as interop
from fastner.interop.cli import register
from fastner.interop.flair import (
    FlairNotInstalledError,
    UnsupportedFlairModelError,
    UntrustedPickleError,
    from_flair,
    load_flair_file,
)


class _Touch:
    """Unpickling this creates a file: proof that a pickle ran code."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self):
        return (Path.touch, (self.path,))


@pytest.fixture
def evil_pickle(tmp_path) -> tuple[Path, Path]:
    marker = tmp_path / "pickle-ran"
    path = tmp_path / "model.pt"
    path.write_bytes(pickle.dumps(_Touch(marker)))
    return path, marker


@pytest.fixture
def no_flair(monkeypatch):
    """Flair cannot be imported (whether or not it is installed)."""
    monkeypatch.setitem(sys.modules, "flair", None)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="fastner")
    register(parser.add_subparsers(dest="command", required=True))
    return parser


# --- Without Flair -----------------------------------------------------------------------------------------

def test_core_and_interop_modules_never_import_flair():
    code = textwrap.dedent("""
        import sys
        import fastner, fastner.tagger, fastner.io, fastner.cli, fastner.text
        import fastner.interop, fastner.interop.flair, fastner.interop.cli
        heavy = sorted(m for m in sys.modules if m.split(".")[0] in ("flair", "gensim", "transformers"))
        assert not heavy, heavy
    """)
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_load_flair_file_refuses_pickles_without_consent(evil_pickle, no_flair):
    path, marker = evil_pickle
    with pytest.raises(UntrustedPickleError, match="trust_pickle=True") as err:
        load_flair_file(path)
    assert "executes code" in str(err.value) and str(path) in str(err.value)
    with pytest.raises(UntrustedPickleError):
        load_flair_file(path, trust_pickle=False)
    assert not marker.exists()  # refused before reading the file


def test_load_flair_file_missing_file_never_downloads(tmp_path, no_flair):
    with pytest.raises(FileNotFoundError, match="never downloads"):
        load_flair_file(tmp_path / "ner-english.pt", trust_pickle=True)
    with pytest.raises(FileNotFoundError):
        load_flair_file("ner", trust_pickle=True)  # a Flair hub name is not a file here


def test_without_flair_installed_the_error_says_what_to_install(evil_pickle, no_flair):
    path, marker = evil_pickle
    with pytest.raises(FlairNotInstalledError, match=r"pip install 'flair==0\.15\.1' gensim"):
        from_flair(object())
    with pytest.raises(FlairNotInstalledError):
        load_flair_file(path, trust_pickle=True)
    assert not marker.exists()  # Flair is checked before the pickle is read


def test_cli_refuses_without_trust_pickle(evil_pickle, tmp_path, capsys):
    path, marker = evil_pickle
    out_dir = tmp_path / "out"
    args = _parser().parse_args(["convert-flair", str(path), str(out_dir)])
    assert args.func(args) == 2
    assert "--trust-pickle" in capsys.readouterr().err
    assert not marker.exists() and not out_dir.exists()


def test_cli_errors_are_messages_not_tracebacks(evil_pickle, tmp_path, capsys, no_flair):
    path, marker = evil_pickle
    args = _parser().parse_args(["convert-flair", str(tmp_path / "missing.pt"), str(tmp_path / "out"),
                                 "--trust-pickle"])
    assert args.func(args) == 1
    assert "missing.pt" in capsys.readouterr().err
    args = _parser().parse_args(["convert-flair", str(path), str(tmp_path / "out"), "--trust-pickle"])
    assert args.func(args) == 1
    assert "pip install" in capsys.readouterr().err
    assert not marker.exists()


def test_cli_help_and_required_arguments(capsys):
    with pytest.raises(SystemExit):
        _parser().parse_args(["convert-flair", "--help"])
    assert "--trust-pickle" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        _parser().parse_args(["convert-flair", "model.pt"])  # OUT_DIR missing


def test_unsupported_error_lists_every_problem():
    err = UnsupportedFlairModelError(["first problem", "second problem"])
    assert err.problems == ["first problem", "second problem"]
    assert "first problem" in str(err) and "second problem" in str(err) and isinstance(err, ValueError)


# --- With Flair: what does not convert -----------------------------------------------------------------------

@pytest.fixture(scope="module")
def flair_parts(tmp_path_factory):
    """Builders of small random Flair models (nothing downloaded)."""
    pytest.importorskip("flair")
    gensim_models = pytest.importorskip("gensim.models")
    from flair.data import Dictionary
    from flair.embeddings import FlairEmbeddings, StackedEmbeddings, WordEmbeddings
    from flair.models import LanguageModel, SequenceTagger

    words = ["le", "la", "dupont", "lyon", "paris", "rue", "##", "0000"]
    kv = gensim_models.KeyedVectors(8)
    kv.add_vectors(words, np.random.default_rng(0).standard_normal((len(words), 8)).astype(np.float32))
    vectors = tmp_path_factory.mktemp("flair") / "vectors.kv"
    kv.save(str(vectors))
    chars = Dictionary(add_unk=True)
    for char in "abcdefghijklmnopqrstuvwxyz .,'":
        chars.add_item(char)

    def lm(forward=True, **kwargs):
        return LanguageModel(chars, is_forward_lm=forward, hidden_size=8, nlayers=1, embedding_size=4, **kwargs).eval()

    def tags(*labels, spans=True):
        dictionary = Dictionary(add_unk=False)
        for label in labels or ("PERS", "LOC"):
            dictionary.add_item(label)
        dictionary.span_labels = spans
        return dictionary

    def tagger(embeddings=None, tag_dictionary=None, **kwargs):
        if embeddings is None:
            embeddings = StackedEmbeddings([WordEmbeddings(str(vectors)), FlairEmbeddings(lm(True)),
                                            FlairEmbeddings(lm(False))])
        kwargs.setdefault("tag_format", "BIOES")
        return SequenceTagger(hidden_size=8, embeddings=embeddings, tag_dictionary=tag_dictionary or tags(),
                              tag_type="ner", **kwargs).eval()

    return argparse.Namespace(lm=lm, tags=tags, tagger=tagger, vectors=str(vectors), WordEmbeddings=WordEmbeddings,
                              FlairEmbeddings=FlairEmbeddings, StackedEmbeddings=StackedEmbeddings)


def refused(model, *fragments) -> UnsupportedFlairModelError:
    with pytest.raises(UnsupportedFlairModelError) as err:
        from_flair(model)
    for fragment in fragments:
        assert fragment in str(err.value), str(err.value)
    return err.value


def test_a_plain_model_converts(flair_parts):
    flair_tagger = flair_parts.tagger()
    state = torch.random.get_rng_state()
    tagger = from_flair(flair_tagger)
    assert torch.equal(torch.random.get_rng_state(), state)  # the caller's RNG is left alone
    assert tagger.use_crf and tagger.tags[-2:] == ["<START>", "<STOP>"] and len(tagger.embeddings) == 3


@pytest.mark.parametrize(("options", "fragment"), [
    ({"rnn_type": "GRU"}, "rnn_type='GRU'"),
    ({"rnn_type": "RNN"}, "rnn_type='RNN'"),
    ({"use_rnn": False}, "use_rnn=False"),
    ({"bidirectional": False}, "bidirectional=False"),
    ({"tag_format": "BIO"}, "tag_format='BIO'"),
])
def test_tagger_options_fastner_lacks(flair_parts, options, fragment):
    refused(flair_parts.tagger(**options), fragment)


def test_token_label_taggers_are_refused(flair_parts):
    refused(flair_parts.tagger(tag_dictionary=flair_parts.tags("NOUN", "VERB", spans=False)),
            "predict_spans=False", "not BIOES: ['NOUN', 'VERB']")


def test_every_flair_embeddings_option_problem_is_listed(flair_parts):
    f = flair_parts
    stack = f.StackedEmbeddings([f.FlairEmbeddings(f.lm(True), with_whitespace=False),
                                 f.FlairEmbeddings(f.lm(False), is_lower=True),
                                 f.FlairEmbeddings(f.lm(True), tokenized_lm=False)])
    err = refused(f.tagger(stack), "with_whitespace=False", "is_lower=True", "tokenized_lm=False")
    assert len(err.problems) == 3


def test_language_model_variants(flair_parts):
    f = flair_parts
    refused(f.tagger(f.StackedEmbeddings([f.FlairEmbeddings(f.lm(True, recurrent_type="GRU"))])),
            "GRU", "fastner runs torch.nn.LSTM only")
    refused(f.tagger(f.StackedEmbeddings([f.FlairEmbeddings(f.lm(True, document_delimiter="\t"))])),
            "document_delimiter is '\\t'")


def test_character_dictionary_without_unk_first(flair_parts):
    from flair.data import Dictionary
    from flair.models import LanguageModel

    chars = Dictionary(add_unk=False)
    for char in "abc ":
        chars.add_item(char)
    lm = LanguageModel(chars, is_forward_lm=True, hidden_size=8, nlayers=1, embedding_size=4).eval()
    refused(flair_parts.tagger(flair_parts.FlairEmbeddings(lm)), "item 0 of its character dictionary is 'a'")


def test_word_embedding_variants(flair_parts):
    f = flair_parts
    refused(f.tagger(f.WordEmbeddings(f.vectors, stable=True)), "stable=True")
    refused(f.tagger(f.WordEmbeddings(f.vectors, field="lemma")), "field=")
    words = f.WordEmbeddings(f.vectors)
    with torch.no_grad():
        words.embedding.weight[-1] = 1.0  # a trained unknown-word vector
    refused(f.tagger(words), "unknown-word vector (row 8) is not zero")


def test_other_embedding_classes_are_named(flair_parts):
    from flair.embeddings import TokenEmbeddings

    class SentencePieceThing(TokenEmbeddings):
        def __init__(self) -> None:
            self.name = "custom"
            self.static_embeddings = True
            super().__init__()

        @property
        def embedding_length(self) -> int:
            return 3

        def _add_embeddings_internal(self, sentences):
            for sentence in sentences:
                for token in sentence:
                    token.set_embedding(self.name, torch.zeros(3))
            return sentences

    f = flair_parts
    stack = f.StackedEmbeddings([f.WordEmbeddings(f.vectors), SentencePieceThing()])
    refused(f.tagger(stack), "'1-custom' is a", "SentencePieceThing", "WordEmbeddings and FlairEmbeddings only")


def test_duplicate_embedding_names(flair_parts):
    f = flair_parts
    stack = f.StackedEmbeddings([f.WordEmbeddings(f.vectors, name="same"), f.WordEmbeddings(f.vectors, name="same")],
                                overwrite_names=False)
    refused(f.tagger(stack), "share the name(s) ['same']")


def test_not_a_sequence_tagger(flair_parts):
    refused(torch.nn.Linear(2, 2), "expected a flair.models.SequenceTagger", "torch.nn.modules.linear.Linear")


def test_other_flair_versions_are_refused(flair_parts, monkeypatch):
    import flair

    monkeypatch.setattr(flair, "__version__", "0.14.0")
    with pytest.raises(FlairNotInstalledError, match=r"flair 0\.14\.0 is installed"):
        from_flair(flair_parts.tagger())


def test_saved_files_that_are_not_taggers(flair_parts, tmp_path):
    path = tmp_path / "other.pt"
    torch.save({"state_dict": {}, "__cls__": "TextClassifier"}, path)
    with pytest.raises(UnsupportedFlairModelError, match="holds a Flair TextClassifier"):
        load_flair_file(path, trust_pickle=True)
    torch.save({"weights": torch.zeros(2)}, path)
    with pytest.raises(UnsupportedFlairModelError, match="not a saved Flair model"):
        load_flair_file(path, trust_pickle=True)


def test_module_exposes_the_supported_series():
    assert interop.FLAIR_SERIES == "0.15"
