"""`shopbot index info`: what an index holds and what the assistant thinks the store sells.

Prints the manifest's facts (products, reviews, embedder, when built) and the vocabulary read
from the catalog at index time (:mod:`index.vocabulary`): product types with their product
counts, audiences, currencies and the commonest attribute values. ``--json`` prints it all as
JSON for scripts.
"""

from __future__ import annotations

import argparse
import json


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--index", help="catalog index directory (default: the demo index in the data dir)")
    parser.add_argument("--types", type=int, default=30, help="product types shown, most products first")
    parser.add_argument(
        "--json", action="store_true", help="print the manifest and the whole vocabulary as JSON"
    )


def run(args: argparse.Namespace) -> int:
    from assistant.config import load_settings
    from assistant.loading import IndexMissingError, load_catalog

    try:
        catalog = load_catalog(load_settings(), args.index)
    except IndexMissingError as error:
        print(f"shopbot index info: {error}")
        return 1
    vocabulary = catalog.vocabulary()
    manifest = catalog.manifest
    if args.json:
        print(
            json.dumps(
                {"manifest": manifest, "vocabulary": vocabulary.to_dict()}, ensure_ascii=False, indent=2
            )
        )
        return 0
    counts = manifest.get("counts", {})
    print(f"{catalog.directory}")
    print(f"  {counts.get('products', 0)} products, {counts.get('reviews', 0)} reviews; "
          f"embedder {manifest['embedder']['name']}; built {manifest.get('created_at', '?')}"
          + (f", updated {manifest['updated_at']}" if manifest.get("updated_at") else ""))  # fmt: skip
    print(f"  language {vocabulary.lang}; currency {vocabulary.currency or 'none'}")
    cap = manifest.get("text", {}).get("max_tokens")
    print(
        "  embedded text: title, brand, category, description; " + (f"first {cap} tokens" if cap else "whole")
    )
    types = vocabulary.top_types(args.types)
    print(f"\nproduct types ({len(vocabulary.types)}; {len(types)} shown):")
    print("  " + ", ".join(f"{name} {count}" for name, count in types))
    print("\naudiences: " + ", ".join(f"{name} {count}" for name, count in vocabulary.audiences.items()))
    for name, values in vocabulary.attributes.items():
        top = sorted(values.items(), key=lambda item: -item[1])[:12]
        print(f"{name}: " + ", ".join(f"{value} {count}" for value, count in top))
    return 0
