"""A campaign over many products into one JSONL file (and a CSV beside it) that survives interruptions.

:func:`write_campaign_batch` runs :func:`tools.campaign_copy.write_campaign_copy` for every
(product, channel, variant) triple (one variant for the whole audience, or one per segment) and
writes one JSON object a line (:data:`FIELDS`): the text of each part as delivered, the
verdict (``ok``, ``repaired``, ``rejected``, or ``error`` when the generation raised: the
message is in ``problems``, and the batch goes on), the problems, the seconds it took and
whether the model's reply came from the text cache.

Resuming, as :mod:`tools.copy_batch` does for single-product copy: each row is written whole
and flushed, so an interruption loses at most the row in progress. Run again with the same
file and the rows already there are skipped, error rows are dropped and tried again. Before
appending, the file is read, its whole rows kept (a line torn by a kill is dropped) and
rewritten atomically (a temporary file, then ``os.replace``). A file of another campaign, or
of this campaign before its terms were changed, is refused (:class:`CampaignBatchError`): its
rows state other terms. :func:`write_csv` rewrites the CSV view of the file, atomically.

Deliberately not here: reading campaign files or the catalog, loading the model (the CLI
does, in ``ui/commands/campaign.py``).
"""

from __future__ import annotations

import csv
import io
import json
import os
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
from langchain_core.language_models import BaseChatModel
from tqdm import tqdm

from index.schema import Product
from tools.campaign import Campaign
from tools.campaign_copy import write_campaign_copy
from tools.channel_formats import load_formats
from tools.text_cache import TextCache

FIELDS = (
    "campaign", "campaign_key", "product_id", "title", "channel", "segment", "lang", "parts", "verdict",
    "problems", "seconds", "cached",
)  # fmt: skip


class CampaignBatchError(ValueError):
    """The output file cannot be resumed by this campaign."""


@dataclass(frozen=True)
class CampaignSummary:
    """What one run did; rows of earlier runs are not counted."""

    written: int  # rows with a verdict
    skipped: int  # already in the file
    failed: int  # generation raised: one error row each
    ok: int
    repaired: int
    rejected: int
    cached: int  # written from the text cache, without a model call
    p50_seconds: float | None  # per row, over those written or failed
    p95_seconds: float | None


def campaign_key(campaign: Campaign) -> str:
    """A short fingerprint of everything the campaign states."""
    return TextCache.key(campaign.model_dump(mode="json"))[:16]


def write_campaign_batch(
    campaign: Campaign,
    products: Iterable[Product],
    model: BaseChatModel | Callable[[], BaseChatModel],
    out: Path,
    *,
    text_cache: TextCache | None = None,
    model_name: str = "",
    total: int | None = None,
    limit: int | None = None,
    progress: bool = True,
) -> CampaignSummary:
    """Every row of ``campaign`` over ``products`` appended to ``out``; see the module docstring.

    ``model`` may be a function that loads it: it is called when the first row needs the model
    (not for rows already done, nor for replies in ``text_cache``). ``total``: the number of
    products, for the progress bar, when ``products`` is lazy. ``limit``: stop after that many
    new rows (a later run goes on from there)."""
    key = campaign_key(campaign)
    seen = _resume(out, campaign, key)
    chat_model = (lambda: model) if isinstance(model, BaseChatModel) else cache(model)
    jobs = [(channel, segment) for channel in campaign.channels for segment in campaign.segments]
    counts = dict.fromkeys(("written", "skipped", "failed", "ok", "repaired", "rejected", "cached"), 0)
    seconds: list[float] = []
    size = None if total is None else total * len(jobs)
    with (
        out.open("a", encoding="utf-8") as file,
        tqdm(total=size, desc=campaign.name[:30], unit="variant", disable=not progress) as bar,
    ):
        for product, channel, segment in ((p, c, s) for p in products for c, s in jobs):
            if limit is not None and counts["written"] + counts["failed"] >= limit:
                break
            bar.update()
            row_key = (product.id, channel, segment or "")
            if row_key in seen:
                counts["skipped"] += 1
                continue
            head = {"campaign": campaign.name, "campaign_key": key, "product_id": product.id,
                    "title": product.title, "channel": channel, "segment": segment, "lang": campaign.lang}  # fmt: skip
            began = time.perf_counter()
            row: dict[str, Any]
            try:
                variant = write_campaign_copy(
                    campaign,
                    product,
                    channel,
                    chat_model,
                    segment=segment,
                    cache=text_cache,
                    model_name=model_name,
                )
            except (
                RuntimeError,
                ValueError,
            ) as error:  # the model runtime's ModelError is a RuntimeError
                elapsed = time.perf_counter() - began
                row = {**head, "parts": {}, "verdict": "error", "problems": [str(error) or type(error).__name__],
                       "seconds": round(elapsed, 3), "cached": False}  # fmt: skip
                counts["failed"] += 1
            else:
                elapsed = variant.seconds
                row = {**head, "parts": variant.parts, "verdict": variant.verdict,
                       "problems": list(variant.problems), "seconds": variant.seconds, "cached": variant.cached}  # fmt: skip
                counts["written"] += 1
                counts[variant.verdict] += 1
                counts["cached"] += variant.cached
            file.write(json.dumps(row, ensure_ascii=False) + "\n")
            file.flush()
            seen.add(row_key)  # a product listed twice is written once
            seconds.append(elapsed)
    p50, p95 = (round(float(s), 3) for s in np.percentile(seconds, [50, 95])) if seconds else (None, None)
    return CampaignSummary(**counts, p50_seconds=p50, p95_seconds=p95)


