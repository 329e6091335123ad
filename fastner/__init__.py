"""fastner: Flair's BiLSTM-CRF tagger, with every 2019 inference optimization as a switch."""

from fastner.switches import Switches
from fastner.tagger import SequenceTagger
from fastner.text import Sentence, Span, Token

__all__ = ["Sentence", "SequenceTagger", "Span", "Switches", "Token"]
__version__ = "0.1.0"
