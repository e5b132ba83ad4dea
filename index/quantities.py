"""Numbers with their units in a shopper's message, and the price limits among them.

:func:`quantities` reads every number of a message with what is written around it: "30L",
"65 cm", "5-year-old", "2人", "1.5升", "$1,099", "₹1,099.50", "500元", "size 10", "4星". A
number carries the unit written after it (or the currency sign or "size" before it), and a
bare number gets kind ``"number"``. :func:`price_limits` keeps only the money that stands in a
limit ("under $40", "预算500元以内", "between 20 and 40 dollars", "20到40元") and returns it as
:class:`PriceLimits` with the message minus those phrases.

A number is money when a currency mark names it (a sign, code or word: ``$``, ``rs.``,
``bucks``, ``元``, ``块钱`` ...), or when it is bare and stands in a price context ("under 40",
"at most 40", "500以内", "低于500", "预算500"); a context then gives money with
``currency=None`` (the shopper did not say which). A number with any other unit is never a
price: "under 40 degrees", "backpack under 30L", "3岁以下" and "4星以上" set no limit. The two
ends of a range share the unit written on either ("20-40 dollars", "$20-40", "5-10 kg"), and
the sides of a dimension ("30x40 cm") share theirs and are never prices.

Choices, each one line of the tables below to change:

- ``¥`` and ``￥`` are CNY, as in catalog prices (:mod:`index.prices`); yen is "JPY", "JP¥",
  "yen", 円; the other dollars are written "CA$", "A$", "HK$", "NT$".
- Inch is "inch"/"inches"/``"``/``″``/英寸/寸 only; "15 in laptop" is the word "in".
- "pound(s)" is the mass (lb): "a tent under 5 pounds" must not become a price. Sterling is
  ``£``, "gbp", "quid", 英镑.
- A bare number right after words of age or rating reads as such: "toys for kids under 5"
  (ages below 18 only, so "gifts for kids under 25" stays a price), "rated over 4", "评分4以上".
- "k", 千 and 万 multiply: "$2k", "under 2k", "1万毫安", "5千元"; an English "k" only where
  the number is money or a unit follows ("10k mAh"), so "4K TV" is the bare number 4.
- A number glued to the letters before it is part of a name ("ps5", "mp3") and is skipped; one
  glued to letters after it that are no unit ("2nd", "4K") is bare and never a price.
- Money with no limit word is no limit: "2 for $30" and "a 40 dollar jacket" set none.
- "about"/"around" set no limit; 左右 is read as a maximum (as the shopper's budget).
- Several maxima keep the lowest, several minima the highest; the currency is the first one
  stated among the limits.

Deliberately not here: numbers written in words ("twenty", 五百, 两个), the decimal comma
("59,90"), negative numbers, unit conversion (values stay in the unit written) and currency
conversion; what a limit means for a store in another currency is the caller's business.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

# canonical unit -> (kind, aliases). English aliases match case-insensitively on word
# boundaries; a space in an alias matches spaces or hyphens ("5-year-old").
UNITS: dict[str, tuple[str, tuple[str, ...]]] = {
    "cm": ("length", ("cm", "cms", "centimeter", "centimeters", "centimetre", "centimetres", "厘米", "公分")),
    "mm": ("length", ("mm", "millimeter", "millimeters", "millimetre", "millimetres", "毫米")),
    "m": ("length", ("m", "meter", "meters", "metre", "metres", "米")),
    "inch": ("length", ("inch", "inches", '"', "″", "英寸", "寸")),
    "foot": ("length", ("foot", "feet", "ft", "\u2032", "英尺")),
    "l": ("volume", ("l", "ltr", "liter", "liters", "litre", "litres", "升", "公升")),
    "ml": ("volume", ("ml", "milliliter", "milliliters", "millilitre", "millilitres", "毫升")),
    "kg": ("mass", ("kg", "kgs", "kilo", "kilos", "kilogram", "kilograms", "公斤", "千克")),
    "g": ("mass", ("g", "gram", "grams", "gramme", "grammes", "克")),
    "lb": ("mass", ("lb", "lbs", "pound", "pounds", "磅")),
    "oz": ("mass", ("oz", "ounce", "ounces", "盎司")),
    "jin": ("mass", ("斤",)),
    "degree": ("temperature", ("degree", "degrees", "deg", "°", "°c", "°f", "℃", "℉", "度", "摄氏度")),
    "year_old": ("age", ("year old", "years old", "yr old", "yrs old", "year olds", "岁", "周岁")),
    "person": ("people", ("person", "persons", "people", "man", "seater", "人")),
    "minute": ("duration", ("min", "mins", "minute", "minutes", "分钟")),
    "hour": ("duration", ("h", "hr", "hrs", "hour", "hours", "小时")),
    "day": ("duration", ("day", "days", "天")),
    "week": ("duration", ("week", "weeks", "wk", "wks", "周", "星期", "个星期")),
    "month": ("duration", ("month", "months", "个月")),
    "year": ("duration", ("year", "years", "yr", "yrs", "年")),
    "w": ("power", ("w", "watt", "watts", "瓦")),
    "mah": ("capacity", ("mah", "毫安", "毫安时")),
    "mb": ("storage", ("mb",)),
    "gb": ("storage", ("gb",)),
    "tb": ("storage", ("tb",)),
    "piece": (
        "count",
        ("piece", "pieces", "pc", "pcs", "count", "ct", "件", "个", "只", "支", "条", "张", "台", "瓶"),
    ),
    "pair": ("count", ("pair", "pairs", "双", "对")),
    "pack": ("count", ("pack", "packs", "pk", "set", "sets", "包", "盒", "套", "袋", "箱")),
    "star": ("rating", ("star", "stars", "星", "颗星", "星级")),
    "percent": ("percent", ("%", "\uff05", "percent", "per cent", "pct")),
    "zhe": ("percent", ("折",)),  # 8折: pay 80 percent (the value stays 8)
    "size": ("size", ("码",)),  # 42码; "size 10" and 尺码42 are read before the number
}

# currency mark (before or after the number) -> ISO code
CURRENCIES: dict[str, str] = {
    "US$": "USD", "$": "USD", "\uff04": "USD", "USD": "USD", "dollar": "USD", "dollars": "USD",
    "buck": "USD", "bucks": "USD", "美元": "USD", "美金": "USD",
    "¥": "CNY", "￥": "CNY", "RMB": "CNY", "CNY": "CNY", "yuan": "CNY", "元": "CNY", "块": "CNY",
    "块钱": "CNY", "人民币": "CNY",
    "€": "EUR", "EUR": "EUR", "euro": "EUR", "euros": "EUR", "欧元": "EUR",
    "£": "GBP", "GBP": "GBP", "quid": "GBP", "英镑": "GBP",
    "₹": "INR", "Rs": "INR", "Rs.": "INR", "INR": "INR", "rupee": "INR", "rupees": "INR", "卢比": "INR",
    "JPY": "JPY", "yen": "JPY", "円": "JPY", "日元": "JPY", "JP¥": "JPY",
    "CA$": "CAD", "CAD": "CAD", "A$": "AUD", "AUD": "AUD", "HK$": "HKD", "HKD": "HKD", "港币": "HKD",
    "NT$": "TWD", "TWD": "TWD", "₩": "KRW", "KRW": "KRW", "韩元": "KRW", "KWD": "KWD",
}  # fmt: skip

# Words before a number (or its limit word) that make a price context ("max") or set one's
# direction; 预算/budget alone mean a maximum, price/价格 only lead into one.
_MAX_BEFORE = (
    r"under|below|less than|cheaper than|lower than|up to|at most|max|maximum|no more than|not more than|"
    r"within|budget|budget of|budget is|<|<=|≤|低于|不超过|不高于|不到|少于|小于|最多|最高|预算"
)
_MIN_BEFORE = (
    r"over|above|more than|at least|min|minimum|no less than|not less than|greater than|"
    r"more expensive than|starting at|>|>=|≥|高于|超过|不低于|不少于|大于|多于|至少|最少|最低"
)
_MAX_AFTER = r"or less|or under|and under|or below|or cheaper|max|以内|以下|之内|左右|或以下"
_MIN_AFTER = r"or more|and up|and above|or above|以上|或以上"
_LEAD = r"price|prices|priced|price range|价格|价位|价钱|预算|budget"  # before a range or a limit word
_RANGE_LEAD = r"between|from|price|priced|price range|budget|价格|价位|价钱|预算"
_HINTS = {  # words right before a bare number (or its limit word) -> the unit they give it
    "year_old": r"kid|kids|child|children|toddler|toddlers|baby|babies|infant|infants|boy|boys|girl|girls|age|ages|aged|年龄",
    "star": r"rating|rated|评分|星级",
}
_MAX_CHILD_AGE = 18

_NUMBER = re.compile(r"(?<!\d)(?<!\d\.)(\d{1,3}(?:,\d{3})+|\d{1,2}(?:,\d{2})+,\d{3}|\d+)(\.\d+)?(?!\d)")
_MULTIPLIERS = {"k": 1_000.0, "千": 1_000.0, "万": 10_000.0}
_SIGNS = ("$", "US$", "\uff04", "¥", "￥", "€", "£", "₹", "JP¥", "CA$", "A$", "HK$", "NT$", "₩")
# marks also written before the number ("$40", "usd 40", "rs.499", "人民币500"); the rest only after
_MARKS_BEFORE = (*_SIGNS, "USD", "RMB", "CNY", "EUR", "GBP", "INR", "JPY", "CAD", "AUD", "HKD", "TWD", "KRW",
                 "KWD", "Rs", "Rs.", "人民币")  # fmt: skip


def _words(words: str | tuple[str, ...] | list[str]) -> str:
    """A regex alternation of the words, longest first, English ones on word boundaries."""
    parts = []
    for word in sorted(words if not isinstance(words, str) else words.split("|"), key=len, reverse=True):
        body = r"[\s-]+".join(re.escape(piece) for piece in word.split(" "))
        if word[0].isascii() and word[0].isalpha():
            body = r"(?<![a-z])" + body
        if word[-1].isascii() and word[-1].isalpha():
            body += r"(?![a-z])"
        if word in _SIGNS:
            body += r"(?!\d)"  # "2 $30": the sign belongs to the number after it
        parts.append(body)
    return "|".join(parts)


_ALIASES: dict[str, tuple[str, str]] = {
    alias.lower(): (unit, kind) for unit, (kind, aliases) in UNITS.items() for alias in aliases
}
_ALIASES.update({mark.lower(): ("money", "money") for mark in CURRENCIES})
_CURRENCY = {mark.lower(): code for mark, code in CURRENCIES.items()}
_UNIT_AFTER = re.compile(rf"(?:\s+|-)?\+?({_words(list(_ALIASES))})", re.I)
_CURRENCY_BEFORE = re.compile(rf"({_words(_MARKS_BEFORE)})\s*$", re.I)
_SIZE_BEFORE = re.compile(r"(?:(?<![a-z])(?:size|sz)|尺码|码数|鞋码)\s*$", re.I)
_LIMIT_BEFORE = re.compile(
    rf"(?:(?P<max>{_words(_MAX_BEFORE)})|(?P<min>{_words(_MIN_BEFORE)}))\s*[:：]?\s*$", re.I
)
_LIMIT_AFTER = re.compile(rf"\s*(?:(?P<max>{_words(_MAX_AFTER)})|(?P<min>{_words(_MIN_AFTER)}))", re.I)
_LEAD_BEFORE = re.compile(rf"(?:{_words(_LEAD)})\s*(?:is|of|在|是|为|大概|大约|控制在)?\s*[:：]?\s*$", re.I)
_RANGE_BEFORE = re.compile(rf"(?:{_words(_RANGE_LEAD)})\s*(?:在|是|为|大概|大约)?\s*[:：]?\s*$", re.I)
_RANGE_AFTER = re.compile(r"\s*之间")
_HINT_BEFORE = {unit: re.compile(rf"(?:{_words(words)})\s*$", re.I) for unit, words in _HINTS.items()}
_TO = re.compile(r"\s*(?:-|–|—|~|\uff5e|〜|to|到|至)\s*", re.I)
_BETWEEN = re.compile(r"(?:(?<![a-z])between|在)\s*$", re.I)
_AND = re.compile(r"\s*(?:and|和|与)\s*", re.I)
_BY = re.compile(r"\s*[x\u00d7*]\s*", re.I)


@dataclass(frozen=True)
class Quantity:
    """One number of a message, with its canonical unit and kind, and where it was written."""

    value: float
    unit: str  # a key of UNITS, "money", or "" for a bare number
    kind: str  # the unit's kind in UNITS, "money", or "number"
    start: int
    end: int
    currency: str | None = None  # ISO code of marked money

    def attribute_text(self) -> str:
        """The quantity as English catalog text writes it: "65 cm", "29 L", "5 years old",
        "40°", "20%", "size 10", "40 USD", "40". Compare quantities of the catalog text for
        anything more than a lexical match; Chinese catalogs write 65厘米, not this."""
        number = f"{self.value:.6f}".rstrip("0").rstrip(".")
        if self.kind == "money":
            return f"{number} {self.currency}" if self.currency else number
        glued = {"degree": "°", "percent": "%", "zhe": "折"}
        if self.unit in glued:
            return number + glued[self.unit]
        if not self.unit:
            return number
        if self.unit == "size":
            return f"size {number}"
        named = {"l": "L", "year_old": "years old", "foot": "ft"}
        return f"{number} {named.get(self.unit, self.unit)}"


@dataclass(frozen=True)
class PriceLimits:
    """The price limits a message states, and the message without them."""

    min_price: float | None
    max_price: float | None
    currency: str | None  # the currency the shopper stated; None: unmarked ("under 40")
    rest: str  # the text with the price phrases removed; the text itself when there are none
    spans: tuple[tuple[int, int], ...]  # the removed phrases, in order


@dataclass
class _Reading:
    """A number being read: a Quantity's fields, and whether a limit word may make it money."""

    value: float
    unit: str
    kind: str
    start: int
    end: int
    currency: str | None = None
    free: bool = True  # bare and clear of letters and dimensions: a price context makes it money
    k_end: int = -1  # the end past an English "k" not yet applied (value x 1000 if money)


