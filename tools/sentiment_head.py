"""The learned part of review sentiment: a logistic-regression head on sentence embeddings.

:class:`SentimentHead` maps embeddings to probabilities of negative / neutral / positive. Its weights are a small ``.npz`` file shipped
in ``tools/data`` and written by ``tools/sentiment_train.py``; the file records the embedder
it was trained on, so a head is never silently applied to vectors of another model.

:func:`fit_head` trains one (scikit-learn, seeded). Deliberately not here: embedding text,
clause logic, evaluation. Inference is plain numpy.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np

CLASSES: tuple[str, str, str] = ("negative", "neutral", "positive")


def default_head_path() -> Path:
    """The head shipped with shopbot."""
    return Path(str(resources.files("tools") / "data" / "sentiment_head.npz"))


class HeadMismatchError(ValueError):
    """The head was trained on another embedder than the one it is used with."""


@dataclass(frozen=True)
class SentimentHead:
    """Multinomial logistic regression: ``softmax(features @ weights.T + bias)``."""

    weights: np.ndarray  # (3, n_features) float32
    bias: np.ndarray  # (3,) float32
    embedder: str  # name of the embedder whose vectors the head expects
    info: dict[str, object] = field(default_factory=dict)  # training data, sizes, seed

    @property
    def n_features(self) -> int:
        return int(self.weights.shape[1])

    def check_embedder(self, name: str) -> None:
        if name != self.embedder:
            raise HeadMismatchError(
                f"the sentiment head was trained on {self.embedder!r} embeddings, not {name!r}; "
                f"use that embedder or train a head for yours with tools/sentiment_train.py"
            )

    def probabilities(self, features: np.ndarray) -> np.ndarray:
        """(n, 3) probabilities in :data:`CLASSES` order for (n, n_features) features."""
        logits = np.asarray(features, dtype=np.float32) @ self.weights.T + self.bias
        logits -= logits.max(axis=1, keepdims=True)
        exp = np.exp(logits)
        return exp / exp.sum(axis=1, keepdims=True)

    def save(self, path: Path) -> None:
        """Write atomically (temporary file, then rename)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
        with open(partial, "wb") as handle:
            np.savez_compressed(
                handle,
                weights=self.weights.astype(np.float32),
                bias=self.bias.astype(np.float32),
                meta=np.array(json.dumps({"embedder": self.embedder, "info": self.info})),
            )
        os.replace(partial, path)

    @classmethod
    def load(cls, path: Path | None = None) -> SentimentHead:
        path = path or default_head_path()
        if not path.is_file():
            raise FileNotFoundError(
                f"sentiment head {path} not found; train one: python -m tools.sentiment_train"
            )
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(str(data["meta"]))
            return cls(data["weights"], data["bias"], meta["embedder"], meta.get("info", {}))


def fit_head(
    features: np.ndarray,
    labels: np.ndarray,
    *,
    embedder: str,
    regularization: float = 2.0,
    seed: int = 0,
    info: dict[str, object] | None = None,
) -> SentimentHead:
    """Train a head on (n, d) features and labels in 0..2 (indexes into :data:`CLASSES`)."""
    from sklearn.linear_model import LogisticRegression

    present = sorted(set(int(label) for label in labels))
    if present != [0, 1, 2]:
        raise ValueError(f"training labels must cover all of {CLASSES}; got classes {present}")
    model = LogisticRegression(C=regularization, max_iter=3000, random_state=seed)
    model.fit(features, labels)
    return SentimentHead(
        model.coef_.astype(np.float32), model.intercept_.astype(np.float32), embedder, dict(info or {})
    )
