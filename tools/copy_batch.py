"""Promo copy for many products into one CSV file that survives interruptions.

:func:`write_copy_batch` runs :func:`tools.promo_copy.write_copy` for each product and writes
one row per variant (:data:`COLUMNS`). ``status`` is the fact check's verdict (``ok``,
``repaired``, ``rejected``) or ``error``: the generation raised (a model error, a reply
without variants), the message is in ``problems``, and the batch goes on with the next
product. ``seconds`` is the product's generation time, repeated on each of its rows.

Resuming: a product's rows are written in one piece and flushed, so an interruption (Ctrl-C,
a kill) loses at most the product in progress. Run again with the same file and products
that already have rows with the same format, tone and language are skipped, while those
whose rows say ``error`` are tried again (their error rows are dropped). Before appending,
the existing file is read with the csv module and rewritten atomically (a temporary file,
then ``os.replace``) with its whole rows only: a line torn by a kill is dropped together with
the rows written with it. A file with other columns is refused (:class:`CopyBatchError`).

Deliberately not here: reading id lists or the catalog, loading the model (the CLI does, in
``ui/commands/copy.py``).
"""

from __future__ import annotations

import csv
import io
import os
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

import numpy as np
from langchain_core.language_models import BaseChatModel
from tqdm import tqdm

from index.schema import Product
from tools.promo_copy import FORMATS, CopyVariant, Format, write_copy

COLUMNS = (
    "product_id", "title", "format", "tone", "lang", "variant", "text", "status", "problems", "seconds",
)  # fmt: skip
_KEY = 5  # product_id, title, format, tone, lang: the same on every row of one product
_VARIANT, _STATUS = COLUMNS.index("variant"), COLUMNS.index("status")


class CopyBatchError(ValueError):
    """The output file cannot be resumed: it is not a copy batch file."""


@dataclass(frozen=True)
class BatchSummary:
    """What one run did; rows of earlier runs are not counted."""

    done: int  # products written
    skipped: int  # already in the file with the same format, tone and language
    failed: int  # generation raised: one error row each
    passed: int  # products written with at least one variant passing the fact check
    variants_ok: int  # variants passing the fact check, as written or repaired
    variants: int
    p50_seconds: float | None  # per product, over those written or failed
    p95_seconds: float | None


def write_copy_batch(
    products: Iterable[Product],
    model: BaseChatModel | Callable[[], BaseChatModel],
    out: Path,
    *,
    format: Format = "short_description",
    tone: str = "friendly",
    lang: Literal["en", "zh"] = "en",
    max_chars: int | None = None,
    n: int = 1,
    channel: str | None = None,
    total: int | None = None,
    progress: bool = True,
) -> BatchSummary:
    """Copy for each of ``products`` appended to ``out``; see the module docstring.

    ``model`` may be a function that loads it: it is called when the first product needs the
    model, after ``out`` was checked, and not at all when every product is done already.
    ``total`` is the number of products, for the progress bar, when ``products`` is lazy."""
    if format not in FORMATS or not 1 <= n <= 10:  # would fail every product: fail before the file
        raise ValueError(f"format must be one of {', '.join(FORMATS)} and n 1-10, not {format!r}, {n}")
    seen = _resume(out, (format, tone, lang))
    chat_model = (lambda: model) if isinstance(model, BaseChatModel) else cache(model)
    done = skipped = failed = passed = variants_ok = variants_all = 0
    seconds: list[float] = []
    with out.open("a", encoding="utf-8", newline="") as file:
        for product in tqdm(products, total=total, desc="copy", unit="product", disable=not progress):
            key = (product.id, format, tone, lang)
            if key in seen:
                skipped += 1
                continue
            head = [product.id, product.title, format, tone, lang]
            loaded = chat_model()  # a failure to load stops the batch: it is not the product's
            began = time.perf_counter()
            try:
                variants = write_copy(
                    product,
                    loaded,
                    format=format,
                    tone=tone,
                    lang=lang,
                    max_chars=max_chars,
                    n=n,
                    channel=channel,
                )
            except (RuntimeError, ValueError) as error:  # the model runtime's ModelError is a RuntimeError
                elapsed = time.perf_counter() - began
                rows = [[*head, "", "", "error", str(error) or type(error).__name__, f"{elapsed:.2f}"]]
                failed += 1
            else:
                elapsed = time.perf_counter() - began
                rows = [
                    [*head, str(number), v.text, _status(v), "; ".join(v.problems), f"{elapsed:.2f}"]
                    for number, v in enumerate(variants, start=1)
                ]
                done += 1
                passed += any(v.ok for v in variants)
                variants_ok += sum(v.ok for v in variants)
                variants_all += len(variants)
            file.write(_csv_text(rows))
            file.flush()
            seen.add(key)  # an id listed twice is written once
            seconds.append(elapsed)
    p50, p95 = (round(float(s), 2) for s in np.percentile(seconds, [50, 95])) if seconds else (None, None)
    return BatchSummary(done, skipped, failed, passed, variants_ok, variants_all, p50, p95)


