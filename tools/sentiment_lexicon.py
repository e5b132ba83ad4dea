"""Lexicon sentiment scores: vaderSentiment for English, snownlp for Chinese.

Both install offline and run in milliseconds. They are the baselines ``shopbot eval reviews``
measures :mod:`tools.sentiment` against (used as an extra feature of its learned head they
did not improve it, so the analyzer does not call them). Scores are in [-1, 1]: vader's compound score as is, snownlp's P(positive) as ``2p - 1``.

Deliberately not here: labels (thresholds belong to whoever turns a score into a label, see
:func:`lexicon_label`), clause splitting, learned models. The libraries are imported on first
use and kept by the scorer instance, not at module level.
"""

from __future__ import annotations

from typing import Any

from tools.clauses import Lang, detect_language

VADER_NEUTRAL_BAND = 0.05  # vader's documented threshold for its compound score
SNOWNLP_NEUTRAL_BAND = 0.1  # |2p - 1| below this is neutral


class LexiconNotInstalledError(ImportError):
    """vaderSentiment or snownlp is missing; the message has the pip command."""


class LexiconScorer:
    """Scores text with vader (English) or snownlp (Chinese); libraries loaded lazily, once."""

    def __init__(self) -> None:
        self._vader: Any = None
        self._snownlp: Any = None

    def score(self, text: str, lang: Lang | None = None) -> float:
        """Lexicon polarity of ``text`` in [-1, 1]; 0.0 for text with no words."""
        lang = lang or detect_language(text)
        if not text.strip():
            return 0.0
        if lang == "zh":
            return self._snownlp_score(text)
        return float(self._vader_analyzer().polarity_scores(text)["compound"])

    def _vader_analyzer(self) -> Any:
        if self._vader is None:
            try:
                from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer
            except ImportError as error:
                raise LexiconNotInstalledError(_hint("vaderSentiment")) from error
            self._vader = SentimentIntensityAnalyzer()
        return self._vader

    def _snownlp_score(self, text: str) -> float:
        if self._snownlp is None:
            try:
                from snownlp import SnowNLP
            except ImportError as error:
                raise LexiconNotInstalledError(_hint("snownlp")) from error
            self._snownlp = SnowNLP
        return 2.0 * float(self._snownlp(text).sentiments) - 1.0


def lexicon_label(score: float, lang: Lang) -> str:
    """positive / negative / neutral for a lexicon score, with each library's neutral band."""
    band = SNOWNLP_NEUTRAL_BAND if lang == "zh" else VADER_NEUTRAL_BAND
    if score >= band:
        return "positive"
    if score <= -band:
        return "negative"
    return "neutral"


def _hint(package: str) -> str:
    return f"{package} is not installed; install the review extra: pip install '.[reviews]'"
