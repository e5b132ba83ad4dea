"""The campaign tool: save a merchant's campaign and write the next variants of its copy.

Reached from the rules (a merchant's chat request, read by :mod:`assistant.campaign_request`)
and from other software (MCP, the HTTP API); not offered to the chat model, which would have
to fill every field of a campaign without inventing one. Everything it does goes through
:class:`tools.campaign_desk.CampaignDesk`, so a campaign saved here is the one the web tab,
the Telegram bot and ``shopbot campaign`` list, run and edit.

Deliberately not here: reading requests, rendering replies.
"""

from __future__ import annotations

from typing import Any

from tools.campaign import CampaignError, parse_campaign
from tools.campaign_terms import offer_text
from tools.context import ToolContext
from tools.shopping import ToolError

MAX_VARIANTS = 10  # per call: each is a model call of seconds on two cores
WHAT = {"en": "campaigns", "zh": "活动文案"}  # what a shopper is told is for merchants only


def require_merchant(ctx: ToolContext) -> None:
    """Refuse campaigns to anyone but a merchant (:meth:`ToolContext.require_merchant`)."""
    ctx.require_merchant(WHAT.get(ctx.lang, WHAT["en"]))


def run_campaign(
    ctx: ToolContext, campaign: dict[str, Any] | None = None, saved_name: str | None = None, variants: int = 3
) -> dict[str, Any]:
    """Merchant only: save a campaign and write the next variants of its copy, each fact-checked; or go on writing a saved campaign.

    Args:
        campaign: the whole campaign to save (name, offer, start, end, channels, products, audience, call_to_action, lang; see docs/campaigns.md); saving under a saved name replaces it
        saved_name: the saved campaign to go on writing (when no campaign is given)
        variants: how many variants not yet written to write now, 1 to 10
    """
    require_merchant(ctx)
    desk = ctx.campaigns
    if desk is None:
        raise ToolError("campaigns are not kept on this server (it has no data directory)")
    if not 1 <= variants <= MAX_VARIANTS:
        raise ToolError(f"variants must be from 1 to {MAX_VARIANTS}, not {variants}")
    name = saved_name
    if campaign is None and not name:
        raise ToolError("give a campaign to save, or the name of a saved one")
    try:
        replaced = None
        if campaign is not None:
            parsed = parse_campaign(campaign, "campaign")
            replaced = desk.save(parsed)
            name = parsed.name
        assert name is not None
        run = desk.run(name, limit=variants)
        saved = desk.get(name)
        new = run.summary.written + run.summary.failed
        rows = desk.rows(name)[-new:] if new else []
    except CampaignError as error:
        raise ToolError(str(error)) from error
    products, _ = desk.products(saved)
    return {
        "campaign": {
            "name": saved.name,
            "offer": offer_text(saved.offer, saved.lang),
            "start": saved.start.isoformat(),
            "end": saved.end.isoformat(),
            "channels": saved.channels,
            "segments": list(saved.audience.segments),
            "lang": saved.lang,
            "products": len(products),
        },
        "saved": campaign is not None,
        "replaced": bool(replaced),
        "variants": [
            {
                key: row[key]
                for key in ("product_id", "title", "channel", "segment", "parts", "verdict", "problems")
            }
            for row in rows
        ],
        "done": run.done,
        "total": run.variants,
        "remaining": run.remaining,
        "csv": str(run.csv),
    }
