"""The catalog engine: ingest, metadata store, FAISS + BM25 hybrid search, embedders.

Public surface (everything else is private to the package)::

    CatalogIndex, BuildReport, IndexNotFoundError   index.catalog
    Product, Review, Filters, SearchHit, RowError   index.schema
    IngestError, parse_mapping                      index.ingest
    VectorIndex, IndexParams, choose_kind           index.vectors
    Embedder, HashingEmbedder, load_embedder        index.embedders

Exceptions::

    ValueError
     +-- IngestError         bad catalog/review input (file:line: field: problem)
     +-- FieldError          one bad field of one record
    FileNotFoundError
     +-- IndexNotFoundError  no readable index in a directory

Importing this package is cheap: the names above are resolved on first use (PEP 562), so
``import index.model_registry`` (the CLI's ``--help``) does not load FAISS or numpy.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from index.catalog import BuildReport, CatalogIndex, IndexNotFoundError
    from index.embedders import Embedder, HashingEmbedder, load_embedder
    from index.ingest import FieldError, IngestError, parse_mapping
    from index.schema import Filters, Product, Review, RowError, SearchHit
    from index.vectors import IndexParams, VectorIndex, choose_kind

_HOMES = {
    "index.catalog": ("BuildReport", "CatalogIndex", "IndexNotFoundError"),
    "index.embedders": ("Embedder", "HashingEmbedder", "load_embedder"),
    "index.ingest": ("FieldError", "IngestError", "parse_mapping"),
    "index.schema": ("Filters", "Product", "Review", "RowError", "SearchHit"),
    "index.vectors": ("IndexParams", "VectorIndex", "choose_kind"),
}
_HOME_OF = {name: module for module, names in _HOMES.items() for name in names}

__all__ = [
    "BuildReport",
    "CatalogIndex",
    "Embedder",
    "FieldError",
    "Filters",
    "HashingEmbedder",
    "IndexNotFoundError",
    "IndexParams",
    "IngestError",
    "Product",
    "Review",
    "RowError",
    "SearchHit",
    "VectorIndex",
    "choose_kind",
    "load_embedder",
    "parse_mapping",
]


def __getattr__(name: str) -> Any:
    module = _HOME_OF.get(name)
    if module is None:
        raise AttributeError(f"module 'index' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
