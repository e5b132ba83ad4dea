"""Which search filters the shopper's words support, before and after the model's call.

The 1.5B model pads a search call with filters nobody asked for: ``"max_price": 100,
"brand": "None", "min_rating": 4, "color": "No"`` after "I'm going hiking in the rain, what
jacket should I get?" (63 tokens of call where 25 say it all). Each padded filter costs
decoding time (~0.3 s on two cores) and, where it survives, hides products. So:

- :func:`unsupported_filters`, before the call: the filters this turn's constrained call
  may not write. The prompt still shows every argument (the cached prompt prefix stays the
  same); only the grammar leaves these out, so the model closes the call instead. A price
  needs a number the user stated (or a budget, or a shown price to compare with); a colour a
  colour word in the message; a brand one of the catalog's brands in the message; a minimum
  rating a word about ratings ("well rated", "4 stars", "好评"); a category a category path
  in the message ("Men/Tops"): the model's guesses from plain words ("Clothing", "Running",
  "Electronics/Smartphones") were mostly no category of the catalog, which the search then
  ignores anyway, while the query's words already find the right kind of product.
- :func:`stated_limits_only`, after the call: a price limit that matches no stated number is
  dropped (there were numbers, and the model invented another).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from typing import Any

from assistant.intents import color_in

log = logging.getLogger(__name__)

PRICED = ("search_products", "recommend")  # the tools with price limits
_PATH = re.compile(r"\w\s*/\s*\w")
_RATING_WORDS = re.compile(
    r"\b(?:rat(?:ed|ing|ings)|stars?|reviews?|reviewed)\b|评分|好评|口碑|评价|星", re.I
)


def unsupported_filters(
    message: str, stated: Iterable[float | None], brands: Iterable[str]
) -> dict[str, list[str]]:
    """Tool name -> the optional filters the user's words give no value for (see the module)."""
    priced = any(number is not None for number in stated)
    lowered = message.casefold()
    search: list[str] = [] if priced else ["min_price", "max_price"]
    if color_in(message) is None:
        search.append("color")
    if not any(_names(brand, lowered) for brand in brands):
        search.append("brand")
    if not _RATING_WORDS.search(message):
        search.append("min_rating")
    if not _PATH.search(message):
        search.append("category")
    return {"search_products": search, "recommend": [] if priced else ["max_price"]}


def _names(brand: str, lowered: str) -> bool:
    key = brand.casefold().strip()
    if not key:
        return False
    return bool(re.search(rf"(?<!\w){re.escape(key)}(?!\w)", lowered)) if key.isascii() else key in lowered


def stated_limits_only(name: str, args: Mapping[str, Any], stated: Iterable[float | None]) -> dict[str, Any]:
    """The model's search arguments without a price limit the user never stated: a small
    model adds "max_price": 100 to "a jacket for hiking in the rain", which hides products
    and puts a budget in the reply that nobody gave."""
    kept = dict(args)
    if name not in PRICED:
        return kept
    numbers = [float(s) for s in stated if s is not None]
    for key in ("min_price", "max_price"):
        value = kept.get(key)
        try:
            number = float(value) if value not in (None, "") else None
        except (TypeError, ValueError):
            continue  # the tool's own validation answers a malformed value
        if number is not None and not any(abs(s - number) <= 1 for s in numbers):
            log.info("dropped %s=%s: the user stated no such limit", key, value)
            del kept[key]
    return kept
