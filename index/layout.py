"""The index directory on disk: its manifest, the atomic swap of a finished build into place,
recovery from a crash during that swap, and the fingerprint of a build's inputs.

Layout of a directory: ``manifest.json``, ``catalog.sqlite`` (:mod:`index.store`) and the
current ``vectors-<generation>.faiss`` with its ``.json`` sidecar (:mod:`index.vectors`).
What the files hold is not this module's business.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from index.embedders import Embedder, embedder_revision, expected_revision
from index.ingest import IngestError

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
DATABASE = "catalog.sqlite"


class IndexNotFoundError(FileNotFoundError):
    """The directory holds no (readable) catalog index."""


def input_fingerprint(catalog: Path, reviews: Path | None, embedder: str, options: Mapping[str, Any]) -> str:
    digest = hashlib.sha256(json.dumps([FORMAT_VERSION, embedder, options], sort_keys=True).encode())
    for path in (catalog, reviews):
        if path is None:
            continue
        if not path.is_file():
            raise IngestError(f"{path}: no such file")
        with open(path, "rb") as handle:
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
        digest.update(b"\0")
    return digest.hexdigest()


def embedder_record(embedder: Embedder) -> dict[str, Any]:
    """What a manifest records of the embedder: name, dim and, when it has one, its revision."""
    revision = embedder_revision(embedder)
    return {"name": embedder.name, "dim": embedder.dim, **({"revision": revision} if revision else {})}


def check_embedder(directory: Path, recorded: Mapping[str, Any], embedder: Embedder | None) -> None:
    """Refuse an index whose vectors the query embedder would not match: a different model,
    dimension or engine revision than it was built with (``ValueError``), or, when the embedder
    is to be loaded by the recorded name, a name whose engine has changed since the build
    (:class:`IndexNotFoundError`, saying to rebuild)."""
    revision = recorded.get("revision")
    if embedder is not None:
        given = embedder_record(embedder)
        if (given["name"], given["dim"], given.get("revision")) != (
            recorded["name"],
            recorded["dim"],
            revision,
        ):
            raise ValueError(
                f"{directory}: built with {_describe(recorded)}, not with {_describe(given)}; "
                "rebuild it or load it with its own embedder"
            )
        return
    expected = expected_revision(str(recorded["name"]))
    if expected != revision:
        raise IndexNotFoundError(
            f"{directory}: its vectors come from {_describe(recorded)}, but {recorded['name']} now runs "
            f"{'engine ' + expected if expected else 'another engine'}, whose vectors differ; rebuild the "
            "index (`shopbot index build` with the same inputs rebuilds it)"
        )


def _describe(record: Mapping[str, Any]) -> str:
    revision = record.get("revision")
    engine = f", engine {revision}" if revision else ""
    return f"{record['name']} ({record['dim']}-d{engine})"


def read_manifest(directory: Path) -> dict[str, Any]:
    path = directory / MANIFEST
    if not path.is_file():
        raise IndexNotFoundError(
            f"{directory}: no catalog index here (no {MANIFEST}); build one with `shopbot index build`"
        )
    try:
        manifest: dict[str, Any] = json.loads(path.read_text())
    except ValueError as error:
        raise IndexNotFoundError(f"{path}: unreadable ({error}); rebuild the index") from None
    if manifest.get("format") != FORMAT_VERSION:
        raise IndexNotFoundError(
            f"{directory}: index format {manifest.get('format')}, this version reads {FORMAT_VERSION}; rebuild it"
        )
    return manifest


def write_json(path: Path, data: Mapping[str, Any]) -> None:
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    try:
        partial.write_text(json.dumps(data, indent=2, ensure_ascii=False))
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


def swap_into_place(work: Path, final: Path) -> None:
    """Replace ``final`` by ``work``: two renames; :func:`recover` undoes a crash between them."""
    old = final.parent / f".{final.name}.old"
    shutil.rmtree(old, ignore_errors=True)
    if final.exists():
        os.rename(final, old)
    os.rename(work, final)
    _fsync_dir(final.parent)
    shutil.rmtree(old, ignore_errors=True)


def recover(final: Path) -> None:
    old = final.parent / f".{final.name}.old"
    if not final.exists() and (old / MANIFEST).is_file():
        os.rename(old, final)


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