def quantities(text: str) -> list[Quantity]:
    """Every number of ``text`` with its unit, in order; bare numbers have kind "number"."""
    return [_quantity(r) for r in _read(text)[0]]


def price_limits(text: str) -> PriceLimits:
    """The money limits ``text`` states: "under $60" -> max 60 USD; "预算500元以内" -> max 500
    CNY; "under 40" -> max 40, currency None; "jacket for 40 degree weather" -> none."""
    limits = _read(text)[1]
    highs = [high for _, high, _, _ in limits if high is not None]
    lows = [low for low, _, _, _ in limits if low is not None]
    currency = next((c for _, _, c, _ in limits if c), None)
    spans = tuple(sorted(span for *_, span in limits))
    rest = text
    if spans:
        pieces, at = [], 0
        for start, end in spans:
            pieces.append(text[at : max(at, start)])
            at = max(at, end)
        pieces.append(text[at:])
        rest = re.sub(r"\s{2,}", " ", " ".join(pieces)).strip()
    return PriceLimits(max(lows) if lows else None, min(highs) if highs else None, currency, rest, spans)


_Limit = tuple[float | None, float | None, str | None, tuple[int, int]]


def _read(text: str) -> tuple[list[_Reading], list[_Limit]]:
    readings = [r for m in _NUMBER.finditer(text) if (r := _reading(text, m)) is not None]
    ranges = _link(text, readings)
    in_range = {id(r) for pair in ranges for r in pair}
    for r in readings:
        if r.free:
            _apply_hint(text, r, r.start)
    limits: list[_Limit] = []
    for low, high in ranges:
        lead = _RANGE_BEFORE.search(text, 0, low.start)
        if low.free and high.free and lead:
            for r in (low, high):
                _make_money(r)
        if low.kind == high.kind == "money":
            after = _RANGE_AFTER.match(text, high.end)
            start = lead.start() if lead else low.start
            if lead:
                more = _LEAD_BEFORE.search(text, 0, start)
                start = more.start() if more else start
            values = sorted((low.value, high.value))
            limits.append((values[0], values[1], low.currency, (start, after.end() if after else high.end)))
    for r in readings:
        if id(r) not in in_range and (limit := _limit(text, r)) is not None:
            limits.append(limit)
    return readings, limits


