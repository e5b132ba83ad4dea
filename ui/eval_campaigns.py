"""The ``campaigns`` section of ``shopbot eval reviews``: campaign copy over a fixed set of campaigns.

:data:`CAMPAIGN_SET` is four campaigns, two English on the demo store and two Chinese on the
litemall catalog (``zh_store/litemall_products.jsonl`` in the shared data folder; skipped with
a note when it is missing), covering the four offer kinds and the channels sms, push, email,
listing, banner, xiaohongshu and wechat_moments, one campaign with two audience segments:
30 variants. The configured chat model writes every variant with
:func:`tools.campaign_copy.write_campaign_copy` (no text cache: each variant is a model call).

Reported per language and overall: the fact-check verdicts (ok as written, repaired, rejected,
error), the delivered share, and, over the delivered variants, three checks made here
independently of the pipeline's verdict:

- offer and sale price (:func:`offer_findings`): the expected sale price recomputed from the
  catalog price with ``Decimal``; the text must state it, the offer (percent, 折, amount,
  buy N get M, free-shipping threshold) and both dates; any other money amount or percent is
  wrong (the catalog price only once, after "was" / 原价; a percent that is one of the
  product's own facts, like 100%棉, is no offer);
- channel limits (:func:`limit_findings`): every part re-counted with
  :func:`tools.channel_length.measure` against its format's limits and item counts;
- language: :func:`tools.clauses.in_language` over the model-written parts.

Also seconds per variant (p50, p95) and a sample table of every output. Writes
``campaigns.md`` beside ``--out`` and the summary table beside the single-product copy rows in
``copy.md``. Deliberately not here: writing or repairing copy (:mod:`tools.campaign_copy`).
"""

from __future__ import annotations

import argparse
import os
import re
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from index.quantities import quantities
from tools.campaign import AmountOff, BuyNGetM, Campaign, FreeShippingOver, PercentOff, parse_campaign
from tools.channel_formats import load_formats
from tools.channel_length import measure
from tools.clauses import in_language

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

    from index.schema import Product

_EN_2027 = {"start": "2027-11-26", "end": "2027-11-29"}
# (store, campaign as a campaign file states it); dates ahead, so the set stays current for a while
CAMPAIGN_SET: tuple[tuple[str, dict[str, Any]], ...] = (
    ("demo", {
        "name": "Black Friday", **_EN_2027, "offer": {"kind": "percent_off", "percent": 20},
        "channels": ["sms", "push", "email", "listing"], "products": {"ids": ["24-MB03", "WH04"]},
        "call_to_action": "Shop now.", "tone": "playful",
    }),
    ("demo", {
        "name": "Summer Yoga Week", "start": "2027-06-01", "end": "2027-06-14",
        "offer": {"kind": "buy_n_get_m", "buy": 2, "get": 1}, "channels": ["banner", "email"],
        "products": {"ids": ["WP01", "WT05"]}, "call_to_action": "Find your flow.",
        "audience": {"description": "yoga beginners", "segments": ["students", "parents"]},
        "per_segment": True,
    }),
    ("litemall", {
        "name": "双十一厨房节", "start": "2027-11-01", "end": "2027-11-11", "lang": "zh",
        "offer": {"kind": "amount_off", "amount": 30, "currency": "CNY"},
        "channels": ["xiaohongshu", "wechat_moments", "sms", "push"],
        "products": {"ids": ["1051000", "1051001"]}, "call_to_action": "立即抢购。",
    }),
    ("litemall", {
        "name": "618糕点节", "start": "2027-06-01", "end": "2027-06-18", "lang": "zh",
        "offer": {"kind": "free_shipping_over", "threshold": 99, "currency": "CNY"},
        "channels": ["banner", "listing"], "products": {"category": "饮食/糕点", "max_price": 30},
        "tone": "premium",
    }),
    # held out: first run in the measurement that published them, after the pipeline was built
    ("demo", {
        "name": "Christmas Hoodies", "start": "2027-12-10", "end": "2027-12-24",
        "offer": {"kind": "amount_off", "amount": 5, "currency": "USD"}, "channels": ["social", "seo"],
        "products": {"category": "hoodies", "max_price": 42}, "call_to_action": "Order by Dec 20.",
    }),
    ("demo", {
        "name": "New Year Reset", "start": "2027-12-27", "end": "2028-01-07",
        "offer": {"kind": "free_shipping_over", "threshold": 50, "currency": "USD"},
        "channels": ["wechat_moments", "push"], "products": {"ids": ["24-UG06", "24-WG02"]},
        "audience": {"segments": ["professionals", "seniors"]}, "per_segment": True,
    }),
    ("litemall", {
        "name": "年货节锅具", "start": "2028-01-10", "end": "2028-01-25", "lang": "zh",
        "offer": {"kind": "percent_off", "percent": 15}, "channels": ["email", "social"],
        "products": {"category": "锅具", "max_price": 150}, "call_to_action": "年货节限时抢。",
    }),
    ("litemall", {
        "name": "开学季文具", "start": "2027-08-20", "end": "2027-09-10", "lang": "zh",
        "offer": {"kind": "buy_n_get_m", "buy": 3, "get": 1}, "channels": ["sms", "banner"],
        "products": {"category": "文具", "max_price": 10}, "tone": "playful",
        "audience": {"segments": ["students", "parents"]}, "per_segment": True,
    }),
)  # fmt: skip
HELD_OUT = frozenset(entry["name"] for _, entry in CAMPAIGN_SET[4:])
STORES = {"demo": None, "litemall": Path("zh_store/litemall_products.jsonl")}  # None: the bundled store
VERDICTS = ("ok", "repaired", "rejected", "error")
_MINOR = {"JPY": 0, "KRW": 0, "KWD": 3}  # digits after the point; 2 otherwise
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_PERCENT = re.compile(r"(\d+(?:\.\d+)?)\s*(%|折(?!扣))")


