"""ROUGE-1, ROUGE-2 and ROUGE-L F1 of a candidate summary against human references.

A small, dependency-free implementation of the scores of Lin (2004) as computed by Google's
``rouge-score`` package without stemming: text is lowercased, every run of characters other
than ``a-z0-9`` splits tokens (each CJK character is one token, so Chinese text scores too);
ROUGE-N counts clipped n-gram overlap, ROUGE-L uses the longest common subsequence of the two
token sequences (the whole text, not per sentence). Each score is an F1 (beta = 1).

With several references, :func:`rouge_multi` returns both the mean and the max over them.
:func:`evaluate_summaries` scores shopbot's review summaries on FewSum-style rows (reviews and
human references) against two baselines computed in the same run: a seeded random review as
the summary, and the review closest to the centroid of the reviews' embeddings.
Deliberately not here: stemming or stop-word removal, bootstrap intervals, loading models,
writing reports (``shopbot eval reviews --sections summaries``).
"""

from __future__ import annotations

import json
import random
import re
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from langchain_core.language_models import BaseChatModel
from tqdm import tqdm

from index.embedders import Embedder, normalize_rows
from index.schema import Review
from tools.review_summary import SummaryError, summarize_reviews

_TOKEN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]|[a-z0-9]+")
METRICS: tuple[str, ...] = ("rouge1", "rouge2", "rougeL")


def tokenize(text: str) -> list[str]:
    """Lowercased alphanumeric tokens; each CJK character is its own token."""
    return _TOKEN.findall(text.lower())


def _f1(overlap: int, candidate: int, reference: int) -> float:
    if overlap == 0 or candidate == 0 or reference == 0:
        return 0.0
    precision, recall = overlap / candidate, overlap / reference
    return 2 * precision * recall / (precision + recall)


def _ngrams(tokens: Sequence[str], n: int) -> Counter[tuple[str, ...]]:
    return Counter(tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1))


def rouge_n(candidate: Sequence[str], reference: Sequence[str], n: int) -> float:
    """ROUGE-N F1 over token lists: clipped n-gram matches."""
    cand, ref = _ngrams(candidate, n), _ngrams(reference, n)
    overlap = sum((cand & ref).values())
    return _f1(overlap, sum(cand.values()), sum(ref.values()))


def lcs_length(a: Sequence[str], b: Sequence[str]) -> int:
    """Length of the longest common subsequence (O(len(a) * len(b)) time, O(len(b)) memory)."""
    if not a or not b:
        return 0
    previous = [0] * (len(b) + 1)
    for token in a:
        current = [0] * (len(b) + 1)
        for j, other in enumerate(b, start=1):
            current[j] = previous[j - 1] + 1 if token == other else max(previous[j], current[j - 1])
        previous = current
    return previous[-1]


def rouge_l(candidate: Sequence[str], reference: Sequence[str]) -> float:
    """ROUGE-L F1 over token lists."""
    return _f1(lcs_length(candidate, reference), len(candidate), len(reference))


def rouge(candidate: str, reference: str) -> dict[str, float]:
    """ROUGE-1/2/L F1 of one candidate against one reference."""
    cand, ref = tokenize(candidate), tokenize(reference)
    return {"rouge1": rouge_n(cand, ref, 1), "rouge2": rouge_n(cand, ref, 2), "rougeL": rouge_l(cand, ref)}


@dataclass(frozen=True)
class MultiRouge:
    """Scores of one candidate against several references."""

    mean: dict[str, float]
    max: dict[str, float]


def rouge_multi(candidate: str, references: Sequence[str]) -> MultiRouge:
    """ROUGE-1/2/L F1 against each reference, averaged and maximised over the references."""
    if not references:
        raise ValueError("rouge_multi needs at least one reference")
    scores = [rouge(candidate, reference) for reference in references]
    return MultiRouge(
        mean={m: sum(s[m] for s in scores) / len(scores) for m in METRICS},
        max={m: max(s[m] for s in scores) for m in METRICS},
    )


@dataclass(frozen=True)
class SystemScores:
    """One system's ROUGE over the evaluated products (each a mean over products)."""

    system: str
    products: int
    mean: dict[str, float]  # per product: mean over its references
    max: dict[str, float]  # per product: best of its references
    words: float  # average summary length in words
    seconds: float | None = None  # per product, where a model ran
    points_written: int = 0
    points_cited: int = 0  # points with at least one valid supporting citation (repaired included)
    failures: int = 0  # products whose reply was not a summary (scored as empty)


def load_rows(path: Path, limit: int | None, seed: int) -> list[dict[str, object]]:
    """FewSum rows (``reviews``: [{text, rating}], ``references``: [str]); a seeded sample of ``limit``."""
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            if not row["reviews"] or not row["references"]:
                raise ValueError("empty reviews or references")
        except (ValueError, KeyError, TypeError) as error:
            raise ValueError(f"{path}, line {number}: not a summary row ({error})") from error
        rows.append(row)
    if limit is not None and limit < len(rows):
        keep = sorted(random.Random(seed).sample(range(len(rows)), limit))
        rows = [rows[i] for i in keep]
    return rows


def _reviews(row: dict[str, object]) -> list[Review]:
    items = row["reviews"]
    assert isinstance(items, list)
    return [
        Review(f"r{i}", str(row.get("product_id", "")), str(item["text"]), item.get("rating"))
        for i, item in enumerate(items, start=1)
    ]


def _scores(system: str, texts: list[str], rows: list[dict[str, object]], **extra: object) -> SystemScores:
    results = [rouge_multi(text, list(row["references"])) for text, row in zip(texts, rows, strict=True)]  # type: ignore[call-overload]
    n = max(len(results), 1)
    return SystemScores(
        system=system,
        products=len(results),
        mean={m: sum(r.mean[m] for r in results) / n for m in METRICS},
        max={m: sum(r.max[m] for r in results) / n for m in METRICS},
        words=sum(len(text.split()) for text in texts) / n,
        **extra,  # type: ignore[arg-type]
    )


def evaluate_summaries(
    rows: list[dict[str, object]],
    model: BaseChatModel,
    embedder: Embedder,
    *,
    seed: int = 0,
    progress: bool = True,
) -> list[SystemScores]:
    """shopbot's summaries and the two baselines on ``rows``, same products, same run."""
    rng = random.Random(seed)
    randoms, centroids, summaries = [], [], []
    written = cited = failures = 0
    started = time.perf_counter()
    for row in tqdm(rows, desc="summaries", unit="product", disable=not progress):
        reviews = _reviews(row)
        texts = [review.text for review in reviews]
        randoms.append(rng.choice(texts))
        vectors = normalize_rows(embedder.embed_documents(texts))
        centroids.append(texts[int(np.argmax(vectors @ vectors.mean(axis=0)))])
        try:
            summary = summarize_reviews(reviews, model, lang="en", embedder=embedder, seed=seed)
        except SummaryError:
            failures += 1
            summaries.append("")
            continue
        summaries.append(summary.as_text())
        written += summary.points_written
        cited += summary.points_written - summary.points_dropped
    seconds = (time.perf_counter() - started) / max(len(rows), 1)
    return [
        _scores(
            "shopbot",
            summaries,
            rows,
            seconds=seconds,
            points_written=written,
            points_cited=cited,
            failures=failures,
        ),
        _scores("random review (seeded)", randoms, rows),
        _scores("review closest to the centroid", centroids, rows),
    ]
