"""Train the shipped sentiment head: ``python -m tools.sentiment_train [--data DIR] [--out FILE]``.

Reproducible: the same data, embedder and ``--seed`` give the same weights. Training data is
only what the project may redistribute (:data:`tools.sentiment_data.TRAINING_SETS`: the UCI
sentences, CC BY 4.0, and the vader Amazon snippets, MIT) plus the bundled demo store's rated
reviews (AFL-3.0). The Chinese dev set is licensed for evaluation only and never trains the
head: Chinese works through the multilingual embedder.

Features are the review embeddings (:func:`features`; adding the vader/snownlp score as a
feature was measured and did not help); ``shopbot eval reviews`` reuses :func:`training_rows` and :func:`features` for k-fold
(out-of-fold) results on the sets the head is trained on. Deliberately not here: metrics.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from index.embedders import Embedder, embed_in_batches
from tools.sentiment_data import EVAL_SETS, TRAINING_SETS, LabeledText, read_labeled, rows_from_ratings
from tools.sentiment_head import CLASSES, default_head_path, fit_head

DEFAULT_EMBEDDER = "multilingual-e5-small"
DEFAULT_REGULARIZATION = 4.0  # inverse L2 strength; best English macro-F1 in 5-fold CV over 0.5, 2, 4, 8


def training_rows(shared_data: Path, demo_reviews: Path) -> list[LabeledText]:
    """The labelled rows the shipped head is trained on, in a fixed order."""
    files = {name: filename for name, filename, _ in EVAL_SETS}
    rows: list[LabeledText] = []
    for name in TRAINING_SETS:
        rows.extend(read_labeled(shared_data / "eval" / "sentiment" / files[name], name))
    return rows + demo_rows(demo_reviews)


def demo_rows(demo_reviews: Path) -> list[LabeledText]:
    """The bundled demo store's rated reviews (AFL-3.0) as training rows; 3 stars left out."""
    return rows_from_ratings(demo_reviews, "luma_reviews")


def features(rows: list[LabeledText], embedder: Embedder, *, progress: bool = True) -> np.ndarray:
    """(n, dim) float32: the embedding of each row's text."""
    return embed_in_batches(embedder, [row.text for row in rows], progress=progress, desc="embedding")


def labels(rows: list[LabeledText]) -> np.ndarray:
    """Class indexes into :data:`CLASSES`; raises on a label the head cannot learn ("mixed")."""
    unknown = {row.label for row in rows} - set(CLASSES)
    if unknown:
        raise ValueError(f"the head learns {CLASSES}; the training rows also have {sorted(unknown)}")
    return np.array([CLASSES.index(row.label) for row in rows], dtype=np.int64)


def main(argv: list[str] | None = None) -> int:
    from assistant.config import apply_environment, demo_store_dir, load_settings
    from index.embedders import load_embedder
    from index.embedding_cache import CachingEmbedder, cache_file

    apply_environment()
    parser = argparse.ArgumentParser(
        prog="python -m tools.sentiment_train", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--data", type=Path, default=Path("../shared/data"), help="the shared data folder")
    parser.add_argument(
        "--out", type=Path, default=default_head_path(), help="where to write the head (.npz)"
    )
    parser.add_argument("--embedder", default=DEFAULT_EMBEDDER, help="registry name of the embedder")
    parser.add_argument("--regularization", type=float, default=DEFAULT_REGULARIZATION)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    rows = training_rows(args.data, demo_store_dir() / "luma_reviews.jsonl")
    cache_dir = load_settings().cache_dir
    model = load_embedder(args.embedder, cache_dir)
    # Cached vectors are the model's own (keyed by text); `shopbot eval reviews` reuses them.
    embedder = CachingEmbedder(model, cache_file(cache_dir, model))
    matrix = features(rows, embedder)
    counts = {
        source: sum(row.source == source for row in rows) for source in dict.fromkeys(r.source for r in rows)
    }
    head = fit_head(
        matrix,
        labels(rows),
        embedder=embedder.name,
        regularization=args.regularization,
        seed=args.seed,
        info={"rows": counts, "features": "embedding", "C": args.regularization, "seed": args.seed},
    )
    head.save(args.out)
    print(f"wrote {args.out}: {len(rows)} rows {counts}, {head.n_features} features")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
