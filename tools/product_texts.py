"""ProductTexts: the model-written texts about catalog products, with their cache.

The shopping tools, the merchant desk and the CLI all ask for the same few texts: a cited
summary of a product's reviews (:mod:`tools.review_summary`), a short summary of its
description in the shopper's language (:mod:`tools.description_summary`) and fact-checked
promo copy (:mod:`tools.promo_copy`). This class holds what writing them needs (the catalog,
the chat model, loaded on first use, the embedder that checks citations) and a
:class:`TextCache`: a review summary is written once per product, language, set of reviews and
model, then read back in milliseconds, since a summary costs one model call over up to ~2,000
prompt tokens (tens of seconds on two CPU cores); a description summary once per product,
language, product text and model. Promo copy is not cached: a merchant asking again wants
new variants.

Deliberately not here: rendering (the assistant's templates and the channels), role checks
(the tools), reading files.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from index.schema import Product, Review
from tools import description_summary, promo_copy, review_summary, type_choice
from tools.description_summary import (
    DescriptionSummary,
    extractive_summary,
    summary_facts,
    text_language,
    write_summary,
)
from tools.promo_copy import CopyVariant, Format, write_copy
from tools.review_summary import Point, ReviewSummary, SummaryLang, summarize_reviews
from tools.text_cache import TextCache
from tools.type_choice import choose_types

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

    from index.embedders import Embedder
    from tools.context import Catalog

log = logging.getLogger(__name__)
TYPE_CHOICES = 1024  # answers of the type choice kept in memory
REVIEW_SUMMARY = "review-summary"
DESCRIPTION_SUMMARY = "description-summary"


class ProductTexts:
    def __init__(
        self,
        catalog: Catalog,
        model: BaseChatModel | Callable[[], BaseChatModel],
        *,
        cache: TextCache | None = None,
        model_name: str = "",
        embedder: Embedder | None = None,
    ) -> None:
        """``model`` is a chat model or a function returning one (called on first need);
        ``model_name`` is part of every cache key, so another model writes its own texts;
        ``embedder`` checks citations (default: the catalog's own, when it has one)."""
        self.catalog = catalog
        self._model = model
        self._lock = threading.Lock()
        self.cache = cache if cache is not None else TextCache(None)
        self.model_name = model_name
        self.embedder = embedder if embedder is not None else getattr(catalog, "embedder", None)
        self._choices: dict[tuple[str, tuple[str, ...], str], list[str]] = {}

    def model(self) -> BaseChatModel:
        from langchain_core.language_models import BaseChatModel

        with self._lock:
            if not isinstance(self._model, BaseChatModel):
                self._model = self._model()
            return self._model

    def warm_up(self) -> int:
        """Have the model read the fixed start of the review summary, description summary and
        promo copy prompts (English and Chinese) now, where it can: a first summary or copy then
        reads only the product's facts or reviews (3-6 s less each on two cores). Returns
        prompt tokens read."""
        warm = getattr(self.model(), "warm_up", None)
        if warm is None:
            return 0
        starts = [
            module.prompt_start(lang)
            for module in (description_summary, review_summary, promo_copy, type_choice)
            for lang in ("en", "zh")
        ]
        return sum(int(warm(messages, tools)) for messages, tools in starts)

    def matching_types(self, asked: str, kinds: list[str], lang: str) -> list[str]:
        """Which of ``kinds`` the request word ``asked`` names (:func:`tools.type_choice.choose_types`);
        asked of the model once per word and kinds, while this process runs."""
        key = (asked, tuple(kinds), lang)
        with self._lock:
            if key in self._choices:
                return self._choices[key]
        chosen = choose_types(self.model(), asked, kinds, "zh" if lang == "zh" else "en")
        with self._lock:
            self._choices[key] = chosen
            while len(self._choices) > TYPE_CHOICES:
                self._choices.pop(next(iter(self._choices)))
        return chosen

    def cached_review_summary(self, product: Product, lang: SummaryLang) -> ReviewSummary | None:
        """The stored summary of the product's current reviews, or None (never calls the model)."""
        stored = self.cache.get(
            REVIEW_SUMMARY, self._summary_key(product, lang, self.catalog.reviews(product.id))
        )
        return None if stored is None else _summary_from_dict(stored)

    def review_summary(self, product: Product, lang: SummaryLang) -> ReviewSummary:
        """A cited summary of the product's reviews in ``lang``: from the cache, else written and
        stored. Raises what :func:`~tools.review_summary.summarize_reviews` and the model raise."""
        reviews = self.catalog.reviews(product.id)
        key = self._summary_key(product, lang, reviews)
        stored = self.cache.get(REVIEW_SUMMARY, key)
        if stored is not None:
            return _summary_from_dict(stored)
        summary = summarize_reviews(
            reviews, self.model(), lang=lang, product=product.title, embedder=self.embedder
        )
        self.cache.put(REVIEW_SUMMARY, key, {**summary.to_dict(), "labels": summary.labels})
        return summary

    def description_summary(
        self, product: Product, lang: SummaryLang, *, generate: bool
    ) -> DescriptionSummary:
        """A 1-3 line summary of the product's description for ``lang``: the stored one; the
        extractive one when the product's text is in ``lang`` already; else, with ``generate``,
        one written by the model and stored; without it, the extractive one in the product's
        language. A model failure is logged and answered with the extractive one, never raised."""
        own = text_language(product)
        if own == lang:
            return DescriptionSummary(extractive_summary(product), own, "extract")
        facts = hashlib.sha256(summary_facts(product).encode()).hexdigest()
        key = TextCache.key(product.id, lang, facts, self.model_name, description_summary.PROMPT_VERSION)
        stored = self.cache.get(DESCRIPTION_SUMMARY, key)
        if stored is not None:
            return DescriptionSummary(stored["text"], stored["lang"], "cache", stored["repaired"])
        if not generate:
            return DescriptionSummary(extractive_summary(product), own, "extract")
        try:
            summary = write_summary(product, self.model(), lang)
        except Exception:  # the catalog's own words are a fair summary too; the log keeps the cause
            log.warning("description summary of %s failed; extracting one", product.id, exc_info=True)
            return DescriptionSummary(extractive_summary(product), own, "extract")
        # stored even when nothing sound was written: the same model would write the same again
        self.cache.put(
            DESCRIPTION_SUMMARY,
            key,
            {"text": summary.text, "lang": summary.lang, "repaired": summary.repaired},
        )
        return summary

    def promo_copy(
        self,
        product: Product,
        *,
        format: Format = "short_description",
        tone: str = "friendly",
        lang: SummaryLang = "en",
        n: int = 1,
        max_chars: int | None = None,
        channel: str | None = None,
    ) -> list[CopyVariant]:
        """``n`` fact-checked copy variants; review highlights come from a cached summary, if any."""
        summary = self.cached_review_summary(product, lang)
        highlights = [point.text for point in summary.pros] if summary else []
        return write_copy(product, self.model(), format=format, tone=tone, lang=lang, n=n,
                          max_chars=max_chars, channel=channel, highlights=highlights)  # fmt: skip

    def _summary_key(self, product: Product, lang: str, reviews: list[Review]) -> str:
        return TextCache.key(
            product.id, lang, _fingerprint(reviews), self.model_name, review_summary.PROMPT_VERSION
        )


def _fingerprint(reviews: list[Review]) -> str:
    digest = hashlib.sha256()
    for review in reviews:
        digest.update(
            f"{review.review_id}\x1f{review.rating}\x1f{review.title}\x1f{review.text}\x1e".encode()
        )
    return digest.hexdigest()


def _summary_from_dict(data: dict[str, Any]) -> ReviewSummary:
    def points(items: list[dict[str, Any]]) -> tuple[Point, ...]:
        return tuple(Point(item["text"], tuple(item["review_ids"])) for item in items)

    return ReviewSummary(
        verdict=data["verdict"],
        pros=points(data["pros"]),
        cons=points(data["cons"]),
        disagreements=points(data["disagreements"]),
        lang=data["lang"],
        reviews_total=data["reviews_total"],
        points_written=data["points_written"],
        points_repaired=data["points_repaired"],
        points_dropped=data["points_dropped"],
        labels=dict(data.get("labels") or {}),
    )
