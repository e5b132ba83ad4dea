"""What a campaign states for one product, rendered and checked: offer, dates, sale price.

The campaign's terms are facts exactly as the merchant gave them, so the numbers are not left
to the model: :func:`campaign_terms` renders the offer line of one product from the
per-language templates in ``tools/data/campaign_messages.toml`` ("20% off, Nov 1 to Nov 11:
now $47.20 (was $59.00)." / "8折，11月1日至11月11日，到手价¥47.20（原价¥59.00）。"), and the copy
tools insert it into the copy. The sale price is the catalog price with the offer, in
``Decimal``, rounded half-up to the currency's minor unit (:func:`sale_price`).

:func:`terms_problems` checks any text against those terms: an amount of money that is neither
the catalog price, the sale price nor an amount of the offer ("$47" where the sale price is
$47.20), a percentage off or a 折 discount other than the campaign's, a date other than its
start or end, the catalog price stated as the price while the offer changes it, another kind of offer (a gift, a coupon, free shipping: :data:`OTHER_OFFERS`).
Everything else (numbers, risky claims) is :func:`tools.promo_copy.check_copy`'s,
over the product's facts plus :attr:`Terms.facts`.

Deliberately not here: which part of a format the line goes into, the model call.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from pathlib import Path
from typing import Any

from index.quantities import quantities
from index.schema import Product
from tools.campaign import AmountOff, BuyNGetM, Campaign, FreeShippingOver, Offer, PercentOff

MESSAGES_FILE = Path(__file__).with_name("data") / "campaign_messages.toml"
_PERCENT_OFF = re.compile(
    r"(?:(?:save|up to|extra|take|立减|优惠|省)\s*(?P<a>\d+(?:\.\d+)?)\s*%)|(?P<b>\d+(?:\.\d+)?)\s*%\s*(?:off|discount|折扣|优惠)",
    re.IGNORECASE,
)
_ZHE = re.compile(r"(\d+(?:\.\d+)?)\s*折(?!扣)")
# offers a campaign may not have: flagged unless its own terms say them
OTHER_OFFERS = (
    "free gift", "gift with purchase", "bonus gift", "bogo", "buy one get one", "half price", "half-price",
    "coupon", "voucher", "promo code", "cashback", "cash back", "clearance", "flash sale", "free shipping",
    "free delivery", "赠品", "赠送", "送礼", "礼品", "即送", "就送", "加送", "满送", "买一送一", "满减",
    "优惠券", "红包", "返现", "半价", "秒杀", "包邮", "免运费", "清仓",
)  # fmt: skip
MONTHS = (
    "jan",
    "feb",
    "mar",
    "apr",
    "may",
    "jun",
    "jul",
    "aug",
    "sep",
    "oct",
    "nov",
    "dec",
)  # as dates are read
_MONTH = r"(?P<m>jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?"
_DATES = (
    re.compile(rf"\b{_MONTH}\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\b", re.IGNORECASE),
    re.compile(rf"\b(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH}", re.IGNORECASE),
    re.compile(r"\b(?P<y>\d{4})-(?P<mm>\d{1,2})-(?P<d>\d{1,2})\b"),
    re.compile(r"(?<![\d.])(?P<mm>\d{1,2})/(?P<d>\d{1,2})(?![\d/])"),
    re.compile(r"(?P<mm>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*[日号]"),
)


class OfferError(ValueError):
    """The offer cannot apply to a product (another currency, more off than the price)."""


@cache
def messages() -> dict[str, Any]:
    with MESSAGES_FILE.open("rb") as file:
        return tomllib.load(file)


def minor_unit(currency: str | None) -> int:
    entry = messages()["currencies"].get((currency or "").upper())
    return int(entry["minor"]) if entry else 2


def money_text(amount: Decimal, currency: str | None) -> str:
    """``amount`` with the currency's symbol and minor unit: $47.20, JP¥4,720, 12.00 XYZ."""
    digits = f"{amount:,.{minor_unit(currency)}f}"
    entry = messages()["currencies"].get((currency or "").upper())
    return f"{entry['symbol']}{digits}" if entry else f"{digits} {currency or ''}".rstrip()


