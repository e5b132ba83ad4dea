"""The grounding check: every price, rating and product a reply states must come from tools.

After the model writes a reply, :func:`verify` compares it with the facts the tools returned
in this session (``memory.facts``: id, title, price, rating of each product a tool showed):

- **prices** ("$52.00", "52 USD", "39元"): in a sentence that names products, the price must
  be one of theirs; elsewhere it must be some known product's price, or a number the user
  wrote (a budget such as "under $60");
- **ratings** ("4.5 stars", "rated 4", "4/5", "评分4.5"): likewise against known ratings;
- **ids**: a catalog id the tools did not return in this session is an invented reference;
- **names**: a product name the reply highlights (bold, quoted, or heading a list item) must
  match a known title.

A reply with issues is repaired by the caller (rendered from the facts with
:mod:`assistant.templates`) and the event is logged. Deliberately a checker, not a judge of
style: it does not decide whether the advice is good, only whether the facts are real.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from index.quantities import Quantity, price_limits, quantities

_RATING = re.compile(
    r"(\d(?:\.\d+)?)\s*(?:/\s*5|stars?|out of 5|颗星|星|分)|rat(?:ed|ing)(?: of| is|:)?\s*(\d(?:\.\d+)?)|评分\s*[:：为是]?\s*(\d(?:\.\d+)?)",
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"[.!?](?!\d)|[。！？；;\n]")
_HIGHLIGHT = re.compile(r"\*\*([^*]{3,80})\*\*|《([^》]{2,80})》|「([^」]{2,80})」")
# "1. Name - $52.00": the name heading a list item that states a price
_LIST_HEAD = re.compile(
    r"^\s*(?:\d+[.)]|[-*•])\s+(?:\*\*)?([^\n:–—$¥(*]{3,80}?)(?:\*\*)?\s*(?:[:–—(]|\s-\s)[^\n]*?(?:[$¥￥€£₹]\s?\d|\d\s?(?:元|美元))",
    re.MULTILINE,
)
_ID_LIKE = re.compile(r"(?<![\w-])([A-Z0-9]{1,6}(?:-[A-Z0-9]{1,8}){0,3})(?![\w-])")
_TITLE_WORD = re.compile(r"[a-z0-9]{3,}|[\u4e00-\u9fff]", re.IGNORECASE)


@dataclass
class GroundingResult:
    issues: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.issues


def verify(
    text: str,
    facts: dict[str, dict[str, Any]],
    *,
    user_numbers: Iterable[float] = (),
    is_catalog_id: Callable[[str], bool] = lambda _id: False,
) -> GroundingResult:
    """Issues with the facts stated in ``text`` (empty when every fact is grounded)."""
    result = GroundingResult()
    known = list(facts.values())
    allowed_numbers = {round(float(n), 2) for n in user_numbers}
    for sentence in _SENTENCE_END.split(text):
        named = _named_products(sentence, known)
        candidates = named or known
        limit_spans = price_limits(sentence).spans
        for money in _money(sentence):
            value = round(money.value, 2)
            in_limit = any(start <= money.start < end for start, end in limit_spans)
            if in_limit and value in allowed_numbers:
                continue  # the user's own budget, repeated
            prices = {round(float(p["price"]), 2) for p in candidates if p.get("price") is not None}
            if value not in prices:
                whose = " or ".join(p["title"] for p in named) if named else "any product shown"
                result.issues.append(
                    f"price {sentence[money.start : money.end].strip()} does not match {whose}"
                )
        for match in _RATING.finditer(sentence):
            value = _number(next(g for g in match.groups() if g))
            ratings = [
                float(p[key])
                for p in candidates
                for key in ("rating", "review_average")
                if p.get(key) is not None
            ]
            if not any(
                abs(value - rating) < 0.051 or (value.is_integer() and value == round(rating))
                for rating in ratings
            ):
                whose = " or ".join(p["title"] for p in named) if named else "any product shown"
                result.issues.append(f"rating {value:g} does not match {whose}")
    for match in _ID_LIKE.finditer(text):
        token = match.group(1)
        if token in facts or not any(c.isdigit() for c in token) or not any(c.isalpha() for c in token):
            continue
        if is_catalog_id(token):
            result.issues.append(f"product {token} was not returned by a tool in this conversation")
    for name in _highlighted_names(text):
        if not _named_products(name, known, whole=True):
            result.issues.append(f"product name {name!r} is not a product the tools returned")
    return result


def _named_products(
    text: str, products: list[dict[str, Any]], *, whole: bool = False
) -> list[dict[str, Any]]:
    """Products whose id, or most of whose title words, appear in ``text``."""
    lowered = text.lower()
    words = set(_TITLE_WORD.findall(lowered))
    named = []
    for product in products:
        if re.search(rf"(?<![\w-]){re.escape(product['id'].lower())}(?![\w-])", lowered):
            named.append(product)
            continue
        title_words = set(_TITLE_WORD.findall(product["title"].lower()))
        if not title_words:
            continue
        overlap = len(title_words & words)
        if whole:
            # a highlighted name must be (most of) a title, not merely share a word with one
            if overlap >= max(1, 0.6 * len(words)) and overlap >= min(2, len(title_words)):
                named.append(product)
        elif overlap >= max(2, 0.6 * len(title_words)) or product["title"].lower() in lowered:
            named.append(product)
    return named


def _highlighted_names(text: str) -> list[str]:
    names = [next(g for g in match.groups() if g) for match in _HIGHLIGHT.finditer(text)]
    names += [match.group(1) for match in _LIST_HEAD.finditer(text)]
    # a highlight that is a price, a number or a single plain word is not a product name
    return [
        name.strip(" *")
        for name in names
        if len(_TITLE_WORD.findall(name)) >= 2
        and not _money(name)
        and not re.fullmatch(r"[\d\s.,/%-]+", name)
    ]


def _money(text: str) -> list[Quantity]:
    """Amounts a currency mark names ("$52.00", "52 USD", "39元"), read as shoppers' messages are
    (:mod:`index.quantities`); a bare number in a price context is not a stated price."""
    return [q for q in quantities(text) if q.kind == "money" and q.currency]


def _number(raw: str) -> float:
    return round(float(raw.replace(",", "")), 2)


def numbers_in(text: str) -> list[float]:
    """Every number in a user's message (budgets and limits a reply may repeat), as
    :mod:`index.quantities` reads it ("$2k" is 2,000)."""
    return [quantity.value for quantity in quantities(text)]


def search_limits(last_search: dict[str, Any] | None) -> list[float]:
    """The price limits of the last search: a reply may repeat them ("under $32.99")."""
    if not last_search:
        return []
    return [float(last_search[key]) for key in ("min_price", "max_price") if last_search.get(key) is not None]
