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

Importing this package is cheap: names are imported on first use (PEP 562), so
``index.model_registry`` or ``index.schema`` can be used without loading FAISS or torch.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from index.catalog import BuildReport, CatalogIndex, IndexNotFoundError
    from index.embedders import Embedder, HashingEmbedder, load_embedder
    from index.ingest import FieldError, IngestError, parse_mapping
    from index.schema import Filters, Product, Review, RowError, SearchHit
    from index.vectors import IndexParams, VectorIndex, choose_kind

_WHERE = {
    **dict.fromkeys(("BuildReport", "CatalogIndex", "IndexNotFoundError"), "index.catalog"),
    **dict.fromkeys(("Embedder", "HashingEmbedder", "load_embedder"), "index.embedders"),
    **dict.fromkeys(("FieldError", "IngestError", "parse_mapping"), "index.ingest"),
    **dict.fromkeys(("Filters", "Product", "Review", "RowError", "SearchHit"), "index.schema"),
    **dict.fromkeys(("IndexParams", "VectorIndex", "choose_kind"), "index.vectors"),
}
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
    if name in _WHERE:
        return getattr(import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'index' has no attribute {name!r}")