@dataclass(frozen=True)
class CampaignRow:
    """One variant written in the run, with the checks made here on what was delivered."""

    campaign: Campaign
    product: Product
    channel: str
    segment: str | None
    verdict: str  # ok, repaired, rejected, error
    parts: dict[str, str]
    problems: tuple[str, ...]
    seconds: float
    offer_wrong: tuple[str, ...] = field(default=())  # delivered only
    limits_broken: tuple[str, ...] = field(default=())
    language_right: bool = True

    @property
    def delivered(self) -> bool:
        return self.verdict in ("ok", "repaired")


def expected_sale(price: float, currency: str | None, campaign: Campaign) -> Decimal | None:
    """The sale price of one item, recomputed here: half-up to the currency's minor unit."""
    offer, base = campaign.offer, Decimal(str(price))
    step = Decimal(1).scaleb(-_MINOR.get((currency or "").upper(), 2))
    if isinstance(offer, PercentOff):
        return (base * (Decimal(100) - offer.percent) / Decimal(100)).quantize(step, ROUND_HALF_UP)
    if isinstance(offer, AmountOff):
        return (base - offer.amount).quantize(step, ROUND_HALF_UP)
    return None


def _facts_text(product: Product) -> str:
    return " ".join(
        [product.title, product.description or "", *(str(v) for v in product.attributes.values())]
    )


def offer_findings(campaign: Campaign, product: Product, text: str) -> list[str]:
    """What ``text`` (a delivered variant, all parts) gets wrong of the offer; empty when right."""
    offer, lang, found = campaign.offer, campaign.lang, []
    sale = None if product.price is None else expected_sale(product.price, product.currency, campaign)
    regular = None if product.price is None else Decimal(str(product.price))
    allowed = {sale} if sale is not None else {regular}
    if isinstance(offer, AmountOff):
        allowed.add(offer.amount)
    if isinstance(offer, FreeShippingOver):
        allowed.add(offer.threshold)
    amounts = [q for q in quantities(text) if q.kind == "money"]
    regular_seen = 0
    for money in amounts:
        value, written = Decimal(str(money.value)), text[money.start : money.end].strip()
        before = text[max(0, money.start - 6) : money.start].lower()
        if sale is not None and value == regular and ("was" in before or "原价" in before):
            regular_seen += 1
            if regular_seen > 1:
                found.append(f"catalog price {written} stated twice")
        elif value not in allowed:
            found.append(f"money {written} is not the offer's")
    values = {Decimal(str(q.value)) for q in amounts}
    if sale is not None and sale not in values:
        found.append(f"sale price {sale} not stated")
    if isinstance(offer, AmountOff | FreeShippingOver):
        amount = offer.amount if isinstance(offer, AmountOff) else offer.threshold
        if amount not in values:
            found.append(f"offer amount {amount} not stated")
    facts = _facts_text(product)
    wanted = None
    if isinstance(offer, PercentOff):
        wanted = (offer.percent, "%") if lang == "en" else ((100 - offer.percent) / 10, "折")
    stated = False
    for match in _PERCENT.finditer(text):
        if wanted is not None and (Decimal(match[1]), match[2]) == (Decimal(wanted[0]), wanted[1]):
            stated = True
        elif match.group(0).replace(" ", "") not in facts.replace(" ", ""):
            found.append(f"percent {match.group(0)} is not the offer's")
    if wanted is not None and not stated:
        found.append(f"offer {wanted[0].normalize():f}{wanted[1]} not stated")
    if isinstance(offer, BuyNGetM):
        pattern = (
            rf"buy\s*{offer.buy}\D{{1,6}}get\s*{offer.get}\b"
            if lang == "en"
            else rf"买{offer.buy}送{offer.get}"
        )
        if not re.search(pattern, text, re.IGNORECASE):
            found.append(f"offer buy {offer.buy} get {offer.get} not stated")
    for day in (campaign.start, campaign.end):
        written = f"{_MONTHS[day.month - 1]} {day.day}" if lang == "en" else f"{day.month}月{day.day}日"
        if written not in text:
            found.append(f"date {written} not stated")
    return found


