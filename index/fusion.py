"""Fusing the dense and lexical rankings into one.

Reciprocal rank fusion (Cormack, Clarke and Buettcher, 2009): each ranking contributes
``weight / (RRF_K + rank)`` for every product it lists, so agreement between the two
retrievers counts and no score scale has to be calibrated. Products whose id the query names
exactly (:func:`product_codes`) are pinned above everything. It works on vector ids and
knows nothing about products, SQL or FAISS.
"""

from __future__ import annotations

from collections.abc import Sequence

RRF_K = 60  # reciprocal rank fusion constant
DENSE_WEIGHT = 1.0  # weight of the dense ranking (the lexical one weighs 1)


def fuse(
    dense: Sequence[tuple[int, float]],
    lexical: Sequence[tuple[int, float]],
    k: int,
    pinned: Sequence[int] = (),
) -> list[tuple[int, float]]:
    """Reciprocal rank fusion: score = sum over rankings of weight / (RRF_K + rank), ties by dense
    rank. ``pinned`` (exact product-code matches) come first, scored above any fused score."""
    scores: dict[int, float] = {}
    for ranking, weight in ((dense, DENSE_WEIGHT), (lexical, 1.0)):
        for rank, (vid, _) in enumerate(ranking, start=1):
            scores[vid] = scores.get(vid, 0.0) + weight / (RRF_K + rank)
    top = (DENSE_WEIGHT + 1.0) / (RRF_K + 1)  # the best possible fused score
    for position, vid in enumerate(pinned):
        scores[vid] = top + (len(pinned) - position) / (RRF_K + 1)
    return sorted(scores.items(), key=lambda item: -item[1])[:k]


def product_codes(query: str) -> list[str]:
    """Parts of a query that may be a product id: the whole query when it has a digit, and
    tokens mixing letters and digits (``MH01``, ``24-MB01``); plain numbers and words are not."""
    candidates = [query.strip()] if any(char.isdigit() for char in query) else []
    for token in query.split():
        token = token.strip(".,;:!?()[]{}\"'")
        if len(token) >= 3 and any(c.isdigit() for c in token) and any(c.isalpha() for c in token):
            candidates.append(token)
    return list(dict.fromkeys(candidates))