def _status(variant: CopyVariant) -> str:
    return "rejected" if not variant.ok else "repaired" if variant.repaired else "ok"


def _csv_text(rows: Iterable[Sequence[str]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue()


def _resume(out: Path, settings: tuple[str, str, str]) -> set[tuple[str, ...]]:
    """(product id, format, tone, lang) of the products ``out`` already holds, after rewriting it
    with its whole rows only, less the error rows of ``settings`` (those products are retried)."""
    rows: list[list[str]] = []
    if out.exists() and out.stat().st_size:
        # a kill can cut a character in two; "replace" keeps that to the torn row, dropped below
        with out.open(encoding="utf-8", errors="replace", newline="") as file:
            text = file.read()
        header, *rows = csv.reader(io.StringIO(text))
        if tuple(header) != COLUMNS:
            raise CopyBatchError(
                f"{out} is not a copy batch file (its columns are {', '.join(header)[:200]}); "
                "choose another output file"
            )
        if rows and (not text.endswith("\n") or len(rows[-1]) != len(COLUMNS)):
            _drop_torn_tail(rows)
        rows = [
            row
            for row in rows
            if len(row) == len(COLUMNS) and not (row[_STATUS] == "error" and tuple(row[2:_KEY]) == settings)
        ]
    else:
        out.parent.mkdir(parents=True, exist_ok=True)
    temporary = out.with_name(f".{out.name}.tmp")
    with temporary.open("w", encoding="utf-8", newline="") as file:
        file.write(_csv_text([COLUMNS, *rows]))
        file.flush()
        os.fsync(file.fileno())
    os.replace(temporary, out)
    return {(row[0], *row[2:_KEY]) for row in rows if row[_STATUS] != "error"}


def _drop_torn_tail(rows: list[list[str]]) -> None:
    """Drop the last row, cut by a kill, and the rows written with it (its product's variants)."""
    torn = rows.pop()
    torn[-1] = torn[-1].rstrip("\ufffd")  # a character cut in two, read with errors="replace"
    before = rows[-1] if rows else []
    if len(before) != len(COLUMNS) or not before[_VARIANT].isdigit():
        return  # no row, or an error row: its product was written whole
    following = [*before[:_KEY], str(int(before[_VARIANT]) + 1)]  # the next variant's first fields
    whole = min(len(torn) - 1, len(following))  # the fields before torn[whole] are complete
    if torn[:whole] != following[:whole] or (
        whole < len(following) and not following[whole].startswith(torn[whole])
    ):
        return  # the torn row starts another product
    while rows and len(rows[-1]) == len(COLUMNS) and rows[-1][:_KEY] == before[:_KEY]:
        if rows.pop()[_VARIANT] == "1":
            break