def limit_findings(channel: str, parts: dict[str, str]) -> list[str]:
    """Every part of ``channel`` re-counted against its limits; empty when all are kept."""
    found = []
    for part in load_formats()[channel].parts:
        text = parts.get(part.name, "")
        if not text.strip():
            found.append(f"{part.name} empty")
            continue
        if (size := measure(text, part.counting)) > part.max:
            found.append(f"{part.name} {size} > {part.max} ({part.counting})")
        if part.kind in ("lines", "tags"):
            items = part.split(text)
            if not part.min_items <= len(items) <= (part.max_items or len(items)):
                found.append(f"{part.name} has {len(items)} items")
            if part.item_max and any(len(item) > part.item_max for item in items):
                found.append(f"{part.name} item over {part.item_max}")
    return found


def run_campaigns(
    cases: Iterable[tuple[Campaign, Sequence[Product]]],
    model: BaseChatModel,
    *,
    progress: bool = False,
) -> list[CampaignRow]:
    """Write every variant of every case with ``model`` and check what was delivered."""
    from tqdm import tqdm

    from tools.campaign_copy import write_campaign_copy

    jobs = [
        (campaign, product, channel, segment)
        for campaign, products in cases
        for product in products
        for channel in campaign.channels
        for segment in campaign.segments
    ]
    rows = []
    for campaign, product, channel, segment in tqdm(
        jobs, desc="campaigns", unit="variant", disable=not progress
    ):
        began = time.perf_counter()
        try:
            variant = write_campaign_copy(campaign, product, channel, model, segment=segment)
        except (RuntimeError, ValueError) as error:  # the model runtime's ModelError is a RuntimeError
            seconds = time.perf_counter() - began
            rows.append(CampaignRow(campaign, product, channel, segment, "error", {}, (str(error),), seconds))
            continue
        seconds = time.perf_counter() - began
        row = CampaignRow(
            campaign, product, channel, segment, variant.verdict, variant.parts, variant.problems, seconds
        )
        if row.delivered:
            fmt = load_formats()[channel]
            text = "\n".join(variant.parts.values())
            prose = " ".join(variant.parts[part.name] for part in fmt.written)
            row = replace(
                row,
                offer_wrong=tuple(offer_findings(campaign, product, text)),
                limits_broken=tuple(limit_findings(channel, variant.parts)),
                language_right=in_language(prose, campaign.lang),
            )
        rows.append(row)
    return rows


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))] if ordered else 0.0


def _share(count: int, total: int) -> str:
    return f"{count}/{total} ({count / total:.0%})" if total else "-"


def summary_table(rows: Sequence[CampaignRow]) -> str:
    """Verdicts and the checks on delivered variants, per language and overall."""
    from ui.report import markdown_table

    table = []
    for lang in ("en", "zh", "held-out", "all"):
        group = [
            row for row in rows
            if lang == "all" or lang == row.campaign.lang or (lang == "held-out" and row.campaign.name in HELD_OUT)
        ]  # fmt: skip
        if not group:
            continue
        delivered = [row for row in group if row.delivered]
        counts = [sum(row.verdict == verdict for row in group) for verdict in VERDICTS]
        seconds = [row.seconds for row in group]
        table.append([
            lang, len(group), *counts, _share(len(delivered), len(group)),
            _share(sum(not row.offer_wrong for row in delivered), len(delivered)),
            _share(sum(not row.limits_broken for row in delivered), len(delivered)),
            _share(sum(row.language_right for row in delivered), len(delivered)),
            round(_percentile(seconds, 0.5), 1), round(_percentile(seconds, 0.95), 1),
        ])  # fmt: skip
    headers = ["lang", "variants", *VERDICTS, "delivered", "offer & price right", "limits kept",
               "language right", "s p50", "s p95"]  # fmt: skip
    return markdown_table(headers, table)


