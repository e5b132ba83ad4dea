"""``MerchantDesk``: the merchant's tools as plain calls, for every channel that offers them.

::

    desk = assistant.merchant
    desk.product_choices("backpack")            # [("Joust Duffle Bag (24-MB01)", "24-MB01"), ...]
    desk.promo_copy("24-MB01", format="slogan", tone="playful", lang="en", variants=3)
    desk.review_dashboard("24-MB01", lang="zh")
    desk.campaigns.run("Singles' Day", limit=6)  # tools.campaign_desk.CampaignDesk

Each method returns JSON-able dicts and lists, so a web tab, a bot command or an HTTP API can
show them without knowing the tools behind them: promo copy comes from
:meth:`tools.product_texts.ProductTexts.promo_copy` (fact-checked variants), the dashboard from
:func:`tools.review_insights.review_insights` (label distribution, aspects, monthly trend) and
the review summary already in the text cache (the dashboard never calls the chat model). What a
merchant can get wrong (an unknown product, a format that does not exist, too many variants)
and what fails on the server (the chat model, the sentiment analyzer) is a
:class:`MerchantError` whose message can be shown as is; the cause of a failure is logged.

Deliberately not here: who is a merchant (each channel checks its own credentials: API keys on
the web, user ids on Telegram), rendering, and the conversational merchant tools (the agent's).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol, cast, runtime_checkable

from tools.promo_copy import FORMATS, Format
from tools.topics import ASPECT_LABELS

if TYPE_CHECKING:
    from index.schema import Product
    from tools.campaign_desk import CampaignDesk
    from tools.context import Catalog
    from tools.product_texts import ProductTexts
    from tools.review_summary import SummaryLang
    from tools.sentiment import SentimentAnalyzer

log = logging.getLogger("assistant.merchant")
LANGS = ("en", "zh")
MAX_VARIANTS = 5
MAX_TONE_CHARS = 40
MAX_CHOICES = 200


@runtime_checkable
class ProductListing(Protocol):
    """A catalog that lists its product ids (:class:`index.catalog.CatalogIndex` does)."""

    def product_ids(self) -> list[str]: ...


class MerchantError(ValueError):
    """A merchant request that cannot be served; the message says why and is fit to show."""


class MerchantDesk:
    """Promo copy, product choices and review dashboards over one catalog."""

    def __init__(
        self,
        catalog: Catalog,
        texts: ProductTexts,
        *,
        analyzer_factory: Callable[[], SentimentAnalyzer] | None = None,
        campaigns: CampaignDesk | None = None,
    ) -> None:
        """``texts`` writes copy and keeps review summaries; ``analyzer_factory`` returns the
        review sentiment analyzer (called when a dashboard first needs it)."""
        self.catalog = catalog
        self.texts = texts
        self.analyzer_factory = analyzer_factory
        self.campaigns = campaigns
        """Saved campaigns, their copy and edits (None: no data directory to keep them in)."""

    def product_choices(self, query: str = "", limit: int = 50) -> list[tuple[str, str]]:
        """(label, id) pairs for a product picker: search results for ``query``, else the first
        products in catalog order (in search order for a catalog that cannot list its ids)."""
        limit = max(1, min(int(limit), MAX_CHOICES))
        query = query.strip()
        if query or not isinstance(self.catalog, ProductListing):
            products = [hit.product for hit in self.catalog.search(query, k=limit)]
        else:
            found = (self.catalog.get(product_id) for product_id in self.catalog.product_ids()[:limit])
            products = [product for product in found if product is not None]
        return [(f"{product.title} ({product.id})", product.id) for product in products]

    def promo_copy(
        self,
        product_id: str,
        format: str = "short_description",
        tone: str = "friendly",
        lang: str = "en",
        variants: int = 1,
        max_chars: int | None = None,
    ) -> dict[str, Any]:
        """``variants`` fact-checked copy variants, each with whether it passed or was repaired."""
        product = self._product(product_id)
        if format not in FORMATS:
            raise MerchantError(f"format must be one of {', '.join(FORMATS)}, not {format!r}")
        tone = " ".join(str(tone or "friendly").split())
        if len(tone) > MAX_TONE_CHARS:
            raise MerchantError(f"the tone is a few words (at most {MAX_TONE_CHARS} characters)")
        language = _lang(lang)
        if isinstance(variants, bool) or not isinstance(variants, int) or not 1 <= variants <= MAX_VARIANTS:
            raise MerchantError(f"variants must be a whole number from 1 to {MAX_VARIANTS}, not {variants!r}")
        if max_chars is not None and not 10 <= max_chars <= 3000:
            raise MerchantError(f"max_chars must be from 10 to 3000, not {max_chars}")
        try:
            written = self.texts.promo_copy(
                product,
                format=cast(Format, format),
                tone=tone,
                lang=language,
                n=variants,
                max_chars=max_chars,
            )
        except Exception as error:
            log.warning("promo copy for %s failed", product.id, exc_info=True)
            raise MerchantError("The copy could not be written just now; please try again.") from error
        return {
            "product_id": product.id,
            "title": product.title,
            "format": format,
            "tone": tone,
            "lang": language,
            "variants": [
                {"text": v.text, "ok": v.ok, "repaired": v.repaired, "problems": list(v.problems)}
                for v in written
            ],
        }

    def review_dashboard(self, product_id: str, lang: str = "en") -> dict[str, Any]:
        """Review count, average rating, labels, aspects, monthly trend and the cached summary."""
        from tools.review_insights import review_insights
        from tools.sentiment import LABELS  # with the analyzer's modules: loaded on first need

        product = self._product(product_id)
        language = _lang(lang)
        reviews = self.catalog.reviews(product.id)
        ratings = [review.rating for review in reviews if review.rating is not None]
        dashboard: dict[str, Any] = {
            "product_id": product.id,
            "title": product.title,
            "lang": language,
            "reviews": len(reviews),
            "average_rating": round(sum(ratings) / len(ratings), 2) if ratings else None,
            "rated": len(ratings),
            "labels": dict.fromkeys(LABELS, 0),
            "mean_score": None,
            "aspects": [],
            "trend": [],
            "undated": len(reviews),
            "summary": None,
        }
        if not reviews:
            return dashboard
        insights = review_insights(reviews, self._analyzer()).to_dict()
        dashboard.update(
            labels=insights["labels"],
            mean_score=insights["mean_score"],
            aspects=[
                {"name": ASPECT_LABELS[count["aspect"]][language], **count} for count in insights["aspects"]
            ],
            trend=insights["trend"],
            undated=insights["undated"],
            summary=self._cached_summary(product, language),
        )
        return dashboard

    def _product(self, product_id: str) -> Product:
        product_id = str(product_id or "").strip()
        if not product_id:
            raise MerchantError("pick a product first")
        product = self.catalog.get(product_id)
        if product is None:
            raise MerchantError(f"there is no product {product_id!r} in the catalog; pick one from the list")
        return product

    def _analyzer(self) -> SentimentAnalyzer:
        if self.analyzer_factory is None:
            raise MerchantError("review sentiment is not set up on this server, so there is no dashboard")
        try:
            return self.analyzer_factory()
        except Exception as error:
            log.warning("the review sentiment analyzer could not be loaded", exc_info=True)
            raise MerchantError(
                "The review sentiment analyzer could not be loaded (it needs the embedders extra: "
                "pip install '.[embedders]'); the server log has the cause."
            ) from error

    def _cached_summary(self, product: Product, lang: SummaryLang) -> dict[str, Any] | None:
        summary = self.texts.cached_review_summary(product, lang)
        if summary is None:
            return None
        return {**summary.to_dict(), "text": summary.as_text()}


def _lang(lang: str) -> SummaryLang:
    if lang not in LANGS:
        raise MerchantError(f"language must be one of {', '.join(LANGS)}, not {lang!r}")
    return cast("SummaryLang", lang)
