"""A trained recommender on disk: numpy arrays and a JSON manifest, swapped in atomically.

Layout of a model directory: ``manifest.json`` (format version, when and on what it was
trained, the parameters), ``als.npz`` and ``baskets.npz`` (implicit's own ``save`` of the two
models: plain arrays), ``state.npz`` (product and shopper ids, co-purchase counts,
popularity, purchases per shopper). Nothing is pickled: every file is read with
``allow_pickle=False``.

A save writes a new directory beside the old one, fsyncs it, and swaps it in with two renames
(:func:`index.layout.swap_into_place`); a crash or a failed save leaves the previous model, and
a crash between the renames is undone on the next load (:func:`index.layout.recover`).
A missing, partial or unreadable model raises :class:`RecommenderNotFoundError`.
"""

from __future__ import annotations

import json
import os
import shutil
import zipfile
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy import sparse

from index.layout import _fsync_dir, recover, swap_into_place

if TYPE_CHECKING:
    from index.recommender import Recommender

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
_MATRICES = ("co", "orders", "quantities")


class RecommenderNotFoundError(FileNotFoundError):
    """The directory holds no (readable) trained recommender."""


def save_model(model: Recommender, directory: Path) -> None:
    directory = Path(directory)
    directory.parent.mkdir(parents=True, exist_ok=True)
    work = directory.parent / f".{directory.name}.{os.getpid()}.partial"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    try:
        model.als.save(str(work / "als.npz"))
        model.baskets.save(str(work / "baskets.npz"))
        arrays: dict[str, np.ndarray] = {
            "products": np.array(model.products, dtype=str),
            "shoppers": np.array(model.shoppers, dtype=str),
            "popularity": model.popularity,
            "basket_counts": model.basket_counts,
        }
        for name in _MATRICES:
            matrix: sparse.csr_matrix = getattr(model, name)
            arrays |= {f"{name}_data": matrix.data, f"{name}_indices": matrix.indices,
                       f"{name}_indptr": matrix.indptr, f"{name}_shape": np.array(matrix.shape)}  # fmt: skip
        with open(work / "state.npz", "wb") as handle:
            np.savez(handle, **arrays)  # type: ignore[arg-type]  # numpy stubs type **kwds as allow_pickle
        manifest = {"format": FORMAT_VERSION, **model.info, "parameters": asdict(model.parameters)}
        (work / MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
        for path in work.iterdir():
            with open(path, "rb") as handle:
                os.fsync(handle.fileno())
        _fsync_dir(work)
        swap_into_place(work, directory)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def load_model(
    directory: Path, num_threads: int | None = None
) -> tuple[dict[str, Any], Any, Any, dict[str, Any]]:
    """(state, ALS model, basket model, parameters) of the model in ``directory``."""
    from index.recommender import Parameters, basket_model, require_implicit

    require_implicit()
    from implicit.cpu.als import AlternatingLeastSquares

    directory = Path(directory)
    recover(directory)
    manifest_path = directory / MANIFEST
    if not manifest_path.is_file():
        raise RecommenderNotFoundError(f"{directory}: no trained recommender (run: shopbot recommend train)")
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        if manifest.get("format") != FORMAT_VERSION:
            raise ValueError(f"format {manifest.get('format')}, this version reads {FORMAT_VERSION}")
        parameters = dict(manifest["parameters"])
        if num_threads is not None:
            parameters["num_threads"] = num_threads
        als = AlternatingLeastSquares.load(str(directory / "als.npz"))
        als.num_threads = parameters["num_threads"]
        with np.load(directory / "baskets.npz", allow_pickle=False) as data:
            baskets = basket_model(Parameters(**parameters))
            similarity = sparse.csr_matrix(
                (data["data"], data["indices"], data["indptr"]), shape=tuple(data["shape"])
            )
            baskets.__setstate__({**baskets.__dict__, "similarity": similarity})  # rebuilds implicit's scorer
        with np.load(directory / "state.npz", allow_pickle=False) as data:
            state: dict[str, Any] = {
                "products": data["products"].tolist(),
                "shoppers": data["shoppers"].tolist(),
                "popularity": data["popularity"],
                "basket_counts": data["basket_counts"],
            }
            for name in _MATRICES:
                state[name] = sparse.csr_matrix(
                    (data[f"{name}_data"], data[f"{name}_indices"], data[f"{name}_indptr"]),
                    shape=tuple(data[f"{name}_shape"]),
                )
        state["info"] = {key: value for key, value in manifest.items() if key not in ("format", "parameters")}
        products = len(state["products"])
        shapes = {
            als.item_factors.shape[0],
            similarity.shape[0],
            state["co"].shape[0],
            len(state["popularity"]),
        }
        if shapes != {products} or state["orders"].shape != (len(state["shoppers"]), products):
            raise ValueError("its arrays disagree on the number of products")
    except RecommenderNotFoundError:
        raise
    except (OSError, ValueError, KeyError, TypeError, EOFError, zipfile.BadZipFile) as error:
        raise RecommenderNotFoundError(f"{directory}: unreadable recommender ({error}); retrain it") from None
    return state, als, baskets, parameters
