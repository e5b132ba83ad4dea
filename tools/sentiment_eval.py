"""Measure review sentiment against the lexicon baselines, on the same rows in the same run.

For every set: accuracy and macro-F1 of shopbot's analyzer, of its head on the whole review
alone (no clauses, no "mixed"), and of the lexicon baseline of the set's language (vader for
English, snownlp for Chinese), plus milliseconds per review.

Honesty rules built in:

- Sets the shipped head is trained on (:data:`tools.sentiment_data.TRAINING_SETS`) are scored
  **out of fold**: k heads, each trained without one fold, each scoring only its fold.
- Other sets (the Chinese dev set, the hand-written set) are scored by the shipped head.
- Labels are compared on the set's own classes. On a two-class set every system answers by
  the sign of its score (>= 0 is positive); on a three-class set shopbot answers with its
  polarity (a mixed review's leaning), the lexicons with their neutral band.

Deliberately not here: printing and files (``shopbot eval reviews``), summaries and copy.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from index.embedders import Embedder
from tools.sentiment import ReviewSentiment, SentimentAnalyzer
from tools.sentiment_data import EVAL_SETS, TRAINING_SETS, LabeledText, read_labeled, sample
from tools.sentiment_head import SentimentHead, fit_head
from tools.sentiment_lexicon import LexiconScorer, lexicon_label
from tools.sentiment_train import DEFAULT_REGULARIZATION, demo_rows, features, labels

DEFAULT_LIMITS = {"online_shopping_zh_dev": 1000}  # ~31k rows, ~5 clauses each; a seeded sample
LATENCY_ROWS = 50
HANDWRITTEN = "handwritten_mixed"  # tools/data/handwritten_reviews.jsonl: ours, 4 classes incl. mixed
OURS = "shopbot"
HEAD_ONLY = "e5 head, whole review"


@dataclass(frozen=True)
class SetScore:
    set: str
    lang: str
    rows: int
    system: str
    accuracy: float
    macro_f1: float
    ms_per_review: float | None
    scoring: str  # "out-of-fold (5-fold)", "shipped head", "lexicon"
    mixed_share: float | None = None


def accuracy_and_macro_f1(gold: Sequence[str], predicted: Sequence[str]) -> tuple[float, float]:
    """Accuracy, and F1 averaged over the classes present in ``gold`` (absent ones score 0 if predicted)."""
    if len(gold) != len(predicted) or not gold:
        raise ValueError("gold and predicted must be non-empty and of equal length")
    pairs = list(zip(gold, predicted, strict=True))
    accuracy = sum(g == p for g, p in pairs) / len(pairs)
    f1s = []
    for label in sorted(set(gold)):
        tp = sum(g == p == label for g, p in pairs)
        fp = sum(p == label != g for g, p in pairs)
        fn = sum(g == label != p for g, p in pairs)
        f1s.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return accuracy, sum(f1s) / len(f1s)


def set_label(label: str, polarity: str, score: float, classes: set[str]) -> str:
    """A system's answer in a set's own classes (see the module docstring)."""
    if classes == {"negative", "positive"}:
        return "positive" if score >= 0 else "negative"
    return label if label in classes else polarity


def handwritten_path() -> Path:
    return Path(str(resources.files("tools") / "data" / "handwritten_reviews.jsonl"))


def evaluate(
    shared_data: Path,
    demo_reviews: Path,
    embedder: Embedder,
    head: SentimentHead,
    *,
    limit: int | None = None,
    folds: int = 5,
    seed: int = 0,
    progress: bool = True,
    latency_embedder: Embedder | None = None,
) -> list[SetScore]:
    """Scores of every system on every set; ``limit`` caps the rows per set (seeded sample).

    ``embedder`` may cache vectors (accuracy does not depend on time); ``latency_embedder``,
    when given, is an uncached one used to time the analyzer end to end.
    """
    sets: dict[str, list[LabeledText]] = {}
    for name, filename, _ in EVAL_SETS:
        rows = read_labeled(shared_data / "eval" / "sentiment" / filename, name)
        sets[name] = sample(rows, limit or DEFAULT_LIMITS.get(name), seed)
    sets[HANDWRITTEN] = read_labeled(handwritten_path(), HANDWRITTEN)

    predictions = _out_of_fold(sets, demo_reviews, embedder, folds=folds, seed=seed, progress=progress)
    shipped = SentimentAnalyzer(embedder, head)
    for name, rows in sets.items():
        if name not in TRAINING_SETS:
            predictions[name] = shipped.analyze_many([row.text for row in rows], progress=progress)

    timing = _latency(latency_embedder or embedder, head, sets, seed)
    lexicon = LexiconScorer()
    scores: list[SetScore] = []
    for name, rows in sets.items():
        scoring = f"out-of-fold ({folds}-fold)" if name in TRAINING_SETS else "shipped head"
        scores.extend(_score_set(name, rows, predictions[name], scoring, timing, lexicon))
    return scores


def _out_of_fold(
    sets: dict[str, list[LabeledText]],
    demo_reviews: Path,
    embedder: Embedder,
    *,
    folds: int,
    seed: int,
    progress: bool,
) -> dict[str, list[ReviewSentiment]]:
    """Each training-set row scored by a head that never saw it (k-fold over the training pool)."""
    from sklearn.model_selection import StratifiedKFold

    pool = [row for name in TRAINING_SETS for row in sets[name]] + demo_rows(
        demo_reviews
    )  # demo rows only train
    matrix = features(pool, embedder, progress=progress)
    targets = labels(pool)
    strata = [f"{row.source}/{row.label}" for row in pool]
    predicted: list[ReviewSentiment | None] = [None] * len(pool)
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    for train, test in splitter.split(matrix, strata):
        head = fit_head(
            matrix[train], targets[train], embedder=embedder.name, regularization=DEFAULT_REGULARIZATION
        )
        analyzer = SentimentAnalyzer(embedder, head)
        scored = [index for index in test if pool[index].source in TRAINING_SETS]
        results = analyzer.analyze_many([pool[index].text for index in scored], progress=progress)
        for index, result in zip(scored, results, strict=True):
            predicted[index] = result
    out: dict[str, list[ReviewSentiment]] = {}
    cursor = 0
    for name in TRAINING_SETS:
        chunk = predicted[cursor : cursor + len(sets[name])]
        cursor += len(sets[name])
        out[name] = [result for result in chunk if result is not None]
    return out


def _latency(
    embedder: Embedder, head: SentimentHead, sets: dict[str, list[LabeledText]], seed: int
) -> dict[str, float]:
    """Milliseconds per review of the full analyzer, per language, on 50 seeded rows (after one warm-up)."""
    analyzer = SentimentAnalyzer(embedder, head)
    timing = {}
    for lang in ("en", "zh"):
        rows = sample([row for rows in sets.values() for row in rows if row.lang == lang], LATENCY_ROWS, seed)
        if not rows:
            continue
        analyzer.analyze(rows[0].text)
        started = time.perf_counter()
        analyzer.analyze_many([row.text for row in rows])
        timing[lang] = (time.perf_counter() - started) * 1000 / len(rows)
    return timing


def _score_set(
    name: str,
    rows: list[LabeledText],
    results: list[ReviewSentiment],
    scoring: str,
    timing: dict[str, float],
    lexicon: LexiconScorer,
) -> list[SetScore]:
    gold = [row.label for row in rows]
    classes = set(gold)
    langs = sorted({row.lang for row in rows})
    lang = "+".join(langs)
    ours = [set_label(result.label, result.polarity, result.score, classes) for result in results]
    head_only = [set_label(result.polarity, result.polarity, result.score, classes) for result in results]
    baseline, ms = _timed(lambda row: lexicon.score(row.text, row.lang), rows)
    base = [
        set_label(lexicon_label(score, row.lang), lexicon_label(score, row.lang), score, classes)
        for score, row in zip(baseline, rows, strict=True)
    ]
    mixed = sum(result.label == "mixed" for result in results) / len(results)
    system = "/".join({"en": "vader", "zh": "snownlp"}[each] for each in langs)
    return [
        SetScore(
            name, lang, len(rows), OURS, *accuracy_and_macro_f1(gold, ours), timing.get(lang), scoring, mixed
        ),
        SetScore(name, lang, len(rows), HEAD_ONLY, *accuracy_and_macro_f1(gold, head_only), None, scoring),
        SetScore(
            name, lang, len(rows), f"{system} (baseline)", *accuracy_and_macro_f1(gold, base), ms, "lexicon"
        ),
    ]


def _timed(function: Callable[[LabeledText], float], rows: list[LabeledText]) -> tuple[list[float], float]:
    function(rows[0])  # warm-up: loads the library
    started = time.perf_counter()
    values = [function(row) for row in rows]
    return values, (time.perf_counter() - started) * 1000 / len(rows)
