"""Turns answered without the model: a rule read the request, a tool ran, a template replied.

On two CPU cores one model turn costs seconds (prompt ~45 tokens/s, reply ~12.6 tokens/s);
an obvious search ("waterproof backpack under $60"), "cheaper?", "in black?", a reference to
a shown product ("the second one", "compare the first two", "reviews of that jacket"),
memory commands and merchant-only refusals need no model. :func:`answer` runs the tool for an
:class:`~assistant.intents.Intent` through the same registry the agent uses (so tool calls are
recorded alike) and renders the reply with :mod:`assistant.templates`. It returns None for
anything the model should handle.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from assistant import templates
from assistant.campaign_chat import campaign_turn, more_turn
from assistant.intents import Intent, merge_preferences
from tools.campaign_tools import require_merchant
from tools.cards import format_price
from tools.context import ToolContext, ToolRefused
from tools.registry import call_tool
from tools.shopping import ToolError
from tools.toolsets import MERCHANT_CALLS

Emit = Callable[[dict[str, Any]], None]


@dataclass
class FastAnswer:
    text: str
    tool_calls: list[dict[str, Any]] = field(default_factory=list)


def answer(intent: Intent, ctx: ToolContext, emit: Emit) -> FastAnswer | None:
    lang = ctx.lang
    calls: list[dict[str, Any]] = []

    def run(name: str, **args: Any) -> dict[str, Any]:
        args = {key: value for key, value in args.items() if value is not None}
        emit({"type": "tool", "name": name, "args": args})
        try:
            result = call_tool(MERCHANT_CALLS, name, args, ctx)
        except (ToolError, ToolRefused) as error:
            calls.append({"name": name, "args": args, "ok": False, "error": str(error)})
            raise
        calls.append({"name": name, "args": args, "ok": True})
        return result

    try:
        text = _dispatch(intent, ctx, run, lang)
    except ToolRefused as refusal:
        return FastAnswer(str(refusal), calls)
    except ToolError:
        return None  # let the model try (it sees the error as an observation)
    return None if text is None else FastAnswer(text, calls)


def _dispatch(intent: Intent, ctx: ToolContext, run: Callable[..., dict[str, Any]], lang: str) -> str | None:
    memory = ctx.memory
    kind = intent.kind

    def reply(name: str, **args: Any) -> str:
        """Run a tool and render its result (:func:`assistant.templates.tool_reply`)."""
        return templates.tool_reply(name, args, run(name, **args), lang, memory.facts)

    if kind in ("greeting", "thanks"):
        return templates.message(kind, lang)
    if kind == "remember":
        return templates.memory(memory.prefs, lang)
    if kind == "forget":
        keys = list(memory.prefs) if "all" in intent.forget else intent.forget
        memory.prefs = {key: value for key, value in memory.prefs.items() if key not in keys}
        return templates.message("forgot", lang)
    if kind in ("campaign", "campaign_more"):
        require_merchant(ctx)  # before the request is read: a shopper's message is not kept as a draft
        if kind == "campaign_more":
            return more_turn(ctx, run)
        return campaign_turn(intent.query, intent.refs, ctx, run)
    if kind in ("promo", "analytics"):
        ctx.require_merchant(
            ("促销文案" if lang == "zh" else "promo copy")
            if kind == "promo"
            else ("跨商品评价分析" if lang == "zh" else "review analytics across products")
        )
        if kind == "promo":
            ids = intent.refs or [item["id"] for item in memory.shown]
            if not ids:
                return None
            copy = intent.copy
            args = {"product_ids": ids[:3], "format": copy.format, "tone": copy.tone,
                    "variants": copy.variants if copy.variants > 1 else None, "language": copy.lang}  # fmt: skip
            return reply("write_promo_copy", **args)
        return reply("review_analytics", category=intent.query or None)
    if kind == "search":
        budget = memory.prefs.get("budget")
        min_price, max_price = intent.min_price, intent.max_price if intent.max_price is not None else budget
        currency = ctx.catalog.vocabulary().currency
        notice = ""
        if intent.currency and currency and intent.currency != currency:  # never re-labelled as ours
            stated = _prices([min_price, max_price], intent.currency)
            rates = ctx.currency_rates
            if intent.currency in rates and currency in rates:
                factor = rates[intent.currency] / rates[currency]
                min_price, max_price = (
                    None if v is None else round(v * factor, 2) for v in (min_price, max_price)
                )
                converted = _prices([min_price, max_price], currency)
                notice = templates.message("converted", lang, stated=stated, converted=converted) + "\n"
            else:
                notice = templates.message("other_currency", lang, stated=stated, currency=currency) + "\n"
                min_price = max_price = None
        return notice + reply(
            "search_products",
            query=intent.query,
            min_price=min_price,
            max_price=max_price,
            min_rating=intent.min_rating,
            color=intent.color,
        )
    if kind in ("cheaper", "color"):
        last = dict(memory.last_search or {})
        if not last:
            return templates.message("no_previous", lang)
        if kind == "cheaper":
            shown_prices = [item["price"] for item in memory.shown if item.get("price") is not None]
            if intent.max_price is not None:
                last["max_price"] = intent.max_price
            elif shown_prices:
                last["max_price"] = round(min(shown_prices) - 0.01, 2)
        else:
            last["color"] = intent.color
        return reply("search_products", **last)
    if kind == "details":
        return templates.details(run("get_product", product_id=intent.refs[0]), lang)
    if kind == "compare":
        return reply("compare_products", product_ids=intent.refs[:4])
    if kind in ("reviews", "sentiment"):
        return reply(
            "summarize_reviews" if kind == "reviews" else "review_sentiment", product_id=intent.refs[0]
        )
    if kind == "similar":
        return reply("recommend", product_id=intent.refs[0], max_price=intent.max_price)
    if kind == "for_you" and ctx.behaviour is not None:  # else: what are they looking for?
        wanted: dict[str, Any] = {
            "query": intent.query or None,
            "min_price": intent.min_price,
            "max_price": intent.max_price,
        }
        result = run("recommend_for_you", **wanted)
        if result["results"]:
            return templates.tool_reply("recommend_for_you", wanted, result, lang, memory.facts)
    if kind in ("clarify", "for_you"):  # one question; the answer completes the request (assistant.intents)
        limits = {
            "min_price": intent.min_price,
            "max_price": intent.max_price,
            "min_rating": intent.min_rating,
            "currency": intent.currency,
        }
        memory.clarifying = {key: value for key, value in limits.items() if value is not None}
        return templates.clarify(ctx.catalog.categories(limit=6), lang, max_price=intent.max_price)

    if kind in ("goes_with", "bought_together"):
        return reply(kind, product_id=intent.refs[0])
    if kind == "buyers":
        return reply("buyers_of", product_id=intent.refs[0])
    if kind == "pairs":
        return reply("bought_together_pairs")
    if kind == "prefs":
        return templates.message("noted", lang)
    return None


def _prices(values: list[float | None], currency: str) -> str:
    """ "¥100" or "¥20 - ¥40": the limits as the shopper will read them."""
    return " - ".join(format_price(v, currency).removesuffix(".00") for v in values if v is not None)


def remember_preferences(ctx: ToolContext, intent: Intent) -> None:
    if intent.prefs:
        ctx.memory.prefs = merge_preferences(ctx.memory.prefs, intent.prefs)