def sale_price(price: float | Decimal, currency: str | None, offer: Offer) -> Decimal | None:
    """The price with ``offer``, rounded half-up to the currency's minor unit; None when the
    offer does not change the price of one item (buy N get M, free shipping)."""
    step = Decimal(1).scaleb(-minor_unit(currency))
    base = Decimal(str(price))
    if isinstance(offer, PercentOff):
        return (base * (100 - offer.percent) / 100).quantize(step, rounding=ROUND_HALF_UP)
    if isinstance(offer, AmountOff):
        if offer.currency != (currency or "").upper():
            raise OfferError(
                f"the offer is in {offer.currency}, the product's price in {currency or 'no currency'}"
            )
        if offer.amount >= base:
            raise OfferError(
                f"{money_text(offer.amount, offer.currency)} off is not less than the price "
                f"{money_text(base, currency)}"
            )
        return (base - offer.amount).quantize(step, rounding=ROUND_HALF_UP)
    return None


@dataclass(frozen=True)
class Terms:
    """One product's campaign terms in one language: the line copy carries, and what checks it."""

    line: str
    cta: str
    facts: str  # for check_copy, beside the product's facts
    amounts: frozenset[Decimal]  # money the copy may state (besides the line itself)
    regular: Decimal | None  # the catalog price, when the offer changes it: only the line states it
    sale: str | None  # the sale price as written, for messages
    offer: str  # the offer as written
    percent: Decimal | None
    zhe: Decimal | None
    dates: frozenset[tuple[int, int]]
    years: frozenset[int]
    span: str  # "Nov 1 to Nov 11"


def _date(day: date, lang: str) -> str:
    text = messages()[lang]
    month = text["months"][day.month - 1] if "months" in text else day.month
    return str(text["date"].format(month=month, day=day.day))


def _plain(value: Decimal) -> str:
    return f"{value.normalize():f}"


def offer_text(offer: Offer, lang: str) -> str:
    text = messages()[lang]
    if isinstance(offer, PercentOff):
        return str(
            text["percent_off"].format(percent=_plain(offer.percent), zhe=_plain((100 - offer.percent) / 10))
        )
    if isinstance(offer, AmountOff):
        return str(text["amount_off"].format(amount=money_text(offer.amount, offer.currency)))
    if isinstance(offer, BuyNGetM):
        return str(text["buy_n_get_m"].format(buy=offer.buy, get=offer.get))
    return str(text["free_shipping_over"].format(threshold=money_text(offer.threshold, offer.currency)))


def campaign_terms(campaign: Campaign, product: Product) -> Terms:
    """The terms of ``campaign`` for ``product``; :class:`OfferError` when they cannot apply."""
    text = messages()[campaign.lang]
    offer = campaign.offer
    stated = offer_text(offer, campaign.lang)
    start, end = _date(campaign.start, campaign.lang), _date(campaign.end, campaign.lang)
    amounts: set[Decimal] = set()
    sale = None
    regular = None if product.price is None else Decimal(str(product.price))
    if product.price is not None:
        value = sale_price(product.price, product.currency, offer)
        if value is not None:  # during the campaign the price is the sale price
            amounts.add(value)
            sale = money_text(value, product.currency)
        else:
            amounts.add(Decimal(str(product.price)))
    if isinstance(offer, AmountOff):
        amounts.add(offer.amount)
    if isinstance(offer, FreeShippingOver):
        amounts.add(offer.threshold)
    if sale is not None and product.price is not None:
        price = money_text(Decimal(str(product.price)), product.currency)
        line = text["terms_price"].format(offer=stated, start=start, end=end, sale=sale, price=price)
    else:
        line = text["terms"].format(offer=stated, start=start, end=end)
    words = "sale promotion 促销 活动"
    if isinstance(offer, PercentOff | AmountOff):
        words += " discount % off 折扣 打折 特价 优惠"
    facts = "\n".join(
        part for part in (f"campaign: {campaign.name}", f"offer: {line}", f"offer words: {words}",
                          f"call to action: {campaign.call_to_action}" if campaign.call_to_action else "")
        if part
    )  # fmt: skip
    percent = offer.percent if isinstance(offer, PercentOff) else None
    return Terms(
        line=str(line),
        cta=campaign.call_to_action,
        facts=facts,
        amounts=frozenset(amounts),
        regular=regular if sale is not None else None,
        sale=sale,
        offer=stated,
        percent=percent,
        zhe=(100 - percent) / 10 if percent is not None else None,
        dates=frozenset(
            {
                (campaign.start.month, campaign.start.day),
                (campaign.end.month, campaign.end.day),
                *((d.month, d.day) for d in stated_dates(campaign.call_to_action)),
            }
        ),  # "Order by Dec 20."
        years=frozenset({campaign.start.year, campaign.end.year}),
        span=f"{start} – {end}",
    )


