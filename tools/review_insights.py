"""What a product's reviews say, in numbers: labels, praised and criticised aspects, trend.

:func:`review_insights` takes a product's review records - dicts or objects (such as
``index.schema.Review``) with ``review_id``, ``text`` and optionally ``rating`` (1-5) and
``date`` - scores them
with a :class:`~tools.sentiment.SentimentAnalyzer` in one batch and returns
:class:`ProductInsights`: the distribution of labels, the aspects reviewers praise and
criticise most (counted once per review, with example review ids) and, for dated reviews, the
labels per calendar month. The language of each review is detected from its text (a store's
default ``lang`` can be wrong for a Chinese comment).

Deliberately not here: loading reviews (the catalog store supplies them), prose summaries
(they need the chat model), caching.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from tools.sentiment import LABELS, ReviewSentiment, SentimentAnalyzer
from tools.topics import ASPECTS

EXAMPLES_PER_ASPECT = 3


@dataclass(frozen=True)
class ReviewRecord:
    """The fields of a review that insights use."""

    review_id: str
    text: str
    rating: float | None = None
    date: dt.date | None = None


@dataclass(frozen=True)
class AspectCount:
    """How many reviews speak of an aspect positively / negatively, with example review ids."""

    aspect: str
    positive: int = 0
    negative: int = 0
    neutral: int = 0
    positive_ids: tuple[str, ...] = ()
    negative_ids: tuple[str, ...] = ()

    @property
    def mentions(self) -> int:
        return self.positive + self.negative + self.neutral


@dataclass(frozen=True)
class MonthTrend:
    month: str  # "YYYY-MM"
    reviews: int
    labels: dict[str, int]
    mean_score: float


@dataclass(frozen=True)
class ProductInsights:
    reviews: int
    labels: dict[str, int]  # every label in LABELS, zero when absent
    mean_score: float
    aspects: tuple[AspectCount, ...]  # every aspect mentioned at least once, most mentioned first
    top_positive: tuple[AspectCount, ...]
    top_negative: tuple[AspectCount, ...]
    trend: tuple[MonthTrend, ...]  # oldest month first; empty when no review is dated
    undated: int = 0
    per_review: dict[str, ReviewSentiment] = field(default_factory=dict, repr=False)

    def to_dict(self) -> dict[str, Any]:
        def aspect(count: AspectCount) -> dict[str, Any]:
            return {
                "aspect": count.aspect,
                "positive": count.positive,
                "negative": count.negative,
                "neutral": count.neutral,
                "positive_ids": list(count.positive_ids),
                "negative_ids": list(count.negative_ids),
            }

        return {
            "reviews": self.reviews,
            "labels": self.labels,
            "mean_score": round(self.mean_score, 4),
            "top_positive": [aspect(count) for count in self.top_positive],
            "top_negative": [aspect(count) for count in self.top_negative],
            "aspects": [aspect(count) for count in self.aspects],
            "trend": [
                {
                    "month": m.month,
                    "reviews": m.reviews,
                    "labels": m.labels,
                    "mean_score": round(m.mean_score, 4),
                }
                for m in self.trend
            ],
            "undated": self.undated,
        }


def review_insights(
    reviews: Iterable[Mapping[str, Any] | Any],
    analyzer: SentimentAnalyzer,
    *,
    top: int = 3,
    progress: bool = False,
) -> ProductInsights:
    """Insights for one product's reviews (see the module docstring for the record fields)."""
    records = [to_record(review) for review in reviews]
    scored = analyzer.analyze_many(
        [record.text for record in records],
        ratings=[record.rating for record in records],
        progress=progress,
    )
    labels = Counter(result.label for result in scored)
    aspects = _aspect_counts(records, scored)
    mentioned = sorted(aspects, key=lambda count: (-count.mentions, ASPECTS.index(count.aspect)))
    return ProductInsights(
        reviews=len(records),
        labels={label: labels.get(label, 0) for label in LABELS},
        mean_score=sum(result.score for result in scored) / len(scored) if scored else 0.0,
        aspects=tuple(mentioned),
        top_positive=tuple(_top(aspects, "positive", top)),
        top_negative=tuple(_top(aspects, "negative", top)),
        trend=tuple(_trend(records, scored)),
        undated=sum(record.date is None for record in records),
        per_review={record.review_id: result for record, result in zip(records, scored, strict=True)},
    )


def to_record(review: Mapping[str, Any] | Any) -> ReviewRecord:
    """A :class:`ReviewRecord` from a dict or an object with the same attribute names."""
    get = (
        review.get if isinstance(review, Mapping) else lambda key, default=None: getattr(review, key, default)
    )
    review_id = get("review_id")
    text = get("text")
    if review_id is None or not isinstance(text, str):
        raise ValueError(f"review {review_id!r}: a review needs a review_id and a text string")
    rating = get("rating")
    if rating is not None and not (isinstance(rating, int | float) and 1 <= rating <= 5):
        raise ValueError(f"review {review_id!r}: field 'rating' must be a number from 1 to 5, got {rating!r}")
    return ReviewRecord(str(review_id), text, rating, _date(get("date"), review_id))


def _date(value: Any, review_id: Any) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip()[:10])
        except ValueError:
            pass
    raise ValueError(f"review {review_id!r}: field 'date' is not an ISO date (YYYY-MM-DD...): {value!r}")


def _aspect_counts(records: list[ReviewRecord], scored: list[ReviewSentiment]) -> list[AspectCount]:
    """Per aspect, reviews with a positive / negative / neutral mention (a review counts once per side)."""
    sides: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for record, result in zip(records, scored, strict=True):
        seen: set[tuple[str, str]] = set()
        for mention in result.topics:
            side = mention.label if mention.label in ("positive", "negative") else "neutral"
            if (mention.aspect, side) not in seen:
                seen.add((mention.aspect, side))
                sides[mention.aspect][side].append(record.review_id)
    return [
        AspectCount(
            aspect,
            positive=len(sides[aspect]["positive"]),
            negative=len(sides[aspect]["negative"]),
            neutral=len(sides[aspect]["neutral"]),
            positive_ids=tuple(sides[aspect]["positive"][:EXAMPLES_PER_ASPECT]),
            negative_ids=tuple(sides[aspect]["negative"][:EXAMPLES_PER_ASPECT]),
        )
        for aspect in ASPECTS
        if aspect in sides
    ]


def _top(aspects: list[AspectCount], side: str, top: int) -> list[AspectCount]:
    with_side = [count for count in aspects if getattr(count, side) > 0]
    with_side.sort(key=lambda count: (-getattr(count, side), ASPECTS.index(count.aspect)))
    return with_side[:top]


def _trend(records: list[ReviewRecord], scored: list[ReviewSentiment]) -> list[MonthTrend]:
    months: dict[str, list[ReviewSentiment]] = defaultdict(list)
    for record, result in zip(records, scored, strict=True):
        if record.date is not None:
            months[record.date.strftime("%Y-%m")].append(result)
    trend = []
    for month in sorted(months):
        results = months[month]
        labels = Counter(result.label for result in results)
        trend.append(
            MonthTrend(
                month,
                len(results),
                {label: labels.get(label, 0) for label in LABELS},
                sum(result.score for result in results) / len(results),
            )
        )
    return trend
