"""Campaign copy for one product on one channel, for one audience segment, fact-checked.

:func:`write_campaign_copy` asks the model once (one forced ``CampaignCopy`` call) for the
persuasive text of each part of the channel's format, with each part's length capped by the
call's grammar (room left for what the shop adds). The model never writes the campaign's
numbers: the offer line (:func:`tools.campaign_terms.campaign_terms`: offer, dates, sale
price) goes into the format's ``terms`` part and the call to action ends its ``cta`` part,
so they are right by construction.

:func:`check_variant` then judges the model's text, part by part, as
:func:`tools.promo_copy.check_copy` does today (numbers and risky claims backed by the
product's facts, to which the campaign's terms are added) and against the campaign's terms
(:func:`tools.campaign_terms.terms_problems`: another offer, a wrong sale price, another date);
then every delivered part against its channel's limits, counted as the channel counts. Text
not in the campaign's language is rejected. A failing sentence, line or tag is removed
(repair), a part over its limit loses trailing sentences or items; the result is checked once
more, whole, and only then passes. Otherwise the variant is ``rejected``, with the model's
text and every problem kept.

With a :class:`~tools.text_cache.TextCache`, the model's reply is kept under a key of
everything the request depends on (the prompt, the bounds, the model's name): the same inputs
are not written twice, and a cached reply is checked again like a fresh one.

Deliberately not here: loading campaigns or the catalog, batch files, the model itself.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage, SystemMessage

from index.schema import Product
from tools.campaign import Campaign
from tools.campaign_terms import Terms, campaign_terms, messages, terms_problems
from tools.channel_formats import ChannelFormat, Part, grammar_schema, limit_problems, load_formats
from tools.channel_length import units
from tools.clauses import detect_language, in_language, sentence_pieces
from tools.forced_call import forced_list
from tools.promo_copy import check_copy, product_facts
from tools.text_cache import TextCache

TOOL_NAME = "CampaignCopy"
CACHE_KIND = "campaign-copy"
Verdict = Literal["ok", "repaired", "rejected"]
# a sentence ends at .!? before a space or the end (so $47.20 stays whole), at 。！？ or a newline
_FINISHED = re.compile(r"[.!?…。！？][\"')\]\u201d\u2019）]*\s*$")
_CLAUSE = re.compile(r"[,;:，；：、](?=[^,;:，；：、]*$)")  # the last clause mark
# words an English clause cannot end on (what is left of "a raincoat that keeps you dry")
_DANGLING = frozenset((
    "a", "an", "the", "and", "or", "but", "nor", "that", "which", "who", "whom", "whose", "with", "without",
    "for", "to", "of", "in", "on", "at", "by", "from", "as", "into", "onto", "your", "our", "its", "their",
    "this", "these", "is", "are", "was", "be", "so", "than", "if",
))  # fmt: skip


@dataclass(frozen=True)
class CampaignVariant:
    """One delivered (or rejected) variant: its parts as the channel shows them."""

    product_id: str
    channel: str
    segment: str | None
    parts: dict[str, str]
    verdict: Verdict
    problems: tuple[str, ...] = ()  # what the check found in the model's text
    cached: bool = False
    seconds: float = 0.0
    written: dict[str, Any] = field(default_factory=dict, compare=False)  # the model's reply

    @property
    def ok(self) -> bool:
        return self.verdict != "rejected"


def copy_tool() -> dict[str, Any]:
    """The ``CampaignCopy`` tool, the same for every request; the format's parts come as bounds."""
    return {
        "type": "function",
        "function": {
            "name": TOOL_NAME,
            "description": "Record the campaign copy: one object with a text for each part.",
            "parameters": {
                "type": "object",
                "properties": {"variants": {"type": "array", "items": {"type": "object"}}},
                "required": ["variants"],
            },
        },
    }


def reserved_units(fmt: ChannelFormat, terms: Terms, lang: str) -> dict[str, int]:
    """Per part, what the shop's additions take: units of text, or items of a lines part."""
    separator = messages()[lang]["separator"]
    reserved: dict[str, int] = {}
    for name, addition in ((fmt.terms, terms.line), (fmt.cta, terms.cta)):
        if not name or not addition:
            continue
        part = fmt.part(name)
        cost = 1 if part.kind == "lines" else units(separator + addition, part.counting)
        reserved[name] = reserved.get(name, 0) + cost
    return reserved


