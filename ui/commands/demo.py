"""`shopbot demo` (what `make run` runs): prepare the bundled model and the demo store's index,
then serve the web chat on 127.0.0.1 (`--terminal`: chat in the terminal instead).

Each step is skipped when already done: the model is assembled and verified once, and the index
is rebuilt only when the catalog, reviews, embedder or options changed.
"""

from __future__ import annotations

import argparse

from assistant.config import Settings, load_settings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--prepare-only", action="store_true", help="prepare the model and the index, then exit"
    )
    parser.add_argument("--terminal", action="store_true", help="chat in the terminal instead of the web")


def prepare(settings: Settings) -> None:
    """Assemble/verify the chat model and build (or reuse) the catalog index, with progress."""
    from index import CatalogIndex
    from index.model_registry import ensure, registered

    if registered(settings.chat_model):
        print(f"[1/2] chat model {settings.chat_model}")
        path = ensure(settings.chat_model, settings.cache_dir)
        print(f"      ready: {path}")
    else:
        print(f"[1/2] chat model: your own, {settings.chat_model}")
    index_dir = settings.effective_index_dir
    print(f"[2/2] catalog index of {settings.catalog.name} in {index_dir}")
    report = CatalogIndex.build_from_files(
        settings.catalog,
        index_dir,
        embedder=settings.embedder,
        reviews=settings.reviews,
        cache_dir=settings.cache_dir,
    )
    state = "unchanged, reused" if report.skipped_build else "built"
    print(
        f"      {state}: {report.products} products, {report.reviews} reviews, "
        f"{report.kind} index, {report.seconds:.1f} s"
    )


def run(args: argparse.Namespace) -> int:
    settings = load_settings()
    prepare(settings)
    if args.prepare_only:
        return 0
    if args.terminal:
        from ui.commands import chat

        return chat.interactive(settings)
    from ui.commands import web

    return web.run(argparse.Namespace(index=None, host=None, port=None))
