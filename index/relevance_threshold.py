"""How similar a product's title must be to a request to be shown as a match, calibrated on
labelled data rather than set by hand.

The score is the embedder's cosine between the request (as a query) and the product's title
(as a passage). :func:`calibrate` reads labelled pairs: the Home Depot graded judgments
(English; relevant at a mean grade >= 2.5, irrelevant <= 1.67) and the EcomGPT match / no-match
pairs (Chinese), each query also paired with one random title of its corpus (an unrelated
product, which is what the gate must keep out). The threshold of a language is the score that
keeps :data:`RECALL` of the relevant pairs; the report says how many irrelevant and random
pairs it keeps out. Thresholds are stored per embedder in ``relevance_thresholds.json`` beside
this module (written by ``shopbot eval threshold``) and read with :func:`threshold`.

Deliberately not here: which requests the threshold applies to (the search tool applies it
when a request names no type it can check: :mod:`tools.shopping`).
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from index.embedders import Embedder

RECALL = 0.95  # share of relevant products the threshold keeps
THRESHOLDS = Path(__file__).with_name("relevance_thresholds.json")


@dataclass(frozen=True)
class Pair:
    query: str
    title: str
    relevant: bool
    source: str  # "judged" or "random"


def labelled_pairs(queries: Path, corpus: Path, sample: int, relevant: float, irrelevant: float,
                   seed: int = 0) -> list[Pair]:  # fmt: skip
    """Judged (query, title) pairs of ``sample`` seeded queries, and one random title each."""
    rng = random.Random(seed)
    titles = {row["id"]: row["title"] for row in _jsonl(corpus)}
    ids = sorted(titles)
    chosen = list(_jsonl(queries))
    rng.shuffle(chosen)
    pairs = []
    for row in chosen[:sample]:
        for product_id, grade in sorted(row["judgments"].items()):
            if product_id in titles and (grade >= relevant or grade <= irrelevant):
                pairs.append(Pair(row["query"], titles[product_id], grade >= relevant, "judged"))
        pairs.append(Pair(row["query"], titles[rng.choice(ids)], False, "random"))
    return pairs


def calibrate(embedder: Embedder, pairs: list[Pair]) -> dict[str, Any]:
    """The threshold keeping :data:`RECALL` of the relevant pairs, and what it keeps out."""
    scores = similarities(embedder, [p.query for p in pairs], [p.title for p in pairs])
    relevant = np.sort(scores[[p.relevant for p in pairs]])
    if not len(relevant):
        raise ValueError("no relevant pairs to calibrate on")
    tau = float(relevant[int((1 - RECALL) * len(relevant))])

    def rejected(source: str) -> float | None:
        kept = [s for s, p in zip(scores, pairs, strict=True) if not p.relevant and p.source == source]
        return round(float(np.mean(np.asarray(kept) < tau)), 3) if kept else None

    return {
        "threshold": round(tau, 4),
        "pairs": len(pairs),
        "relevant_kept": round(float(np.mean(relevant >= tau)), 3),
        "judged_irrelevant_rejected": rejected("judged"),
        "random_rejected": rejected("random"),
    }


def similarities(embedder: Embedder, queries: list[str], titles: list[str]) -> np.ndarray:
    """Cosine of each query with its title (each distinct text embedded once)."""
    unique_queries = list(dict.fromkeys(queries))
    unique_titles = list(dict.fromkeys(titles))
    q = dict(zip(unique_queries, (embedder.embed_query(text) for text in unique_queries), strict=True))
    d = dict(zip(unique_titles, embedder.embed_documents(unique_titles), strict=True))
    return np.asarray([float(np.dot(q[a], d[b])) for a, b in zip(queries, titles, strict=True)])


def threshold(embedder_name: str, lang: str) -> float | None:
    """The calibrated threshold of an embedder for a language, or None when not calibrated."""
    entry = _stored().get(embedder_name, {}).get(lang)
    return float(entry["threshold"]) if entry else None


@cache
def _stored() -> dict[str, Any]:
    return json.loads(THRESHOLDS.read_text(encoding="utf-8")) if THRESHOLDS.is_file() else {}


def _jsonl(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as file:
        for line in file:
            if line.strip():
                yield json.loads(line)
