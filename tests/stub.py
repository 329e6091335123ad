"""A deterministic stand-in for `SequenceTagger` in tests: it tags the word sequences it is given.

`LexiconTagger({"Jean Dupont": "PERS", "3 rue des Lilas": "ADDRESS"})` tags every occurrence of those token
sequences (case-sensitive) with BIOES tags and a fixed score, through `Sentence.set_tags` as the real tagger
does, so spans and offsets come out of the same code. `fail_on` makes `predict` raise on sentences holding
that string (to test failure handling); `calls` counts predict calls and sentences.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from fastner.text import Sentence, segtok_words


class LexiconTagger:
    def __init__(self, lexicon: Mapping[str, str], score: float = 0.95, scores: Mapping[str, float] | None = None,
                 fail_on: str | None = None) -> None:
        self.entries = sorted(((tuple(segtok_words(text)), label, (scores or {}).get(text, score))
                               for text, label in lexicon.items()), key=lambda e: -len(e[0]))
        self.tag_types = list(dict.fromkeys(lexicon.values()))
        self.fail_on = fail_on
        self.calls = 0
        self.sentences = 0

    def predict(self, inputs: Iterable[str | Sentence], mini_batch_size: int = 32, switches=None) -> list[Sentence]:
        sentences = [s if isinstance(s, Sentence) else Sentence(s) for s in inputs]
        self.calls += 1
        self.sentences += len(sentences)
        for sentence in sentences:
            if self.fail_on is not None and self.fail_on in sentence.text:
                raise RuntimeError(f"cannot tag {self.fail_on!r}")
            words = [t.text for t in sentence]
            tags, scores = ["O"] * len(words), [0.99] * len(words)
            i = 0
            while i < len(words):
                for entry, label, score in self.entries:
                    if tuple(words[i:i + len(entry)]) == entry:
                        n = len(entry)
                        tags[i:i + n] = [f"S-{label}"] if n == 1 else (
                            [f"B-{label}"] + [f"I-{label}"] * (n - 2) + [f"E-{label}"])
                        scores[i:i + n] = [score] * n
                        i += n
                        break
                else:
                    i += 1
            if words:
                sentence.set_tags(tags, scores)
        return sentences
