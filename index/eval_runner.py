"""Run judged sets (:mod:`index.retrieval_eval`) through :class:`~index.catalog.CatalogIndex`.

For one set and one embedder: build the set's catalog index once and cache it under
``<cache_dir>/retrieval-eval/`` keyed by set, embedder and corpus fingerprint (document
vectors are also cached per text, :mod:`index.embedding_cache`, so a different sample of
the same corpus re-embeds only new titles); embed every query once; search it in each mode
("hybrid", "lexical", "dense") with the same query vector; score nDCG@k and recall@k.

Queries without any relevant product are skipped (they cannot be scored) and counted.
Printing and writing reports is the command's job (``ui/commands/eval_retrieval.py``).
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from index.building import TEXT_TOKENS
from index.catalog import CatalogIndex, Mode
from index.embedders import Embedder
from index.embedding_cache import CachingEmbedder, cache_file
from index.retrieval_eval import EvalSet, ndcg_at_k, recall_at_k

log = logging.getLogger(__name__)

MODES: tuple[Mode, ...] = ("hybrid", "lexical", "dense")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class ModeResult:
    set_name: str
    embedder: str
    mode: str
    ndcg: float
    recall: float
    queries: int  # scored queries
    skipped: int  # queries without a relevant product
    ms_per_query: float  # search time, query embedding excluded
    per_query_ndcg: tuple[float, ...]  # in query order, for paired comparisons between modes


def paired_difference(a: ModeResult, b: ModeResult) -> tuple[float, float]:
    """Mean per-query nDCG difference ``a - b`` and the half-width of its 95 % confidence
    interval (normal approximation over the queries both scored)."""
    differences = np.subtract(a.per_query_ndcg, b.per_query_ndcg)
    if len(differences) < 2:
        return float(differences.mean()) if len(differences) else 0.0, float("nan")
    return float(differences.mean()), float(1.96 * differences.std(ddof=1) / np.sqrt(len(differences)))


def index_dir(eval_set: EvalSet, embedder: Embedder, cache_dir: Path, text_tokens: int | None) -> Path:
    slug = _UNSAFE.sub("_", embedder.name).strip("_")[-60:]
    text = f"t{text_tokens}" if text_tokens else "whole"
    return (
        cache_dir
        / "retrieval-eval"
        / f"{eval_set.name}-{slug}-{embedder.dim}-{text}-{eval_set.fingerprint()}"
    )


def open_index(
    eval_set: EvalSet,
    embedder: Embedder,
    cache_dir: Path,
    *,
    progress: bool = True,
    text_tokens: int | None = TEXT_TOKENS,
) -> CatalogIndex:
    """The set's index for ``embedder``, product texts cut to ``text_tokens`` tokens (None:
    whole): loaded from the cache, or built (and cached) now."""
    directory = index_dir(eval_set, embedder, cache_dir, text_tokens)
    if (directory / "manifest.json").is_file():
        try:
            return CatalogIndex.load(directory, embedder=embedder)
        except Exception as error:  # an index from an older format: rebuild it
            log.warning("rebuilding cached evaluation index %s: %s", directory, error)
    cached = CachingEmbedder(embedder, cache_file(cache_dir, embedder))
    return CatalogIndex.build(
        list(eval_set.corpus.values()), directory, embedder=cached, progress=progress, text_tokens=text_tokens
    )


def evaluate(
    index: CatalogIndex,
    eval_set: EvalSet,
    embedder: Embedder,
    *,
    modes: tuple[Mode, ...] = MODES,
    k: int = 10,
    progress: bool = True,
) -> list[ModeResult]:
    """nDCG@k and recall@k of ``index`` on ``eval_set`` in each of ``modes``."""
    queries = [query for query in eval_set.queries if query.relevant]
    skipped = len(eval_set.queries) - len(queries)
    vectors = [
        embedder.embed_query(query.text)
        for query in tqdm(queries, desc=f"{eval_set.name}: embedding queries", disable=not progress)
    ]
    results = []
    for mode in modes:
        ndcgs, recalls = [], []
        elapsed = 0.0
        for query, vector in tqdm(
            list(zip(queries, vectors, strict=True)),
            desc=f"{eval_set.name}: {mode}",
            disable=not progress,
        ):
            start = time.perf_counter()
            hits = index.search(query.text, k=k, mode=mode, query_vector=vector)
            elapsed += time.perf_counter() - start
            ranked = [hit.product.id for hit in hits]
            ndcgs.append(ndcg_at_k(ranked, query.gains, k))
            recalls.append(recall_at_k(ranked, query.relevant, k))
        results.append(
            ModeResult(
                set_name=eval_set.name,
                embedder=embedder.name,
                mode=mode,
                ndcg=float(np.mean(ndcgs)) if ndcgs else 0.0,
                recall=float(np.mean(recalls)) if recalls else 0.0,
                queries=len(queries),
                skipped=skipped,
                ms_per_query=1000 * elapsed / max(len(queries), 1),
                per_query_ndcg=tuple(ndcgs),
            )
        )
    return results