def _reading(text: str, match: re.Match[str]) -> _Reading | None:
    """The number at ``match`` with the currency or size before it and the unit after it."""
    start, end = match.span()
    value = float(match.group(1).replace(",", "") + (match.group(2) or ""))
    before = _CURRENCY_BEFORE.search(text, 0, start)
    if before:  # "$40", "rs.499", "US$ 2k", "$40 usd"
        if text[end : end + 1] in _MULTIPLIERS and not text[end + 1 : end + 2].isalpha():
            value, end = value * _MULTIPLIERS[text[end]], end + 1
        same = _UNIT_AFTER.match(text, end)
        end = same.end() if same and _ALIASES[_alias(same)][1] == "money" else end
        return _Reading(value, "money", "money", before.start(), end, _currency(before.group(1)), free=False)
    if start and text[start - 1].isascii() and text[start - 1].isalpha() and text[start - 1] not in "xX":
        return None  # ps5, mp3: part of a name
    unit = _UNIT_AFTER.match(text, end)
    multiplier = text[end : end + 1] in _MULTIPLIERS  # 1万毫安, 5千元, 10k mAh
    if unit is None and multiplier and (text[end] in "千万" or _UNIT_AFTER.match(text, end + 1)):
        value, end = value * _MULTIPLIERS[text[end]], end + 1
        unit = _UNIT_AFTER.match(text, end)
    size = _SIZE_BEFORE.search(text, 0, start)
    if size:
        return _Reading(value, "size", "size", size.start(), end, free=False)
    if unit:
        name, kind = _ALIASES[_alias(unit)]
        currency = _currency(unit.group(1)) if kind == "money" else None
        return _Reading(value, name, kind, start, unit.end(), currency, free=False)
    k_end = end + 1 if text[end : end + 1] in ("k", "K") and not text[end + 1 : end + 2].isalpha() else -1
    glued = k_end < 0 and text[end : end + 1].isascii() and text[end : end + 1].isalpha()
    return _Reading(value, "", "number", start, end, free=not glued, k_end=k_end)


