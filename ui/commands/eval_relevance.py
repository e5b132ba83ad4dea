"""`shopbot eval relevance`: does the assistant show the products a shopper asked for?

Runs the written requests of each catalog (``assistant/eval_data/relevance_<catalog>.jsonl``)
and ``--cross-sample`` titles of catalogs whose categories do not overlap it, each as the
first message of a fresh session, through the gated pipeline (the shipped one) and the
baseline (``relevance_gate=False``) in the same run; prints progress, and writes to ``--out``
(markdown) the table catalog x pipeline x metrics, the set sizes, and every request the gated
pipeline got wrong with the cards it showed. See :mod:`assistant.relevance_eval` for the
judging. Catalogs: ``demo`` (the demo index in the data dir), ``litemall`` and ``flipkart``
(indexes you build from the shared data; without one the command prints how).
"""

from __future__ import annotations

import argparse
import os
import platform
import shlex
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from assistant.relevance_eval import Judged, Request, run_requests, summarize

PIPELINES = (("gated", True), ("baseline", False))
_BUILD = {
    "litemall": "zh_store/litemall_products.jsonl --reviews {data}/zh_store/litemall_reviews.jsonl",
    "flipkart": "catalogs/flipkart_products.csv "
    "--map id=uniq_id,title=product_name,category=product_category_tree,price=discounted_price --currency INR",
}


def _shared_data() -> Path:
    return Path(os.environ.get("SHOPBOT_SHARED_DATA", "../shared/data"))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--catalogs", default="demo,litemall,flipkart", help="comma-separated: demo, litemall, flipkart"
    )
    for name in ("demo", "litemall", "flipkart"):
        where = "the demo index in the data dir" if name == "demo" else f"<data dir>/indexes/{name}"
        parser.add_argument(f"--index-{name}", type=Path, help=f"{name} index directory (default: {where})")
    parser.add_argument(
        "--cross-sample", type=int, default=20, help="cross-catalog requests per catalog (seeded)"
    )
    parser.add_argument(
        "--limit", type=int, help="at most this many written requests per catalog (a quick look)"
    )
    parser.add_argument("--out", type=Path, default=Path("docs/results/relevance.md"), help="markdown report")


def run(args: argparse.Namespace) -> int:
    from assistant.assistant import Assistant
    from assistant.config import demo_store_dir, load_settings
    from assistant.loading import IndexMissingError, lazy_analyzer, load_catalog
    from assistant.models.loader import load_chat_model
    from assistant.relevance_eval import CATALOGS, CROSS_SOURCES, cross_requests, load_set, source_titles

    names = [name.strip() for name in args.catalogs.split(",") if name.strip()]
    unknown = [name for name in names if name not in CATALOGS]
    if unknown:
        return _fail(f"unknown catalog(s) {', '.join(unknown)}; choose from {', '.join(CATALOGS)}", 2)
    settings = load_settings()
    catalogs: dict[str, Any] = {}
    for name in names:
        directory = getattr(args, f"index_{name}") or settings.data_dir / "indexes" / name
        try:
            catalogs[name] = load_catalog(settings, directory)
        except IndexMissingError:
            if name == "demo":
                how = "Prepare it with `shopbot demo` (or `make run`), "
            else:
                data = shlex.quote(str(_shared_data()))
                build = f"shopbot index build {data}/{_BUILD[name].format(data=data)}"
                how = f"Build it with\n  {build} --out {shlex.quote(str(directory))}\n"
            return _fail(f"no {name} index in {directory}. {how}or pass --index-{name} DIR.", 1)
    needed = {s.name for name in names for s in CROSS_SOURCES[name]} if args.cross_sample > 0 else set()
    if needed - {"demo"} and not _shared_data().is_dir():
        message = f"the shared data is not at {_shared_data()} (cross-catalog titles come from it)"
        return _fail(f"{message}; set SHOPBOT_SHARED_DATA, or pass --cross-sample 0", 1)
    sources = {source: source_titles(source, _shared_data(), demo_store_dir()) for source in sorted(needed)}
    sets = {}
    for name, catalog in catalogs.items():
        products = [catalog.get(pid) for pid in catalog.product_ids()]
        texts = [text for p in products if p is not None for text in (p.title, p.category or "")]
        crossed = cross_requests(name, texts, sources, args.cross_sample) if needed else []
        sets[name] = load_set(name)[: args.limit] + crossed

    model = load_chat_model(settings)
    analyzer = lazy_analyzer(settings.cache_dir)
    print("warming the chat model up (as a server does when it starts)...", flush=True)
    Assistant(model, next(iter(catalogs.values())), analyzer_factory=analyzer).warm_up()
    started = time.perf_counter()
    judged: dict[tuple[str, str], list[Judged]] = {}
    for name, catalog in catalogs.items():
        for pipeline, gate in PIPELINES:
            assistant = Assistant(model, catalog, analyzer_factory=analyzer, relevance_gate=gate)
            judged[name, pipeline] = run_requests(assistant, sets[name], label=f"{name}-{pipeline}", say=_say)
            _write(
                args.out,
                _report(args, names, settings, catalogs, sets, judged, time.perf_counter() - started),
            )
    report = _report(args, names, settings, catalogs, sets, judged, time.perf_counter() - started)
    _write(args.out, report)
    print(table(_rows(judged)))
    print(f"\nwritten to {args.out}")
    return 0


def _fail(message: str, code: int) -> int:
    print(f"shopbot eval relevance: {message}", file=sys.stderr)
    return code


def _say(line: str) -> None:
    print(line, flush=True)


