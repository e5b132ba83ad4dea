"""Price strings as merchants write them: ``₹1,099``, ``$59.00``, ``1.099,00 €``, ``Rs. 499``.

:func:`parse_price` returns the amount and the currency its symbol or code names (None when
there is none). Separators: when both ``,`` and ``.`` occur, the last one is the decimal mark;
a lone ``,`` followed by exactly three digits groups thousands (``1,099``; also Indian
``1,09,999``), otherwise it is a decimal comma (``59,90``); a lone ``.`` is a decimal point
unless it repeats (``1.234.567``). Ranges (``10-20``), free text and negative amounts are
rejected with a message that says why. It does not convert currencies.
"""

from __future__ import annotations

import re

# Longest first, so that "US$" wins over "$" and "Rs." over "Rs".
CURRENCY_MARKS: dict[str, str] = {
    "US$": "USD",
    "USD": "USD",
    "$": "USD",
    "€": "EUR",
    "EUR": "EUR",
    "£": "GBP",
    "GBP": "GBP",
    "₹": "INR",
    "Rs.": "INR",
    "Rs": "INR",
    "INR": "INR",
    "¥": "CNY",
    "￥": "CNY",
    "元": "CNY",
    "RMB": "CNY",
    "CNY": "CNY",
    "JPY": "JPY",
    "円": "JPY",
}
_MARKS = sorted(CURRENCY_MARKS, key=len, reverse=True)
_NUMBER = re.compile(r"^\d[\d.,\s\u00a0\u202f']*$")


class PriceError(ValueError):
    """The text is not a single non-negative price."""


def parse_price(text: str | float | int) -> tuple[float, str | None]:
    """``(amount, currency or None)``; raises :class:`PriceError` with a short reason."""
    if isinstance(text, bool):
        raise PriceError(f"{text!r} is not a number")
    if isinstance(text, int | float):
        if text != text or text < 0:  # NaN or negative
            raise PriceError(f"{text!r} is not a valid price")
        return float(text), None
    raw = text.strip()
    currency = None
    rest = raw
    for mark in _MARKS:
        if rest.upper().startswith(mark.upper()):
            currency, rest = CURRENCY_MARKS[mark], rest[len(mark) :]
            break
        if rest.upper().endswith(mark.upper()):
            currency, rest = CURRENCY_MARKS[mark], rest[: -len(mark)]
            break
    rest = rest.strip()
    if not rest or not _NUMBER.match(rest):
        raise PriceError(f"{raw!r} is not a number")
    return _amount(rest, raw), currency


def _amount(digits: str, raw: str) -> float:
    digits = re.sub(r"[\s\u00a0\u202f']", "", digits)
    last_comma, last_dot = digits.rfind(","), digits.rfind(".")
    if last_comma >= 0 and last_dot >= 0:
        decimal = "," if last_comma > last_dot else "."
        thousands = "." if decimal == "," else ","
        digits = digits.replace(thousands, "").replace(decimal, ".")
    elif last_comma >= 0:
        groups = digits.split(",")
        if all(len(group) == 3 for group in groups[1:]) or _indian_grouping(groups):
            digits = digits.replace(",", "")
        elif len(groups) == 2:
            digits = digits.replace(",", ".")
        else:
            raise PriceError(f"{raw!r} is not a number")
    elif digits.count(".") > 1:
        groups = digits.split(".")
        if not all(len(group) == 3 for group in groups[1:]):
            raise PriceError(f"{raw!r} is not a number")
        digits = digits.replace(".", "")
    try:
        return float(digits)
    except ValueError:
        raise PriceError(f"{raw!r} is not a number") from None


def _indian_grouping(groups: list[str]) -> bool:
    """``1,09,999``: groups of two, then a final group of three."""
    return len(groups) > 2 and len(groups[-1]) == 3 and all(len(group) == 2 for group in groups[1:-1])