def _short(text: str, size: int = 160) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= size else flat[: size - 1] + "…"


def sample_table(rows: Sequence[CampaignRow]) -> str:
    """One row per variant: what the model wrote and what was found."""
    from ui.report import markdown_table

    table = [
        [
            row.campaign.name, f"{row.product.id} {_short(row.product.title, 30)}", row.channel,
            row.segment or "", row.verdict, _short(" / ".join(t for t in row.parts.values() if t)),
            _short("; ".join([*row.problems, *row.offer_wrong, *row.limits_broken,
                              *([] if row.language_right else ["(eval) wrong language"])]), 200),
        ]
        for row in rows
    ]  # fmt: skip
    return markdown_table(["campaign", "product", "channel", "segment", "verdict", "text", "problems"], table)


def eval_cases(
    data: Path, limit: int | None = None
) -> tuple[list[tuple[Campaign, list[Product]]], list[str]]:
    """The campaigns of :data:`CAMPAIGN_SET` (the first ``limit``) with their products, selected
    over a temporary hashing index of each store; and notes on what was skipped."""
    from assistant.config import demo_store_dir
    from index import CatalogIndex, HashingEmbedder
    from index.ingest import load_products
    from tools.campaign import select_products

    cases, notes = [], []
    for store, entry in CAMPAIGN_SET[:limit]:
        relative = STORES[store]
        path = demo_store_dir() / "luma_products.jsonl" if relative is None else data / relative
        if not path.exists():
            notes.append(f"{store}: {path} is missing; campaign {entry['name']!r} skipped")
            continue
        campaign = parse_campaign(entry, f"CAMPAIGN_SET {entry['name']}")
        records = load_products(path, None, False, None).records
        with CatalogIndex.build(records, None, embedder=HashingEmbedder(64)) as index:
            products, missing = select_products(campaign, index)
        if missing:
            notes.append(f"{store}: no product {', '.join(missing)} for {campaign.name!r}")
        cases.append((campaign, products))
    return cases, notes


def campaigns_section(args: argparse.Namespace, data: Path) -> None:
    from assistant.config import load_settings
    from assistant.models.loader import load_chat_model
    from ui.report import write_section

    started = time.perf_counter()
    cases, notes = eval_cases(data, getattr(args, "campaigns", None))
    for note in notes:
        print(f"campaigns: {note}")
    settings = load_settings(chat_deadline_s=max(load_settings().chat_deadline_s, 600.0))
    model = load_chat_model(settings, progress=not args.no_progress)
    rows = run_campaigns(cases, model, progress=not args.no_progress)
    summary = summary_table(rows)
    options = "".join(
        f" --{name} {getattr(args, name)}" for name in ("limit", "campaigns") if getattr(args, name, None)
    )
    head = (
        f"`shopbot eval reviews --sections {args.sections}{options}`, campaigns section "
        f"({time.perf_counter() - started:.0f} s, {os.cpu_count()} CPUs); model `{settings.chat_model}`; "
        f"{len(cases)} campaigns, {len(rows)} variants"
    )
    skipped = "".join(f"\n- skipped: {note}" for note in notes)
    checks = (
        "- Verdicts are the pipeline's (`tools/campaign_copy.py`); delivered = ok + repaired. The three "
        "checks are re-made here on delivered variants only: offer & price (sale price recomputed "
        "with Decimal, offer, dates stated; any other money amount or percent is wrong), limits "
        "(every part re-counted with `tools.channel_length`), language (`in_language`)."
    )
    print(summary)
    body = f"{head}\n\n{summary}\n\n{checks}{skipped}\n"
    write_section(args.out.parent / "copy.md", "eval-reviews-campaigns", body, title="Promo copy")
    samples = f"{body}\n### Every variant of the run\n\n{sample_table(rows)}\n"
    write_section(args.out.parent / "campaigns.md", "eval-reviews-campaigns", samples, title="Campaign copy")