def read_rows(path: Path) -> Iterator[dict[str, Any]]:
    """The whole rows of a campaign file (a torn or foreign line is left out)."""
    with path.open(encoding="utf-8", errors="replace") as file:
        for line in file:
            if not line.endswith("\n"):
                return  # the line a kill cut
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(row, dict) and set(FIELDS) <= set(row):
                yield row


def _resume(out: Path, campaign: Campaign, key: str) -> set[tuple[str, str, str]]:
    """(product id, channel, segment) of the rows ``out`` holds, after rewriting it with its
    whole rows only, less its error rows (those are tried again)."""
    rows: list[dict[str, Any]] = []
    if out.exists() and out.stat().st_size:
        rows = list(read_rows(out))
        if not rows and out.read_bytes().strip():
            raise CampaignBatchError(f"{out} is not a campaign file; choose another output file")
        if other := next((row for row in rows if row["campaign_key"] != key), None):
            raise CampaignBatchError(
                f"{out} holds copy of campaign {other['campaign']!r} with other terms than "
                f"{campaign.name!r} has now; choose another output file, or delete it to start again"
            )
        rows = [row for row in rows if row["verdict"] != "error"]
    else:
        out.parent.mkdir(parents=True, exist_ok=True)
    _atomic_write(out, "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows))
    return {row_key(row) for row in rows}


def row_key(row: dict[str, Any]) -> tuple[str, str, str]:
    """What a row is of: (product id, channel, segment or "")."""
    return row["product_id"], row["channel"], row["segment"] or ""


def replace_row(path: Path, row: dict[str, Any]) -> None:
    """Rewrite ``path`` (atomically) with ``row`` in place of the row of its product, channel and
    segment."""
    rows = [row if row_key(r) == row_key(row) else r for r in read_rows(path)]
    _atomic_write(path, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))


def write_csv(jsonl: Path, out: Path) -> int:
    """The rows of ``jsonl`` as CSV, a ``text_<part>`` column per part of its channels; the row count."""
    rows = list(read_rows(jsonl))
    formats = load_formats()
    parts: dict[str, None] = {}
    for row in rows:
        channel = formats.get(row["channel"])
        names = [part.name for part in channel.parts] if channel else list(row["parts"])
        parts.update(dict.fromkeys(names))
    head = [*(f for f in FIELDS if f not in ("parts", "campaign_key")), "edited"]
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([*head, *(f"text_{name}" for name in parts)])
    for row in rows:
        values = {**row, "problems": "; ".join(row["problems"]), "segment": row["segment"] or "",
                  "edited": bool(row.get("edited"))}  # fmt: skip
        writer.writerow([*(values[f] for f in head), *(row["parts"].get(name, "") for name in parts)])
    _atomic_write(out, buffer.getvalue())
    return len(rows)


def _atomic_write(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    with temporary.open("w", encoding="utf-8", newline="") as file:
        file.write(text)
        file.flush()
        os.fsync(file.fileno())
    os.replace(temporary, path)