def terms_problems(text: str, terms: Terms) -> list[str]:
    """Offers, prices and dates in ``text`` that are not the campaign's; see the module docstring."""
    text = text.replace(terms.line, " " * len(terms.line))  # the line is the campaign's own word
    problems: list[tuple[int, str]] = []
    for money in (q for q in quantities(text) if q.kind == "money"):
        amount, written = Decimal(str(money.value)), text[money.start : money.end].strip()
        if amount == terms.regular:
            message = f"price {written} is the price before the offer: the sale price is {terms.sale}"
            problems.append((money.start, message))
        elif amount not in terms.amounts:
            right = f"the sale price is {terms.sale}" if terms.sale else f"the offer is {terms.offer}"
            problems.append((money.start, f"price {written} is not the campaign's: {right}"))
    for match in _PERCENT_OFF.finditer(text):
        if Decimal(match["a"] or match["b"]) != terms.percent:
            problems.append(
                (match.start(), f"offer {match.group(0).strip()} is not the campaign's: {terms.offer}")
            )
    lowered, stated = text.lower(), terms.facts.lower()
    for phrase in OTHER_OFFERS:
        if phrase in lowered and phrase not in stated:
            problems.append((lowered.index(phrase), f"offer '{phrase}' is not the campaign's: {terms.offer}"))
    for match in _ZHE.finditer(text):
        if Decimal(match[1]) != terms.zhe:
            problems.append((match.start(), f"offer {match.group(0)} is not the campaign's: {terms.offer}"))
    for day in stated_dates(text):
        wrong_year = day.year is not None and day.year not in terms.years
        if (day.month, day.day) not in terms.dates or wrong_year:
            problems.append((day.start, f"date {day.text} is not the campaign's ({terms.span})"))
    return [message for _, message in sorted(problems)]


@dataclass(frozen=True)
class StatedDate:
    """A day written in text ("Nov 11", "11 November", "2026-11-11", "11/11", "11月11日")."""

    year: int | None
    month: int
    day: int
    start: int
    end: int
    text: str


def stated_dates(text: str) -> list[StatedDate]:
    """The days ``text`` writes, in order (a day written two ways at one place once)."""
    found: dict[int, StatedDate] = {}
    for pattern in _DATES:
        for match in pattern.finditer(text):
            groups = match.groupdict()
            month = MONTHS.index(groups["m"][:3].lower()) + 1 if groups.get("m") else int(groups["mm"])
            if not (1 <= month <= 12 and 1 <= int(groups["d"]) <= 31) or match.start() in found:
                continue
            year = int(groups["y"]) if groups.get("y") else None
            found[match.start()] = StatedDate(
                year, month, int(groups["d"]), match.start(), match.end(), match.group(0).strip()
            )
    return [found[at] for at in sorted(found)]