def _alias(match: re.Match[str]) -> str:
    return re.sub(r"[\s-]+", " ", match.group(1).lower())


def _currency(mark: str) -> str:
    return _CURRENCY[mark.lower()]


def _link(text: str, readings: list[_Reading]) -> list[tuple[_Reading, _Reading]]:
    """Share units along dimensions ("30x40x20 cm") and ranges ("20-40 dollars"); the ranges."""
    pairs = list(itertools.pairwise(readings))
    for a, b in reversed(pairs):  # right to left: a dimension's unit is written after its last side
        if _BY.fullmatch(text[a.end : b.start]):
            _share(a, b)
            a.free = b.free = False
    ranges: list[tuple[_Reading, _Reading]] = []
    for a, b in pairs:
        gap = text[a.end : b.start]
        between = _AND.fullmatch(gap) and _BETWEEN.search(text, 0, a.start)
        if (_TO.fullmatch(gap) or between) and (not ranges or ranges[-1][1] is not a) and _share(a, b):
            ranges.append((a, b))
    return ranges


def _share(a: _Reading, b: _Reading) -> bool:
    """Give the bare one of ``a``/``b`` the other's unit; whether the two now have one unit."""
    for bare, marked in ((a, b), (b, a)):
        if bare.kind == "number" and marked.kind != "number":
            bare.unit, bare.kind, bare.currency, bare.free = marked.unit, marked.kind, marked.currency, False
    return a.unit == b.unit and (a.currency == b.currency or None in (a.currency, b.currency))