def campaign_request(
    campaign: Campaign, fmt: ChannelFormat, segment: str | None, bounds: dict[str, Any]
) -> str:
    """The user turn's request: format, campaign, audience, tone, language, parts with caps."""
    text = messages()[campaign.lang]
    audience = text.get("segments", {}).get(segment, segment) if segment else text["everyone"]
    parts = []
    for part in fmt.written:
        schema = bounds["properties"][part.name]
        hint = part.hint.get(campaign.lang, part.name)
        if part.kind == "text":  # asked for less than the cap: text that runs into it is cut
            parts.append(text["part"].format(name=part.name, hint=hint, limit=_aim(schema["maxLength"])))
        else:
            parts.append(
                text["part_items"].format(
                    name=part.name,
                    hint=hint,
                    low=schema["minItems"],
                    high=schema.get("maxItems", schema["minItems"]),
                    limit=_aim(schema["items"].get("maxLength", part.max)),
                )
            )
    request = text["request"].format(
        format=fmt.instruction[campaign.lang],
        campaign=campaign.name,
        audience=audience,
        tone=text.get("tones", {}).get(campaign.tone, campaign.tone),
        parts=("；" if campaign.lang == "zh" else "; ").join(parts),
    )
    if campaign.audience.description:
        request += "\n" + text["audience_note"].format(description=campaign.audience.description)
    return str(request)


