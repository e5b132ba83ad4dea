"""Retrieval evaluation: nDCG@k and recall@k of catalog search against judged queries.

Judged sets are JSONL files: a corpus (product records with at least ``id`` and ``title``,
one per line) and queries (``{"query", "judgments": {doc_id: relevance}}``). Each :class:`SetSpec` says how a raw
relevance becomes a gain for nDCG and which relevance counts as relevant for recall:

- Home Depot (English): human relevance averaged over raters, 1 (irrelevant) .. 3 (exact).
  gain = relevance - 1 (linear, 0..2); relevant for recall when relevance >= 2.
- EcomGPT (Chinese): relevance 1 (the matching title) or 0 (a judged non-match).
  gain = relevance; relevant when relevance >= 1.
- Luma, cross-lingual (bundled): our own Chinese queries against the English demo store,
  every product of the asked-for category (and type) judged 1; see ``eval_data/README.md``.
- Amazon reviews (English, derived from a catalog file): a product's review as the query, over
  products with long titles and descriptions (:mod:`index.review_queries`).

nDCG@k uses the linear gain and a log2(rank + 1) discount; its ideal ranking is built from
all judged gains of the query, so a judged relevant product missing from the index still
counts against the score. Large corpora are evaluated on a seeded, documented subsample
(:func:`subsample`): all judged products of the sampled queries plus random distractors.

This module measures rankings; it does not build indexes (``index.eval_runner`` does) or
print anything.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path
from typing import Any


class EvalDataError(ValueError):
    """A judged-set file is malformed; the message names file, line and field."""


@dataclass(frozen=True)
class JudgedQuery:
    text: str
    gains: dict[str, float]  # doc id -> gain used by nDCG (0 = judged irrelevant)
    relevant: frozenset[str]  # doc ids that recall counts


@dataclass(frozen=True)
class SetSpec:
    """How to read one judged set and turn its relevance into gains."""

    name: str
    language: str
    corpus_file: str
    queries_file: str
    gain_offset: float  # gain = relevance - gain_offset (clipped at 0)
    relevant_from: float  # relevance >= this counts for recall
    gain_note: str
    bundled: bool = False  # files are package data of ``index`` rather than in the data folder
    derived: bool = False  # corpus_file is a catalog the set is made from (``index.review_queries``)


SETS: dict[str, SetSpec] = {
    spec.name: spec
    for spec in (
        SetSpec(
            name="homedepot",
            language="en",
            corpus_file="homedepot_corpus.jsonl",
            queries_file="homedepot_dev_queries.jsonl",
            gain_offset=1.0,
            relevant_from=2.0,
            gain_note="relevance 1..3 (rater mean); gain = relevance - 1; relevant for recall if >= 2",
        ),
        SetSpec(
            name="ecomgpt_zh",
            language="zh",
            corpus_file="ecomgpt_zh_corpus.jsonl",
            queries_file="ecomgpt_zh_queries.jsonl",
            gain_offset=0.0,
            relevant_from=1.0,
            gain_note="relevance 1 (match) / 0 (judged non-match); gain = relevance",
        ),
        SetSpec(
            name="luma_zh_to_en",
            language="zh->en",
            corpus_file="demo_store/luma_products.jsonl",
            queries_file="eval_data/luma_zh_queries.jsonl",
            gain_offset=0.0,
            relevant_from=1.0,
            gain_note="Chinese queries, English demo store; every product of the asked-for type has gain 1",
            bundled=True,
        ),
        SetSpec(
            name="amazon_reviews",
            language="en",
            corpus_file="../../catalogs/amazon_in_products_reviews.csv",
            queries_file="",
            gain_offset=0.0,
            relevant_from=2.0,
            gain_note="",
            derived=True,
        ),
    )
}


@dataclass(frozen=True)
class EvalSet:
    name: str
    language: str
    corpus: dict[str, dict[str, Any]]  # doc id -> product record (id, title, ...), in file order
    queries: list[JudgedQuery]
    gain_note: str
    sample_note: str = "full set"

    def fingerprint(self) -> str:
        """Short hash of the corpus content: the key under which its index is cached."""
        digest = hashlib.sha256()
        for record in self.corpus.values():
            digest.update(json.dumps(record, sort_keys=True, ensure_ascii=False).encode() + b"\n")
        return digest.hexdigest()[:16]


def ndcg_at_k(ranked: Sequence[str], gains: Mapping[str, float], k: int = 10) -> float:
    """Normalized DCG of the first ``k`` ids of ``ranked`` (linear gains, log2 discount).

    Unjudged ids have gain 0. A query without any positive gain scores 0.
    """
    dcg = sum(gains.get(doc_id, 0.0) / math.log2(rank + 2) for rank, doc_id in enumerate(ranked[:k]))
    ideal_gains = sorted((gain for gain in gains.values() if gain > 0), reverse=True)[:k]
    ideal = sum(gain / math.log2(rank + 2) for rank, gain in enumerate(ideal_gains))
    return dcg / ideal if ideal > 0 else 0.0


def recall_at_k(ranked: Sequence[str], relevant: frozenset[str] | set[str], k: int = 10) -> float:
    """Share of the ``relevant`` ids found in the first ``k`` of ``ranked`` (0 when none are)."""
    if not relevant:
        return 0.0
    return len(relevant.intersection(ranked[:k])) / len(relevant)


def _read_jsonl(path: Path) -> list[tuple[int, dict[str, Any]]]:
    rows = []
    try:
        handle = path.open(encoding="utf-8")
    except OSError as error:
        raise EvalDataError(f"{path}: cannot read ({error.strerror})") from None
    with handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as error:
                raise EvalDataError(f"{path}, line {number}: not valid JSON ({error.msg})") from None
            if not isinstance(row, dict):
                raise EvalDataError(f"{path}, line {number}: expected a JSON object")
            rows.append((number, row))
    return rows


def _field(path: Path, number: int, row: Mapping[str, object], name: str, kind: type) -> object:
    value = row.get(name)
    if not isinstance(value, kind) or (isinstance(value, str) and not value.strip()):
        raise EvalDataError(f"{path}, line {number}: field {name!r} must be a non-empty {kind.__name__}")
    return value


def load_corpus(path: Path) -> dict[str, dict[str, Any]]:
    """id -> product record from a corpus JSONL file; ids must be unique, titles non-empty."""
    corpus: dict[str, dict[str, Any]] = {}
    for number, row in _read_jsonl(path):
        doc_id = str(_field(path, number, row, "id", str))
        if doc_id in corpus:
            raise EvalDataError(f"{path}, line {number}: field 'id': duplicate id {doc_id!r}")
        _field(path, number, row, "title", str)
        corpus[doc_id] = row
    return corpus


def load_queries(path: Path, spec: SetSpec, corpus: Mapping[str, object] | None = None) -> list[JudgedQuery]:
    """Judged queries of ``path``, with gains and relevant ids as ``spec`` defines them.

    With ``corpus``, a judgment naming an id the corpus lacks is an error.
    """
    queries = []
    for number, row in _read_jsonl(path):
        text = str(_field(path, number, row, "query", str))
        judgments = _field(path, number, row, "judgments", dict)
        assert isinstance(judgments, dict)
        gains: dict[str, float] = {}
        relevant = set()
        for doc_id, relevance in judgments.items():
            if isinstance(relevance, bool) or not isinstance(relevance, int | float):
                raise EvalDataError(
                    f"{path}, line {number}: field 'judgments.{doc_id}' must be a number, got {relevance!r}"
                )
            if corpus is not None and doc_id not in corpus:
                raise EvalDataError(
                    f"{path}, line {number}: field 'judgments' names {doc_id!r}, which is not in the corpus"
                )
            gains[doc_id] = max(0.0, float(relevance) - spec.gain_offset)
            if relevance >= spec.relevant_from:
                relevant.add(doc_id)
        queries.append(JudgedQuery(text=text, gains=gains, relevant=frozenset(relevant)))
    return queries


def load_eval_set(spec: SetSpec, data_dir: Path) -> EvalSet:
    """The judged set ``spec`` from ``data_dir`` (the folder holding its two files)."""
    root = Path(str(resources.files("index"))) if spec.bundled else data_dir
    if spec.derived:
        from index.review_queries import review_query_set

        return review_query_set(spec.name, root / spec.corpus_file)
    corpus = load_corpus(root / spec.corpus_file)
    queries = load_queries(root / spec.queries_file, spec, corpus)
    return EvalSet(
        name=spec.name,
        language=spec.language,
        corpus=corpus,
        queries=queries,
        gain_note=spec.gain_note,
    )


def subsample(eval_set: EvalSet, n_queries: int | None, n_distractors: int | None, seed: int = 0) -> EvalSet:
    """A smaller set: ``n_queries`` seeded random queries that have a relevant product, all
    products they judge, and ``n_distractors`` seeded random other products.

    ``None`` keeps all queries / all other products. Query order follows the file.
    """
    rng = random.Random(seed)
    queries = eval_set.queries
    if n_queries is not None and n_queries < len(queries):
        answerable = [index for index, query in enumerate(queries) if query.relevant]
        queries = [
            queries[index] for index in sorted(rng.sample(answerable, min(n_queries, len(answerable))))
        ]
    judged = {doc_id for query in queries for doc_id in query.gains}
    others = [doc_id for doc_id in eval_set.corpus if doc_id not in judged]
    if n_distractors is not None and n_distractors < len(others):
        others = rng.sample(others, n_distractors)
    keep = judged | set(others)
    if len(queries) == len(eval_set.queries) and len(keep) == len(eval_set.corpus):
        return eval_set
    corpus = {doc_id: record for doc_id, record in eval_set.corpus.items() if doc_id in keep}
    note = (
        f"{len(queries)} of {len(eval_set.queries)} queries (seed {seed}); {len(corpus)} of "
        f"{len(eval_set.corpus)} products: the {len(judged)} they judge + {len(corpus) - len(judged)} "
        "random distractors"
    )
    return replace(eval_set, corpus=corpus, queries=queries, sample_note=note)
