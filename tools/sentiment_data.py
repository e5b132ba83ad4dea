"""Labelled review sets for training and evaluating sentiment: reading and validating them.

A labelled set is JSONL, one ``{"text": ..., "label": "positive"|"negative"|"neutral"|"mixed"}``
per line (other fields are kept in ``extra``). Star-rated review files (``{"text", "rating"}``)
become labelled rows through :func:`rows_from_ratings`. A malformed line raises
:class:`DataError` naming the file, the line and the field.

Which sets may train the shipped head is decided here, in :data:`TRAINING_SETS`: only data the
project may redistribute (see ``README`` of the shared data) - never a set marked "no".
Deliberately not here: embedding, fitting, metrics.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from index.readers import jsonl_objects
from tools.clauses import Lang, detect_language

SENTIMENT_LABELS = ("negative", "neutral", "positive", "mixed")

# Eval sets under <shared data>/eval/sentiment, in report order: (name, file, trainable)
EVAL_SETS: tuple[tuple[str, str, bool], ...] = (
    ("uci_en", "uci_en.jsonl", True),  # CC BY 4.0: Kotzias et al. 2015, UCI ML repository
    ("vader_amazon_en", "vader_amazon_en.jsonl", True),  # MIT: Hutto & Gilbert 2014
    ("online_shopping_zh_dev", "online_shopping_zh_dev.jsonl", False),  # licence "no": evaluation only
)
TRAINING_SETS = tuple(name for name, _, trainable in EVAL_SETS if trainable)


class DataError(ValueError):
    """A labelled-data file is malformed; the message names file, line and field."""


@dataclass(frozen=True)
class LabeledText:
    text: str
    label: str
    lang: Lang
    source: str  # set name
    extra: dict[str, Any] = field(default_factory=dict, compare=False)


def read_labeled(path: Path, source: str | None = None) -> list[LabeledText]:
    """Rows of a labelled JSONL file; raises :class:`DataError` on the first bad line."""
    rows = []
    for number, record in _records(path):
        text = _field(record, "text", str, path, number)
        label = _field(record, "label", str, path, number)
        if label not in SENTIMENT_LABELS:
            raise DataError(
                f"{path}:{number}: field 'label' must be one of {SENTIMENT_LABELS}, got {label!r}"
            )
        lang = _lang(record, text)
        extra = {key: value for key, value in record.items() if key not in ("text", "label", "lang")}
        rows.append(LabeledText(text.replace("\ufeff", ""), label, lang, source or path.stem, extra))
    return rows


def rows_from_ratings(path: Path, source: str | None = None) -> list[LabeledText]:
    """Star-rated reviews as labels: 1-2 negative, 4-5 positive; 3 stars (often mixed) left out."""
    rows = []
    for number, record in _records(path):
        text = _field(record, "text", str, path, number)
        rating = record.get("rating")
        if not isinstance(rating, int | float) or not 1 <= rating <= 5:
            raise DataError(f"{path}:{number}: field 'rating' must be a number from 1 to 5, got {rating!r}")
        if rating == 3:
            continue
        label = "positive" if rating >= 4 else "negative"
        lang = _lang(record, text)
        rows.append(LabeledText(text, label, lang, source or path.stem, {"rating": rating}))
    return rows


def sample(rows: list[LabeledText], limit: int | None, seed: int) -> list[LabeledText]:
    """A seeded random subset of at most ``limit`` rows (all rows, in order, when it is None)."""
    if limit is None or limit >= len(rows):
        return rows
    shuffled = list(rows)
    random.Random(seed).shuffle(shuffled)
    return shuffled[:limit]


def _lang(record: dict[str, Any], text: str) -> Lang:
    lang = record.get("lang")
    return "zh" if lang == "zh" else "en" if lang == "en" else detect_language(text)


def _records(path: Path) -> list[tuple[int, dict[str, Any]]]:
    return list(jsonl_objects(path, DataError))


def _field(record: dict[str, Any], name: str, kind: type, path: Path, number: int) -> Any:
    value = record.get(name)
    if not isinstance(value, kind):
        raise DataError(f"{path}:{number}: field {name!r} missing or not a {kind.__name__}")
    return value
