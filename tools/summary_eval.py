"""ROUGE-1, ROUGE-2 and ROUGE-L F1 of a candidate summary against human references.

A small, dependency-free implementation of the scores of Lin (2004) as computed by Google's
``rouge-score`` package without stemming: text is lowercased, every run of characters other
than ``a-z0-9`` splits tokens (each CJK character is one token, so Chinese text scores too);
ROUGE-N counts clipped n-gram overlap, ROUGE-L uses the longest common subsequence of the two
token sequences (the whole text, not per sentence). Each score is an F1 (beta = 1).

With several references, :func:`rouge_multi` returns both the mean and the max over them.
Deliberately not here: stemming or stop-word removal, bootstrap intervals, running a model.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

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