def _rows(judged: dict[tuple[str, str], list[Judged]]) -> list[tuple[str, str, dict[str, Any]]]:
    """(catalog, pipeline, metrics) per run, then over all catalogs per pipeline."""
    rows = [(name, pipeline, summarize(results)) for (name, pipeline), results in judged.items()]
    if len({name for name, _ in judged}) > 1:
        for pipeline, _ in PIPELINES:
            pooled = [j for (_, p), results in judged.items() if p == pipeline for j in results]
            rows.append(("all", pipeline, summarize(pooled)))
    return rows


def _report(
    args: argparse.Namespace,
    names: list[str],
    settings: Any,
    catalogs: dict[str, Any],
    sets: dict[str, list[Request]],
    judged: dict[tuple[str, str], list[Judged]],
    seconds: float,
) -> str:
    indexes = ", ".join(
        f"{name} `{Path(catalog.directory).name}` ({len(catalog)} products, embedder "
        f"`{catalog.manifest['embedder']['name']}`)"
        for name, catalog in catalogs.items()
    )
    limit = f" --limit {args.limit}" if args.limit else ""
    limit += "".join(
        f" --index-{name} {shlex.quote(str(getattr(args, f'index_{name}')))}"
        for name in names
        if getattr(args, f"index_{name}")
    )
    head = (
        "# Relevance evaluation\n\n"
        f"Generated by `shopbot eval relevance --catalogs {','.join(names)} --cross-sample {args.cross_sample}{limit}` "
        f"on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} CPU cores ({platform.machine()}), "
        f"chat model `{settings.chat_model}` ({settings.chat_backend}), indexes: {indexes}; {seconds:.0f} s so far.\n\n"
        "Each request is the first message of a fresh session. *gated*: the shipped pipeline; *baseline*: "
        "`Assistant(..., relevance_gate=False)`. Precision counts the cards shown as matches (not those "
        "shown as alternatives) of requests the store can answer; honest no-match is the share of "
        "requests the store cannot answer where no card was shown as a match; a failed turn counts "
        "against every rate it enters. Judging: `assistant/relevance_eval.py`.\n\n"
    )
    body = [head, table(_rows(judged)), "\n\n## Requests by kind\n\n", set_sizes(sets)]
    for (name, pipeline), results in judged.items():
        if pipeline == "gated":
            body.append(
                f"\n\n## Judged wrong, gated pipeline: {name}\n\n{failing(results, quote=name == 'demo')}"
            )
    return "".join(body) + "\n"


# -- the markdown report --------------------------------------------------------------------

COLUMNS = (
    ("requests", "requests"), ("precision", "precision %"), ("cards", "cards judged"),
    ("at_least_one", "≥1 match %"), ("no_cards", "match requests with 0 cards"),
    ("honest", "honest no-match %"), ("traps", "unit traps avoided %"), ("limits", "limits held %"),
    ("errors", "errors"), ("card_p50", "first card p50 s"), ("card_p95", "first card p95 s"),
    ("p50", "turn p50 s"), ("p95", "turn p95 s"),
)  # fmt: skip


def table(rows: list[tuple[str, str, dict[str, Any]]]) -> str:
    """A markdown table of (catalog, pipeline, metrics) rows."""
    lines = ["| catalog | pipeline | " + " | ".join(label for _, label in COLUMNS) + " |",
             "|" + "---|" * (len(COLUMNS) + 2)]  # fmt: skip
    for catalog, pipeline, metrics in rows:
        cells = ["-" if metrics[key] is None else f"{metrics[key]:g}" for key, _ in COLUMNS]
        lines.append(f"| {catalog} | {pipeline} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def set_sizes(sets: dict[str, list[Request]]) -> str:
    """A markdown table of how many requests of each kind each catalog's set holds (a request
    can be of several kinds: "men's jacket under $60" is audience and limit)."""
    kinds: list[tuple[str, Callable[[Request], bool]]] = [
        ("all", lambda r: True), ("expect match", lambda r: r.expect == "match"),
        ("written out-of-catalog", lambda r: r.expect == "none" and not r.cross),
        ("cross-catalog", lambda r: r.cross), ("audience", lambda r: r.audience is not None),
        ("stated limit", lambda r: bool(r.limits)), ("unit trap", lambda r: r.trap is not None),
        ("Chinese", lambda r: r.lang == "zh"), ("English", lambda r: r.lang == "en"),
    ]  # fmt: skip
    lines = ["| catalog | " + " | ".join(name for name, _ in kinds) + " |", "|" + "---|" * (len(kinds) + 1)]
    for catalog, requests in sets.items():
        lines.append(
            f"| {catalog} | " + " | ".join(str(sum(map(test, requests))) for _, test in kinds) + " |"
        )
    return "\n".join(lines)


def failing(judged: list[Judged], limit: int = 80, *, quote: bool = True) -> str:
    """A markdown list of the requests judged wrong: the request, its cards, why. Without
    ``quote`` (a catalog whose data may not be copied into the project) cards are named by id
    (requests made from other catalogs' titles are named by id in any case)."""
    lines = []
    for j in judged:
        reasons = j.failures()
        if not reasons:
            continue
        cards = (
            "; ".join(
                f"{'(alt) ' if c.alternative else ''}{c.title if quote else c.id}"
                + (f" {c.price:g}" if c.price is not None else "")
                for c in j.cards
            )
            or "none"
        )
        text = "" if j.request.cross else f" {j.request.text!r}"
        lines.append(f"- `{j.request.id}`{text} — cards: {cards} — wrong: {' | '.join(reasons)}")
    more = len(lines) - limit
    return "\n".join(lines[:limit] + ([f"- ... and {more} more"] if more > 0 else [])) or "- none"


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    partial.write_text(text, encoding="utf-8")
    partial.replace(path)
