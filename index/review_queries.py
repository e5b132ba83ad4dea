"""A judged set made from a catalog's own reviews: shoppers' words about a product as the query.

Home Depot and EcomGPT judge product *titles* only, so they cannot tell whether embedding a
product's description (or how much of it) helps search. The Amazon India catalog of
``../shared/data/catalogs`` has long titles, five-level category paths, a description
(``about_product``) and, for each product, what its reviewers wrote. For each product with a
review of at least :data:`MIN_WORDS` words, mostly in Latin script: the first
:data:`QUERY_WORDS` words of its review text are a query; the reviewed product has relevance 2
(the only one that recall counts), every other product of the same leaf category 1, the rest 0.
Nobody wrote these queries for this project, and nothing was tuned on them.

The corpus is the whole catalog as the ingest benchmark reads it (:data:`index.ingest_bench.CATALOGS`).
"""

from __future__ import annotations

import csv
from dataclasses import asdict
from pathlib import Path

from index.ingest import load_products
from index.ingest_bench import CATALOGS, any_field_size
from index.retrieval_eval import EvalSet, JudgedQuery

QUERY_WORDS = 30
MIN_WORDS = 5
GAIN_NOTE = (
    "the first 30 words of a product's review as the query; the reviewed product relevance 2 "
    "(recall counts it alone), other products of its leaf category 1"
)


def review_query_set(name: str, catalog_csv: Path) -> EvalSet:
    """The set of ``catalog_csv`` (the Amazon India products-and-reviews file)."""
    spec = CATALOGS["amazon"]
    products = {p.id: p for p in load_products(catalog_csv, spec.mapping, False, spec.currency).records}
    leaf = {pid: (product.category or "").rsplit("/", 1)[-1] for pid, product in products.items()}
    by_leaf: dict[str, set[str]] = {}
    for pid, category in leaf.items():
        by_leaf.setdefault(category, set()).add(pid)
    queries: list[JudgedQuery] = []
    seen: set[str] = set()
    with any_field_size(), catalog_csv.open(encoding="utf-8-sig", newline="") as rows:
        for row in csv.DictReader(rows):
            pid = row.get(spec.mapping["id"], "")
            if pid in seen or pid not in products:
                continue
            seen.add(pid)
            text = row.get("review_content") or row.get("review_title") or ""
            words = text.split()[:QUERY_WORDS]
            if len(words) < MIN_WORDS or sum(c.isascii() for c in text) < 0.9 * len(text):
                continue
            gains = dict.fromkeys(by_leaf[leaf[pid]], 1.0)
            gains[pid] = 2.0
            queries.append(JudgedQuery(" ".join(words), gains, frozenset({pid})))
    corpus = {pid: asdict(product) for pid, product in products.items()}
    return EvalSet(name=name, language="en", corpus=corpus, queries=queries, gain_note=GAIN_NOTE)