def _aim(cap: int) -> int:
    """The length asked for under a grammar cap of ``cap``: four fifths of it."""
    return max(cap * 4 // 5, min(cap, 10))


def write_campaign_copy(
    campaign: Campaign,
    product: Product,
    channel: str,
    model: BaseChatModel | Callable[[], BaseChatModel],
    *,
    segment: str | None = None,
    highlights: Sequence[str] = (),
    cache: TextCache | None = None,
    model_name: str = "",
) -> CampaignVariant:
    """One fact-checked variant of ``campaign``'s copy for ``product`` on ``channel``.

    Raises ``ValueError`` when no variant can be written (the offer cannot apply to the
    product, the model's reply has no variant) and the model runtime's errors."""
    fmt = load_formats()[channel]
    terms = campaign_terms(campaign, product)
    facts = f"{product_facts(product, highlights)}\n{terms.facts}"
    schema = grammar_schema(fmt, campaign.lang, reserved_units(fmt, terms, campaign.lang))
    bounds = {"variants": {"type": "array", "minItems": 1, "maxItems": 1, "items": schema}}
    system = str(messages()[campaign.lang]["system"])
    # the model sees no price and no offer: what it is shown it repeats (cut, or doubled)
    priceless = {key: value for key, value in product.attributes.items() if "price" not in key.lower()}
    shown = product_facts(replace(product, price=None, attributes=priceless), highlights)
    ask = messages()[campaign.lang].get("closing", "")
    human = f"{campaign_request(campaign, fmt, segment, schema)}\n<facts>\n{shown}\n</facts>{ask}"
    key = TextCache.key(CACHE_KIND, model_name, system, human, bounds)
    began = time.perf_counter()
    written = cache.get(CACHE_KIND, key) if cache is not None else None
    cached = written is not None
    if written is None:
        chat_model = model if isinstance(model, BaseChatModel) else model()
        messages_ = [SystemMessage(content=system), HumanMessage(content=human)]
        reply = forced_list(chat_model, copy_tool(), messages_, "variants", bounds)
        written = reply[0]
        if not isinstance(written, dict):
            raise ValueError(f"the model's {TOOL_NAME} variant is not an object: {str(written)[:200]!r}")
        if cache is not None:
            cache.put(CACHE_KIND, key, written)
    variant = check_variant(campaign, product, channel, written, segment=segment, facts=facts)
    return replace(variant, cached=cached, seconds=round(time.perf_counter() - began, 3))


def check_variant(
    campaign: Campaign,
    product: Product,
    channel: str,
    written: dict[str, Any],
    *,
    segment: str | None = None,
    facts: str | None = None,
    capped: bool = True,
) -> CampaignVariant:
    """Assemble the model's (or a merchant's) ``written`` parts with the campaign's terms, check,
    repair or reject; see the module docstring. ``capped``: the text was written under the
    grammar's caps, so text that reaches one was cut (False for a merchant's edit)."""
    fmt = load_formats()[channel]
    terms = campaign_terms(campaign, product)
    facts = facts if facts is not None else f"{product_facts(product)}\n{terms.facts}"
    lang = campaign.lang
    pieces = {part.name: _pieces(part, written.get(part.name)) for part in fmt.written}
    found = (
        _drop_cut(fmt, pieces, written, grammar_schema(fmt, lang, reserved_units(fmt, terms, lang)))
        if capped
        else []
    )

    def problems_of(text: str) -> list[str]:
        return [*check_copy(text, facts), *terms_problems(text, terms)]

    found += [f"{name}: {p}" for name, items in pieces.items() for item in items for p in problems_of(item)]
    original = _render(fmt, pieces, terms, lang)
    prose = " ".join(item for items in pieces.values() for item in items)
    if not in_language(prose, lang):
        return _variant(
            product, channel, segment, original, "rejected", [f"not written in {lang}", *found], written
        )
    kept = {name: [item for item in items if not problems_of(item)] for name, items in pieces.items()}
    rendered = _render(fmt, kept, terms, lang)
    over = limit_problems(fmt, original)
    for part in fmt.written:  # a part over its limit loses trailing sentences or items
        while kept[part.name] and _over(fmt, part, rendered[part.name]):
            kept[part.name].pop()
            rendered = _render(fmt, kept, terms, lang)
    final = [
        *(f"{name}: {p}" for name, text in rendered.items() for p in problems_of(text)),
        *limit_problems(fmt, rendered),
        *([] if terms.line in rendered[fmt.terms] else [f"{fmt.terms}: the offer line is missing"]),
    ]
    found += [p for p in over if p not in found]
    if final:
        return _variant(product, channel, segment, original, "rejected", [*found, *final], written)
    return _variant(product, channel, segment, rendered, "repaired" if found else "ok", found, written)


def _drop_cut(
    fmt: ChannelFormat, pieces: dict[str, list[str]], written: dict[str, Any], schema: dict[str, Any]
) -> list[str]:
    """Remove, in place, what the grammar's caps cut: a text part's unfinished last sentence, a
    bullet's unfinished end (a bullet may end without a stop, unless it reached its cap)."""
    found = []
    for part in fmt.written:
        if part.kind == "text":
            text = str(written.get(part.name) or "").strip()
            at_cap = len(text) >= schema["properties"][part.name]["maxLength"] - 1
            if at_cap and pieces[part.name] and not _FINISHED.search(pieces[part.name][-1]):
                pieces[part.name] = _finished(pieces[part.name], stop=True)
                found.append(f"{part.name}: cut off at the length limit; the unfinished sentence was removed")
        elif part.kind == "lines" and part.item_max:
            for item in [
                i for i in pieces[part.name] if len(i) >= part.item_max - 1 and not _FINISHED.search(i)
            ]:
                index = pieces[part.name].index(item)
                pieces[part.name][index : index + 1] = _finished([item])
                found.append(f"{part.name}: an item was cut off at the length limit: {item[:40]!r}")
    return found


def _finished(pieces: list[str], *, stop: bool = False) -> list[str]:
    """``pieces`` without the unfinished last one; when it is the only one, cut at its last clause,
    without the words that cannot end one ("a raincoat that"), and, with ``stop``, ended as a
    sentence (a bullet needs no stop)."""
    if len(pieces) > 1:
        return pieces[:-1]
    head = _CLAUSE.split(pieces[0].rstrip())[0] if _CLAUSE.search(pieces[0]) else ""
    words = head.split()
    while words and words[-1].casefold() in _DANGLING:
        words.pop()
    head = " ".join(words)
    if not head:
        return []
    return [head + (("。" if detect_language(head) == "zh" else ".") if stop else "")]


def _over(fmt: ChannelFormat, part: Part, text: str) -> bool:
    """Whether ``text`` breaks a length limit of ``part`` (not an item count, not emptiness)."""
    return any("limit is" in p or "longer than" in p for p in limit_problems(fmt, {part.name: text}))


def _pieces(part: Part, value: Any) -> list[str]:
    """The model's text of one part as checkable pieces: sentences, lines or tags."""
    if part.kind == "text":
        return [p for p in sentence_pieces(str(value or "").strip()) if p.strip()]
    items = value if isinstance(value, list) else str(value or "").splitlines()
    cleaned = (str(item).strip().removeprefix(part.prefix.strip()).strip() for item in items)
    if part.kind == "tags":
        cleaned = ("".join(item.lstrip("#").split()) for item in cleaned)
    return list(dict.fromkeys(item for item in cleaned if item))


def _render(fmt: ChannelFormat, pieces: dict[str, list[str]], terms: Terms, lang: str) -> dict[str, str]:
    """Every part as delivered: the model's pieces, the offer line and the call to action added."""
    separator = str(messages()[lang]["separator"])
    rendered = {}
    for part in fmt.parts:
        line = [terms.line] if part.name == fmt.terms else []  # the offer first among lines, last in prose
        cta = [terms.cta] if part.name == fmt.cta and terms.cta else []
        items = pieces.get(part.name, [])
        if part.kind in ("lines", "tags"):
            rendered[part.name] = part.join([*line, *items, *cta]) if items else ""
        elif part.kind == "terms":
            rendered[part.name] = separator.join([*line, *cta])
        else:
            prose = "".join(items).strip()
            rendered[part.name] = separator.join([prose, *line, *cta]) if prose else ""
    return rendered


def _variant(
    product: Product,
    channel: str,
    segment: str | None,
    parts: dict[str, str],
    verdict: Verdict,
    problems: Sequence[str],
    written: dict[str, Any],
) -> CampaignVariant:
    return CampaignVariant(
        product.id, channel, segment, parts, verdict, tuple(dict.fromkeys(problems)), written=written
    )