def _apply_hint(text: str, r: _Reading, at: int) -> bool:
    """Read a bare number after words of age or rating as such ("kids under 5", "rated 4")."""
    for unit, pattern in _HINT_BEFORE.items():
        if pattern.search(text, 0, at) and (unit != "year_old" or r.value < _MAX_CHILD_AGE):
            r.unit, r.kind, r.free = unit, UNITS[unit][0], False
            return True
    return False


def _make_money(r: _Reading) -> None:
    if r.k_end >= 0:
        r.value, r.end = r.value * 1000, r.k_end
    r.unit, r.kind, r.free = "money", "money", False


def _limit(text: str, r: _Reading) -> _Limit | None:
    """The limit ``r`` stands in ("under 40", "500元以内", "预算500"), or None."""
    if r.kind not in ("money", "number"):
        return None
    before = _LIMIT_BEFORE.search(text, 0, r.start)
    after = _LIMIT_AFTER.match(text, r.k_end if r.free and r.k_end >= 0 else r.end)
    if not before and not after:
        return None
    if r.free and before and _apply_hint(text, r, before.start()):
        return None
    if r.free:
        _make_money(r)
    if r.kind != "money":
        return None
    start, end = (before.start() if before else r.start), (after.end() if after else r.end)
    lead = _LEAD_BEFORE.search(text, 0, start)
    start = lead.start() if lead and (before is None or lead.end() <= before.start()) else start
    is_max = bool(before.group("max")) if before else bool(after and after.group("max"))
    return (None, r.value, r.currency, (start, end)) if is_max else (r.value, None, r.currency, (start, end))


def _quantity(r: _Reading) -> Quantity:
    return Quantity(r.value, r.unit, r.kind, r.start, r.end, r.currency)
