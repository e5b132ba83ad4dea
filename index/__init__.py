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

Importing this package is cheap: FAISS and SQLite load with ``index.catalog``/``index.vectors``,
which these names pull in; embedding models load only when one is requested.
"""

from index.catalog import BuildReport, CatalogIndex, IndexNotFoundError
from index.embedders import Embedder, HashingEmbedder, load_embedder
from index.ingest import FieldError, IngestError, parse_mapping
from index.schema import Filters, Product, Review, RowError, SearchHit
from index.vectors import IndexParams, VectorIndex, choose_kind

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
