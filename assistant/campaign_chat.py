"""A merchant's campaign in the chat: read it, ask once for what is missing, save it, write copy.

"write a Singles' Day post for all our backpacks, 20% off until 11.11, for students" is read
(:mod:`assistant.campaign_request`); when the offer, the products or the end date are missing,
one question asks for all of them and the draft waits in the session memory for the answer.
Then the campaign is saved and the first :data:`FIRST_VARIANTS` variants are written by the
``run_campaign`` tool; "continue" writes :data:`MORE_VARIANTS` more. The reply says what was
saved (with anything chosen for the merchant, such as the dates of a named sale), each
variant with its fact-check verdict, and what is left. A rejected variant's text is not shown:
only why it failed, so it is never taken for copy that passed.

Text the merchant reads is in ``campaign_chat.toml``, per language.

Deliberately not here: reading the request (:mod:`assistant.campaign_request`), writing and
checking copy (:mod:`tools.campaign_desk`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date
from typing import Any

from assistant.campaign_request import CampaignDraft, campaign_data, campaign_products, read_campaign, words
from tools.campaign_terms import messages as terms_messages
from tools.context import ToolContext
from tools.shopping import ToolError

FIRST_VARIANTS = 3
MORE_VARIANTS = 5
Run = Callable[..., dict[str, Any]]


def campaign_turn(text: str, refs: list[str], ctx: ToolContext, run: Run) -> str:
    """The reply to a merchant's campaign request ``text`` (``refs``: products it names)."""
    lang = ctx.lang
    if ctx.campaigns is None:
        return _say(lang, "no_desk")
    today = ctx.campaigns.today()
    draft = read_campaign(text, lang, today, ctx.catalog.vocabulary().currency)
    pending = (ctx.memory.campaign or {}).get("draft")
    if pending:
        draft = CampaignDraft.from_dict(pending).merged(draft)
    draft = replace(draft, product_ids=draft.product_ids or list(refs))
    ctx.memory.campaign = None
    if draft.missing:
        ctx.memory.campaign = {"draft": draft.to_dict()}
        return ask(draft.missing, lang)
    products, phrase = campaign_products(draft, ctx.catalog)
    if products is None:
        ctx.memory.campaign = {"draft": replace(draft, asked="").to_dict()}
        return _say(lang, "no_products", asked=phrase)
    try:
        data = campaign_data(draft, products, today, phrase)
        result = run("run_campaign", campaign=data, variants=FIRST_VARIANTS)
    except ToolError as error:
        ctx.memory.campaign = {"draft": draft.to_dict()}
        return _say(lang, "failed", error=str(error))
    ctx.memory.campaign = {"name": result["campaign"]["name"]}
    return render(result, lang, draft=draft)


def more_turn(ctx: ToolContext, run: Run) -> str:
    """The reply to "continue": the next variants of the conversation's campaign."""
    lang = ctx.lang
    name = (ctx.memory.campaign or {}).get("name")
    try:
        result = run("run_campaign", saved_name=name, variants=MORE_VARIANTS)
    except ToolError as error:
        return _say(lang, "failed", error=str(error))
    return render(result, lang)


def ask(missing: list[str], lang: str) -> str:
    """One question for everything the campaign still needs."""
    text = words()[lang]
    wanted = text["and"].join(text[f"missing_{name}"] for name in missing)
    return str(text["ask"].format(missing=wanted, example=text["example"]))


def render(result: dict[str, Any], lang: str, *, draft: CampaignDraft | None = None) -> str:
    """What was saved, each new variant with its verdict, and what is left."""
    text = words()[lang]
    campaign = result["campaign"]
    lines = []
    if result["saved"]:
        segments = campaign["segments"]
        audience = text["audience"].format(segments=text["and"].join(segments)) if segments else ""
        lines.append(
            text["updated" if result["replaced"] else "saved"].format(
                name=campaign["name"],
                offer=campaign["offer"],
                start=_day(campaign["start"], lang),
                end=_day(campaign["end"], lang),
                products=campaign["products"],
                channels=", ".join(_channel(c, lang) for c in campaign["channels"]),
                audience=audience,
            )
        )
        chosen = _chosen(draft, campaign, lang) if draft is not None else []
        if chosen:
            lines.append(text["defaults"].format(what=text["and"].join(chosen)))
    first = result["done"] - len(result["variants"]) + 1  # numbered through the campaign
    for number, variant in enumerate(result["variants"], start=first):
        lines.append(_variant(number, variant, lang))
    lines.append(text["written"].format(done=result["done"], total=result["total"]))
    if result["remaining"]:
        lines.append(
            text["remaining"].format(next=min(MORE_VARIANTS, result["remaining"]), name=campaign["name"])
        )
    else:
        lines.append(text["all_done"])
    return "\n".join(lines)


def _variant(number: int, variant: dict[str, Any], lang: str) -> str:
    text = words()[lang]
    problems = "; ".join(variant["problems"][:3])
    verdict = text[f"verdict_{variant['verdict']}"].format(problems=problems)
    segment = text["segment"].format(segment=variant["segment"]) if variant["segment"] else ""
    head = text["variant"].format(number=number, title=variant["title"], channel=_channel(variant["channel"], lang),
                                  segment=segment, verdict=verdict)  # fmt: skip
    if variant["verdict"] not in ("ok", "repaired"):
        return head
    body = [f"   {part}: {value}" for part, value in variant["parts"].items() if value]
    return "\n".join([head, *(line.replace("\n", "\n   ") for line in body)])


def _chosen(draft: CampaignDraft, campaign: dict[str, Any], lang: str) -> list[str]:
    """What the reply says it chose, since the merchant did not say it."""
    text = words()[lang]
    chosen = [] if draft.channels else [text["default_channel"]]
    if draft.dates_chosen:
        start, end = _day(campaign["start"], lang), _day(campaign["end"], lang)
        chosen.append(text["default_dates"].format(start=start, end=end))
    return chosen


def _channel(name: str, lang: str) -> str:
    return str(words()["channel_names"][lang].get(name, name))


def _day(iso: str, lang: str) -> str:
    day = date.fromisoformat(iso)
    text = terms_messages()[lang]
    month = text["months"][day.month - 1] if "months" in text else day.month
    return str(words()[lang]["day"].format(date=text["date"].format(month=month, day=day.day), year=day.year))


def _say(lang: str, key: str, **values: Any) -> str:
    return str(words()[lang][key].format(**values))
