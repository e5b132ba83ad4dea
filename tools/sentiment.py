"""Review sentiment: a label, a score in [-1, 1] and per-aspect sentiment, Chinese and English.

How a review is scored:

1. The review and each of its clauses (:mod:`tools.clauses`) are embedded in one batch
   (multilingual-e5-small by default) and scored by the learned head
   (:mod:`tools.sentiment_head`). The head is trained on English only (the data we may ship);
   the multilingual embedder carries it to Chinese. Lexicon scores (vader, snownlp) were
   measured as extra features and did not help, so they are the baselines, not a signal.
2. A star rating, when given, shifts the review's class log-odds towards its end of the scale.
3. The review is **mixed** when one clause is clearly positive and another clearly negative
   ("works okay but battery life is short", "质量不错，就是物流太慢了"). How clear depends on the
   clause: least for one that opens with a contrast marker (but, 但是, 就是 ...), more for one
   about an aspect, most for any other (short asides like "下次再来" are often misjudged). Otherwise the label is the
   review's polarity: the most probable of positive / neutral / negative (a mixed review keeps
   its polarity too). The score is P(positive) - P(negative).
4. Every aspect a clause mentions (:mod:`tools.topics`) gets that clause's label and score.

The embedder and head are passed in (:func:`load_analyzer` builds the shipped pair), so tests
and callers decide what is loaded, once. Deliberately not here: per-product aggregation
(:mod:`tools.review_insights`), evaluation (``shopbot eval reviews``), generative models.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from index.embedders import Embedder
from tools.clauses import Clause, Lang, detect_language, split_clauses
from tools.sentiment_head import CLASSES, SentimentHead
from tools.topics import find_aspects

LABELS: tuple[str, ...] = ("positive", "negative", "neutral", "mixed")
MAX_CLAUSES = 12  # clauses scored per review; a longer review's tail shares the last clause's score
MAX_CHARS = 2000  # text beyond this is not read (the embedder truncates far earlier anyway)


@dataclass(frozen=True)
class TopicMention:
    """One aspect mention with the sentiment of the clause it sits in."""

    aspect: str
    term: str
    label: str
    score: float
    text: str  # the clause


@dataclass(frozen=True)
class ClauseSentiment:
    text: str
    start: int
    end: int
    label: str
    score: float


@dataclass(frozen=True)
class ReviewSentiment:
    label: str  # one of LABELS
    score: float  # P(positive) - P(negative), in [-1, 1]
    polarity: str  # positive / negative / neutral: the review's leaning, also when it is mixed
    lang: Lang
    probabilities: dict[str, float]  # negative / neutral / positive, after the rating
    topics: tuple[TopicMention, ...]
    clauses: tuple[ClauseSentiment, ...]

    def to_dict(self, *, details: bool = False) -> dict[str, Any]:
        """JSON-ready: label, score, topics; with ``details`` also lang, probabilities, clauses."""
        out: dict[str, Any] = {
            "label": self.label,
            "score": round(self.score, 4),
            "topics": [{**asdict(mention), "score": round(mention.score, 4)} for mention in self.topics],
        }
        if details:
            out["polarity"] = self.polarity
            out["lang"] = self.lang
            out["probabilities"] = {key: round(value, 4) for key, value in self.probabilities.items()}
            out["clauses"] = [{**asdict(clause), "score": round(clause.score, 4)} for clause in self.clauses]
        return out


@dataclass(frozen=True)
class AnalyzerConfig:
    """Decision thresholds; the defaults are the ones ``shopbot eval reviews`` measured."""

    mixed_threshold: float = 0.6  # a clause about an aspect at or beyond +/- this is clearly polar
    contrast_threshold: float = 0.35  # the same for a clause that opens with "but", "但是", ...
    plain_threshold: float = 0.85  # the same for any other clause ("下次再来", "I'm back")
    rating_weight: float = 1.5  # log-odds shift per star away from 3 (1-5 scale)


class SentimentAnalyzer:
    """Scores reviews with an embedder and a trained head; build once, pass it to whoever needs it."""

    def __init__(
        self,
        embedder: Embedder,
        head: SentimentHead,
        *,
        config: AnalyzerConfig | None = None,
    ) -> None:
        head.check_embedder(embedder.name)
        if head.n_features != embedder.dim:
            raise ValueError(
                f"sentiment head expects {head.n_features}-d embeddings, {embedder.name} gives {embedder.dim}"
            )
        self.embedder = embedder
        self.head = head
        self.config = config or AnalyzerConfig()

    def analyze(self, text: str, *, rating: float | None = None, lang: Lang | None = None) -> ReviewSentiment:
        """Sentiment of one review; ``rating`` is its star rating on a 1-5 scale, if any."""
        return self.analyze_many([text], ratings=[rating], langs=[lang])[0]

    def analyze_many(
        self,
        texts: Sequence[str],
        *,
        ratings: Sequence[float | None] | None = None,
        langs: Sequence[Lang | None] | None = None,
        batch_size: int = 32,
        progress: bool = False,
    ) -> list[ReviewSentiment]:
        """Sentiment of many reviews, embedded in batches; ``progress`` shows a tqdm bar."""
        ratings = list(ratings) if ratings is not None else [None] * len(texts)
        langs = list(langs) if langs is not None else [None] * len(texts)
        if not len(ratings) == len(langs) == len(texts):
            raise ValueError("texts, ratings and langs must have the same length")
        results: list[ReviewSentiment] = []
        with tqdm(total=len(texts), desc="sentiment", unit="review", disable=not progress) as bar:
            for start in range(0, len(texts), batch_size):
                stop = start + batch_size
                results.extend(self._batch(texts[start:stop], ratings[start:stop], langs[start:stop]))
                bar.update(min(stop, len(texts)) - start)
        return results

    def _batch(
        self, texts: Sequence[str], ratings: Sequence[float | None], langs: Sequence[Lang | None]
    ) -> list[ReviewSentiment]:
        docs = [_clean(text) for text in texts]
        doc_langs: list[Lang] = [lang or detect_language(doc) for doc, lang in zip(docs, langs, strict=True)]
        clause_lists = [_clauses(doc, lang) for doc, lang in zip(docs, doc_langs, strict=True)]
        # One embedding batch: every review, then every clause of reviews that have several.
        units = list(docs)
        for clauses in clause_lists:
            if len(clauses) > 1:
                units.extend(clause.text for clause in clauses)
        probabilities = self._probabilities(units)
        results = []
        cursor = len(docs)
        for index, clauses in enumerate(clause_lists):
            doc_probs = _with_rating(probabilities[index], ratings[index], self.config.rating_weight)
            if len(clauses) > 1:
                clause_probs = probabilities[cursor : cursor + len(clauses)]
                cursor += len(clauses)
            else:
                clause_probs = probabilities[index : index + 1]
            results.append(self._review(doc_probs, clauses, clause_probs, doc_langs[index]))
        return results

    def _probabilities(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, len(CLASSES)), dtype=np.float32)
        return self.head.probabilities(self.embedder.embed_documents([text or " " for text in texts]))

    def _review(
        self, doc_probs: np.ndarray, clauses: list[Clause], clause_probs: np.ndarray, lang: Lang
    ) -> ReviewSentiment:
        scored = [
            ClauseSentiment(clause.text, clause.start, clause.end, _label(probs), _score(probs))
            for clause, probs in zip(clauses, clause_probs, strict=True)
        ]
        if len(scored) == 1:  # the clause is the whole review: it carries the rating too
            only = scored[0]
            scored = [ClauseSentiment(only.text, only.start, only.end, _label(doc_probs), _score(doc_probs))]
        config = self.config
        hits = [find_aspects(clause.text, lang) for clause in scored]
        margins = [
            (
                clause.score,
                config.contrast_threshold
                if source.contrast
                else config.mixed_threshold
                if found
                else config.plain_threshold,
            )
            for clause, source, found in zip(scored, clauses, hits, strict=True)
        ]
        mixed = any(score >= margin for score, margin in margins) and any(
            score <= -margin for score, margin in margins
        )
        topics = tuple(
            TopicMention(hit.aspect, hit.term, clause.label, clause.score, clause.text)
            for clause, found in zip(scored, hits, strict=True)
            for hit in found
        )
        polarity = _label(doc_probs)
        return ReviewSentiment(
            label="mixed" if mixed else polarity,
            score=_score(doc_probs),
            polarity=polarity,
            lang=lang,
            probabilities={name: float(value) for name, value in zip(CLASSES, doc_probs, strict=True)},
            topics=topics,
            clauses=tuple(scored),
        )


def load_analyzer(cache_dir: Path, *, head_path: Path | None = None) -> SentimentAnalyzer:
    """The shipped head and the embedder it was trained on (weights verified, never downloaded)."""
    from index.embedders import load_embedder

    head = SentimentHead.load(head_path)
    return SentimentAnalyzer(load_embedder(head.embedder, cache_dir), head)


def _clean(text: str) -> str:
    return text.replace("\ufeff", "").strip()[:MAX_CHARS]


def _clauses(text: str, lang: Lang) -> list[Clause]:
    clauses = split_clauses(text, lang) or [Clause(text, 0, len(text))]
    if len(clauses) > MAX_CLAUSES:
        last = clauses[MAX_CLAUSES - 1]
        clauses = [
            *clauses[: MAX_CLAUSES - 1],
            Clause(text[last.start :], last.start, len(text), last.contrast),
        ]
    return clauses


def _label(probs: np.ndarray) -> str:
    """The most probable class; ties go to neutral, then positive."""
    negative, neutral, positive = (float(value) for value in probs)
    if neutral >= max(negative, positive):
        return "neutral"
    return "positive" if positive >= negative else "negative"


def _score(probs: np.ndarray) -> float:
    return float(np.clip(probs[2] - probs[0], -1.0, 1.0))


def _with_rating(probs: np.ndarray, rating: float | None, weight: float) -> np.ndarray:
    """Bayes-style update: shift negative/positive log-odds by ``weight`` per star from 3."""
    if rating is None:
        return probs
    if not 1 <= rating <= 5:
        raise ValueError(f"rating must be on a 1-5 scale, got {rating}")
    shift = weight * (float(rating) - 3.0)
    logits = np.log(np.clip(probs, 1e-9, 1.0)) + np.array([-shift, -abs(shift) / 2, shift])
    exp = np.exp(logits - logits.max())
    return exp / exp.sum()
