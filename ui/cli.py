"""`shopbot`: the command line.

Every command is one module in ``ui/commands`` exposing ``add_arguments(parser)`` and
``run(args) -> int``. Modules are imported only to build their own parser, and they import
heavy libraries (torch, faiss, llama.cpp) inside ``run``, so ``shopbot --help`` stays fast.
A command whose module does not exist yet is still listed, marked "not available yet".
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from types import ModuleType

# (command path, module under ui.commands, one-line help)
COMMANDS: list[tuple[tuple[str, ...], str, str]] = [
    (("demo",), "demo", "prepare the demo store and model, then start the chat"),
    (("config",), "config", "print the effective settings and where they come from"),
    (("models",), "models", "list bundled models and their status; assemble and verify them"),
    (("index", "build"), "index_build", "ingest a catalog (and reviews) and build a search index"),
    (("index", "info"), "index_info", "what an index holds: counts, embedder, the product types it sells"),
    (("search",), "search", "search a catalog index"),
    (("chat",), "chat", "chat with the assistant in the terminal"),
    (("web",), "web", "serve the web chat (Gradio)"),
    (("telegram",), "telegram", "run the Telegram bot"),
    (("api",), "api", "serve the HTTP API (chat as Server-Sent Events, search, products, tools)"),
    (("mcp",), "mcp", "serve the shop's tools to MCP clients (stdio, or streamable HTTP)"),
    (("sentiment",), "sentiment", "sentiment and topics of review texts"),
    (("summarize",), "summarize", "summarize the reviews of a product"),
    (("describe",), "describe", "short description summaries in a language, into the text cache"),
    (("copy",), "copy", "write promo copy for products"),
    (("campaign",), "campaign", "marketing campaigns: save, list, show, run (copy per channel), delete"),
    (("eval", "retrieval"), "eval_retrieval", "nDCG/recall of catalog search against judged queries"),
    (("eval", "reviews"), "eval_reviews", "sentiment accuracy, summary ROUGE, copy fact-check rate"),
    (("eval", "threshold"), "eval_threshold", "calibrate the search relevance threshold on labelled pairs"),
    (("eval", "assistant"), "eval_assistant", "scripted conversations and real requests end to end"),
    (("eval", "relevance"), "eval_relevance", "does the assistant show the products a shopper asked for"),
    (
        ("eval", "recommendations"),
        "eval_recommendations",
        "recall/NDCG of for-you and bought-together on a time split",
    ),
    (
        ("events", "import"),
        "events_import",
        "import shoppers' orders, views and clicks from a CSV/JSONL file",
    ),
    (("events", "forget"), "events_forget", "delete everything recorded about a customer or session"),
    (("recommend", "train"), "recommend_train", "learn the recommenders from the stored events"),
    (("export", "feed"), "export_feed", "the catalog as a product feed (JSONL/CSV) for other software"),
    (("bench", "search"), "bench_search", "search latency, memory and recall at 10k-1M products"),
    (
        ("bench", "ingest"),
        "bench_ingest",
        "index build products/s, total time and memory, engines side by side",
    ),
    (("bench", "model"), "bench_model", "chat model load time, first token, tokens/s, tool calls"),
    (("bench", "channels"), "bench_channels", "web and Telegram overhead under concurrent users"),
]

GROUP_HELP = {
    "index": "catalog indexes",
    "eval": "quality evaluations",
    "bench": "speed benchmarks",
    "export": "data for other software",
    "events": "shopper behaviour: orders, views, clicks",
    "recommend": "recommendations from shopper behaviour",
}


def _load(module_name: str) -> ModuleType | None:
    try:
        return importlib.import_module(f"ui.commands.{module_name}")
    except ModuleNotFoundError as error:
        if error.name == f"ui.commands.{module_name}":
            return None
        raise


def _not_available(args: argparse.Namespace) -> int:
    print(f"shopbot {args.command_name}: not available yet in this version.", file=sys.stderr)
    return 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="shopbot", description="Conversational shopping assistant.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug details")
    top = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)
    groups: dict[str, argparse._SubParsersAction] = {}
    for path, module_name, help_text in COMMANDS:
        subparsers = top
        if len(path) == 2:
            if path[0] not in groups:
                group = top.add_parser(path[0], help=GROUP_HELP[path[0]])
                groups[path[0]] = group.add_subparsers(title="commands", metavar="COMMAND", required=True)
            subparsers = groups[path[0]]
        module = _load(module_name)
        shown_help = help_text if module else f"{help_text} (not available yet)"
        command = subparsers.add_parser(path[-1], help=shown_help, description=help_text)
        command.set_defaults(command_name=" ".join(path), handler=module.run if module else _not_available)
        if module:
            module.add_arguments(command)
    return parser


def main(argv: list[str] | None = None) -> None:
    from assistant.config import apply_environment

    apply_environment()
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        code = args.handler(args)
    except KeyboardInterrupt:
        code = 130
    except Exception as error:  # a user sees the message; -v shows the traceback
        if args.verbose:
            raise
        print(f"shopbot {args.command_name}: {error}", file=sys.stderr)
        print("(run with -v for details)", file=sys.stderr)
        code = 1
    raise SystemExit(code)
