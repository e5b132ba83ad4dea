"""`shopbot sentiment`: label, score and topics of review texts, Chinese or English.

    shopbot sentiment "works okay but battery life is short" "质量不错，就是物流太慢了"
    shopbot sentiment --json "Great shoes" --rating 5
    shopbot sentiment --file reviews.jsonl --json > scored.jsonl

With ``--file``, each line is ``{"text": ..., "rating": 1-5 (optional)}``; each output line
is ``{"label", "score", "topics"}`` in input order. A line that is not valid JSON (or has no
text) gets ``{"line": N, "error": ...}`` on stdout and a message on stderr, the rest
continue, and the exit status is 1. The model is loaded once.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from pathlib import Path
from typing import Any

BATCH = 64


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("texts", nargs="*", metavar="TEXT", help="review texts to score")
    parser.add_argument("--file", type=Path, help="JSONL file, one {\"text\": ...} per line ('-' for stdin)")
    parser.add_argument(
        "--rating", type=float, help="star rating (1-5) of the TEXT reviews, used as evidence"
    )
    parser.add_argument("--lang", choices=("zh", "en"), help="language of the texts (default: detected)")
    parser.add_argument("--json", action="store_true", help="one JSON object per line")
    parser.add_argument("--details", action="store_true", help="with --json: also clauses and probabilities")


def run(args: argparse.Namespace) -> int:
    if bool(args.texts) == bool(args.file):
        print("shopbot sentiment: give review TEXT arguments or --file FILE (not both)", file=sys.stderr)
        return 2
    if args.rating is not None and not 1 <= args.rating <= 5:
        print(f"shopbot sentiment: --rating must be from 1 to 5, got {args.rating}", file=sys.stderr)
        return 2
    from assistant.config import load_settings
    from tools.sentiment import load_analyzer

    analyzer = load_analyzer(load_settings().cache_dir)
    if args.file:
        return _run_file(analyzer, args)
    results = analyzer.analyze_many(
        args.texts, ratings=[args.rating] * len(args.texts), langs=[args.lang] * len(args.texts)
    )
    for text, result in zip(args.texts, results, strict=True):
        _print(text, result, args)
    return 0


def _run_file(analyzer: Any, args: argparse.Namespace) -> int:
    failed = 0
    pending: list[tuple[int, dict[str, Any]]] = []
    stdin = str(args.file) == "-"
    with contextlib.nullcontext(sys.stdin) if stdin else open(args.file, encoding="utf-8-sig") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            record, error = _parse(line)
            if error:
                failed += 1
                _flush(analyzer, pending, args)
                pending = []
                print(f"{args.file}:{number}: {error}", file=sys.stderr)
                if args.json:
                    print(json.dumps({"line": number, "error": error}, ensure_ascii=False), flush=True)
                continue
            pending.append((number, record))
            if len(pending) >= BATCH:
                _flush(analyzer, pending, args)
                pending = []
    _flush(analyzer, pending, args)
    return 1 if failed else 0


def _parse(line: str) -> tuple[dict[str, Any], str | None]:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as error:
        return {}, f"not valid JSON ({error.msg})"
    if not isinstance(record, dict) or not isinstance(record.get("text"), str):
        return {}, "expected an object with a string field 'text'"
    rating = record.get("rating")
    if rating is not None and not (isinstance(rating, int | float) and 1 <= rating <= 5):
        return {}, f"field 'rating' must be a number from 1 to 5, got {rating!r}"
    return record, None


def _flush(analyzer: Any, pending: list[tuple[int, dict[str, Any]]], args: argparse.Namespace) -> None:
    if not pending:
        return
    records = [record for _, record in pending]
    results = analyzer.analyze_many(
        [record["text"] for record in records],
        ratings=[record.get("rating") for record in records],
        langs=[record.get("lang") if record.get("lang") in ("zh", "en") else args.lang for record in records],
    )
    for record, result in zip(records, results, strict=True):
        _print(record["text"], result, args)


def _print(text: str, result: Any, args: argparse.Namespace) -> None:
    if args.json:
        print(json.dumps(result.to_dict(details=args.details), ensure_ascii=False), flush=True)
        return
    topics = ", ".join(f"{t.aspect} {t.label} ({t.score:+.2f})" for t in result.topics) or "-"
    print(f"{result.label:8} {result.score:+.2f}  {text}\n         topics: {topics}")
