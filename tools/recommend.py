"""Recommendations from what shoppers do: "for you", "bought together", "goes with", and the
merchant's view of buyers and baskets.

The learned models are :class:`index.recommender.Recommender` (through
:class:`index.behaviour.Behaviour` in the tool context); these tools add what the shopper
stated (a kind of product, a price range: hard constraints, never relaxed), keep to products the
catalog has, and give each card one line of fact saying why it is there ("bought together with
the Crown Summit Backpack you viewed"). Without a trained model, "for you" keeps to the
catalog: products like those the shopper looked at, or like what they asked for.

Deliberately not here: reading the request (:mod:`assistant.intents`), storing events.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from index.recommender import Reason, Recommender, Suggestion
from index.schema import Filters, Product
from tools.cards import card, facts
from tools.context import ToolContext
from tools.shopping import RESULTS, _product, _summary

MERCHANT_ROWS = 10
# (English, Chinese) per reason; {title} is the product it comes from, {did} what the shopper did with it
_REASONS: dict[str, tuple[str, str]] = {
    "bought_with": ("often bought with the {title} you {did}", "常与您{did}的{title}一起购买"),
    "bought_with_count": (
        "bought together with {title} in {count} orders",
        "与{title}在{count}个订单中一起购买",
    ),
    "bought_with_plain": ("also bought with {title}", "常与{title}一起购买"),
    "liked_by_similar": ("popular with customers who bought {title}", "买过{title}的顾客也喜欢"),
    "liked_by_similar_plain": ("popular with customers like you", "和您相似的顾客也喜欢"),
    "popular": ("one of our most-bought products", "本店热销商品"),
    "popular_count": ("bought in {count} orders", "已售出{count}单"),
    "like_viewed": ("like the {title} you {did}", "与您{did}的{title}相似"),
    "like_asked": ("matches what you asked for", "符合您的要求"),
}
_DID: dict[str, tuple[str, str]] = {
    "view": ("viewed", "看过"), "click": ("viewed", "看过"), "cart": ("added to your cart", "加购"),
    "purchase": ("bought", "买过"), "return": ("bought", "买过"), "": ("looked at", "看过"),
}  # fmt: skip


def recommend_for_you(
    ctx: ToolContext, query: str | None = None, min_price: float | None = None, max_price: float | None = None
) -> dict[str, Any]:
    """Suggest products for this shopper from what they viewed and bought and what shoppers like them bought (gift ideas, "what would I like").

    Args:
        query: a kind of product to keep to, when the shopper named one
        min_price: lowest price
        max_price: highest price
    """
    behaviour = ctx.behaviour
    history = behaviour.history(ctx.shopper) if behaviour else []
    allowed = _allowed(ctx, query, min_price, max_price)
    model = behaviour.model() if behaviour else None
    suggestions = model.for_you(history, k=RESULTS, allowed=allowed) if model else []
    if not suggestions:
        suggestions = _like_history(ctx, history, query, allowed)
    did = {event.product: event.kind for event in history if event.weight > 0}  # not mere impressions
    return _show_suggestions(ctx, suggestions, lambda reason: _reason_text(ctx, reason, did))


def bought_together(ctx: ToolContext, product_id: str) -> dict[str, Any]:
    """Products customers bought together with this product ("customers who bought this also bought").

    Args:
        product_id: the product id
    """
    return _partners(
        ctx, product_id, lambda model, seed, allowed: model.bought_together(seed, RESULTS, allowed)
    )


def goes_with(ctx: ToolContext, product_id: str) -> dict[str, Any]:
    """Products that go with this product: bought together with it and of a different kind (complete the look).

    Args:
        product_id: the product id
    """

    def complements(model: Recommender, seed: str, allowed: Callable[[str], bool]) -> list[Suggestion]:
        return model.goes_with(
            seed,
            k=RESULTS,
            type_of=lambda pid: _type_of(ctx, pid),
            allowed=allowed,
            title_of=lambda pid: product.title if (product := ctx.catalog.get(pid)) else None,
        )

    return _partners(ctx, product_id, complements)


def _partners(
    ctx: ToolContext,
    product_id: str,
    find: Callable[[Recommender, str, Callable[[str], bool]], list[Suggestion]],
) -> dict[str, Any]:
    """The products ``find`` associates with one product, shown with their reasons."""
    seed = _product(ctx, product_id)
    ctx.memory.remember([facts(seed)])
    model = _model(ctx)
    if model is None:
        return {"results": [], "product_id": seed.id, "no_history": True}
    suggestions = find(model, seed.id, _allowed(ctx, None, None, None, seed.id))
    return _show_suggestions(
        ctx, suggestions, lambda reason: _reason_text(ctx, reason, {}), product_id=seed.id
    )


def buyers_of(ctx: ToolContext, product_id: str) -> dict[str, Any]:
    """Which customers buy this product most: customer, orders and quantity (merchant only).

    Args:
        product_id: the product id
    """
    ctx.require_merchant("买家分析" if ctx.lang == "zh" else "buyer analytics")
    seed = _product(ctx, product_id)
    ctx.memory.remember([facts(seed)])
    model = _model(ctx)
    if model is None:
        return {"product_id": seed.id, "buyers": [], "no_history": True}
    rows = model.buyers_of([seed.id], limit=MERCHANT_ROWS)
    return {
        "product_id": seed.id,
        "buyers": [{"customer": shopper.removeprefix("customer:"), "orders": orders, "quantity": quantity}
                   for shopper, orders, quantity in rows],
    }  # fmt: skip


def bought_together_pairs(ctx: ToolContext) -> dict[str, Any]:
    """Which products are bought together most often, with how many orders and the lift (merchant only)."""
    ctx.require_merchant("购物篮分析" if ctx.lang == "zh" else "basket analytics")
    model = _model(ctx)
    if model is None:
        return {"pairs": [], "no_history": True}
    pairs = []
    for first, second, orders, lift in model.top_pairs(limit=MERCHANT_ROWS * 3):
        a, b = ctx.catalog.get(first), ctx.catalog.get(second)
        if a is None or b is None:
            continue
        ctx.memory.remember([facts(a), facts(b)])
        pairs.append({"first": a.id, "first_title": a.title, "second": b.id, "second_title": b.title,
                      "orders": orders, "lift": round(lift, 1)})  # fmt: skip
    return {"pairs": pairs[:MERCHANT_ROWS]}


def _model(ctx: ToolContext) -> Recommender | None:
    """The trained recommender; None until purchase history was imported and learned from."""
    return ctx.behaviour.model() if ctx.behaviour else None


def _allowed(
    ctx: ToolContext,
    query: str | None,
    min_price: float | None,
    max_price: float | None,
    exclude: str | None = None,
) -> Callable[[str], bool]:
    """In the catalog, within the price range, of the named kind (when one is named)."""
    request = ctx.catalog.type_request(query) if query and query.strip() else None
    budget = max_price if max_price is not None else ctx.memory.prefs.get("budget")

    def allowed(product_id: str) -> bool:
        product = ctx.catalog.get(product_id)
        if product is None or product_id == exclude:
            return False
        if (min_price is not None or budget is not None) and product.price is None:
            return False
        if min_price is not None and product.price is not None and product.price < min_price:
            return False
        if budget is not None and product.price is not None and product.price > budget:
            return False
        return request is None or request.status != "typed" or request.matches(product)

    return allowed


def _like_history(
    ctx: ToolContext, history: list[Any], query: str | None, allowed: Callable[[str], bool]
) -> list[Suggestion]:
    """No model to ask: products like the ones the shopper looked at last, or like the query."""
    seeds = list(dict.fromkeys(event.product for event in reversed(history)))[:3]
    found: list[Suggestion] = []
    for seed_id in seeds:
        seed = ctx.catalog.get(seed_id)
        if seed is None:
            continue
        text = f"{query or ''} {seed.title}".strip()
        for hit in ctx.catalog.search(text, k=RESULTS * 3, filters=Filters()):
            if hit.id not in seeds and allowed(hit.id) and all(s.product_id != hit.id for s in found):
                found.append(Suggestion(hit.id, hit.score, Reason("like_viewed", seed_id, None)))
    if not found and query and query.strip():
        for hit in ctx.catalog.search(query, k=RESULTS * 3, filters=Filters()):
            if allowed(hit.id):
                found.append(Suggestion(hit.id, hit.score, Reason("like_asked", None, None)))
    return found[:RESULTS]


def _reason_text(ctx: ToolContext, reason: Reason, did: Mapping[str, str]) -> str:
    zh = ctx.lang == "zh"
    source = ctx.catalog.get(reason.because) if reason.because else None
    values: dict[str, Any] = {"title": source.title if source else "", "count": reason.count,
                              "did": _DID[did.get(reason.because or "", "")][zh]}  # fmt: skip
    key = reason.kind
    if key == "bought_with" and source and reason.because not in did:
        key = "bought_with_count" if reason.count else "bought_with_plain"
    elif key == "liked_by_similar" and source is None:
        key = "liked_by_similar_plain"
    elif key == "popular" and reason.count:
        key = "popular_count"
    elif key in ("bought_with", "like_viewed") and source is None:
        key = "popular"
    return _REASONS[key][zh].format(**values)


def _show_suggestions(
    ctx: ToolContext,
    suggestions: list[Suggestion],
    why: Callable[[Reason], str],
    product_id: str | None = None,
) -> dict[str, Any]:
    products: list[Product] = []
    cards = []
    for suggestion in suggestions[:RESULTS]:
        product = ctx.catalog.get(suggestion.product_id)
        if product is None:
            continue
        products.append(product)
        summary = _summary(ctx, product, generate=False)
        cards.append(card(product, why(suggestion.reason), summary.text if summary else ""))
    ctx.memory.remember([facts(product) for product in products])
    if cards:
        ctx.memory.shown = [dict(c) for c in cards]
    ctx.show(cards)
    result: dict[str, Any] = {
        "results": [
            facts(product) | {"why": shown["why"]} for product, shown in zip(products, cards, strict=True)
        ]
    }
    if product_id:
        result["product_id"] = product_id
    return result


def _type_of(ctx: ToolContext, product_id: str) -> str | None:
    """The product's kind: the leaf of its category path ("Gear/Bags" -> bags); None without
    one (the titles decide then: a gift shop's "ALARM CLOCK BAKELIKE PINK" has no category)."""
    product = ctx.catalog.get(product_id)
    if product is None or not product.category:
        return None
    return product.category.rstrip("/").split("/")[-1].strip().lower() or None
