"""Which reviews a summary model sees: all of a few, or one per cluster of many, within a token budget.

Reviews with text are labelled ``r1``, ``r2`` ... by their position in the input. Up to
``max_reviews`` are shown as they are; more are clustered (k-means on unit embedding vectors,
k-means++ start, seeded) and each cluster is shown by its most central review with the number
of reviews it stands for, largest cluster first. Each review is cut to ``max_review_chars``;
reviews are added until the estimated ``max_prompt_tokens`` is spent (at least one is shown).
Deliberately not here: prompts, models, sentiment.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from index.embedders import Embedder, normalize_rows

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


class ReviewLike(Protocol):
    """What a summary reads of a review (``index.schema.Review`` fits)."""

    @property
    def review_id(self) -> str: ...
    @property
    def text(self) -> str: ...
    @property
    def rating(self) -> float | None: ...


@dataclass(frozen=True)
class ShownReview:
    """A review as the model saw it: its label (``r7``), cut text and how many it stands for."""

    label: str
    review_id: str
    text: str
    rating: float | None
    stands_for: int


def estimate_tokens(text: str) -> int:
    """Rough token count: one per CJK character, one per four other characters."""
    cjk = len(_CJK.findall(text))
    return cjk + (len(text) - cjk + 3) // 4


def select_reviews(
    reviews: Sequence[ReviewLike],
    embedder: Embedder,
    *,
    max_reviews: int = 24,
    max_review_chars: int = 500,
    max_prompt_tokens: int = 2000,
    seed: int = 0,
) -> list[ShownReview]:
    """The reviews the model is shown (see the module docstring, step 1)."""
    if max_reviews < 1 or max_review_chars < 20 or max_prompt_tokens < 50:
        raise ValueError("max_reviews >= 1, max_review_chars >= 20 and max_prompt_tokens >= 50 are needed")
    usable = [(i, r) for i, r in enumerate(reviews, start=1) if (r.text or "").strip()]
    if not usable:
        return []
    if len(usable) <= max_reviews:
        picks = [(item, 1) for item in usable]
    else:
        vectors = normalize_rows(embedder.embed_documents([r.text[:max_review_chars] for _, r in usable]))
        members = _kmeans(vectors, max_reviews, seed)
        picks = []
        for cluster in members:
            centre = vectors[cluster].mean(axis=0)
            best = cluster[int(np.argmax(vectors[cluster] @ centre))]
            picks.append((usable[best], len(cluster)))
        picks.sort(key=lambda pick: (-pick[1], pick[0][0]))
    shown: list[ShownReview] = []
    budget = max_prompt_tokens
    for (position, review), size in picks:
        text = " ".join(review.text.split())[:max_review_chars]
        cost = estimate_tokens(text) + 12  # label, rating and count
        if shown and cost > budget:
            break
        shown.append(ShownReview(f"r{position}", str(review.review_id), text, review.rating, size))
        budget -= cost
    return shown


def _kmeans(vectors: np.ndarray, k: int, seed: int, iterations: int = 12) -> list[list[int]]:
    """Non-empty clusters (lists of row indices) of unit ``vectors``; k-means++ start, cosine."""
    rng = np.random.default_rng(seed)
    centres = [int(rng.integers(len(vectors)))]
    for _ in range(1, k):
        distance = np.clip(1.0 - (vectors @ vectors[centres].T).max(axis=1), 0.0, None)
        if distance.sum() <= 0:
            break
        centres.append(int(rng.choice(len(vectors), p=distance / distance.sum())))
    means = vectors[centres]
    for _ in range(iterations):
        assignment = np.argmax(vectors @ means.T, axis=1)
        means = np.stack(
            [
                vectors[assignment == c].mean(axis=0) if (assignment == c).any() else means[c]
                for c in range(len(means))
            ]
        )
        means = normalize_rows(means)
    assignment = np.argmax(vectors @ means.T, axis=1)
    clusters = [np.flatnonzero(assignment == c).tolist() for c in range(len(means))]
    return [cluster for cluster in clusters if cluster]
