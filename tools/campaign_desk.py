"""``CampaignDesk``: a merchant's saved campaigns, their copy and edits, for every channel.

::

    desk = CampaignDesk(catalog, texts, settings.data_dir)
    desk.save(campaign)                      # checked: current dates, products that exist
    run = desk.run("Singles' Day", limit=6)  # six more variants; run.remaining says what is left
    desk.rows("Singles' Day")                # every variant written so far, with its verdict
    desk.edit("Singles' Day", "24-MB01", "email", None, {"subject": "...", "body": "..."})

The chat, the web merchant tab, the Telegram bot and ``shopbot campaign`` all go through it,
so a campaign saved in one is listed, run and edited in the others. Campaigns are kept by
:class:`~tools.campaign_store.CampaignStore` in ``<directory>/campaigns``; the copy of each is
one resumable batch file (:mod:`tools.campaign_batch`) in ``<directory>/campaign_runs``, with
its CSV beside it. A run can stop after ``limit`` new variants and go on later from there
(the chat writes a few at a time). An edited variant is checked again exactly as the model's
text is (:func:`tools.campaign_copy.check_variant`), its verdict replaces the old one and the
row is marked ``edited``; the file is rewritten atomically. Saving a campaign with changed
terms, or deleting it, sets its copy aside under another name. Runs and edits of one
campaign take turns (a lock per campaign), so the web tab and the bot never write one file at
once (a lock file per campaign, so separate processes too).

What a merchant can get wrong (an unknown campaign, product or channel, dates already past, a
filter that matches nothing) is a :class:`~tools.campaign.CampaignError` whose message can be
shown as is.

Deliberately not here: reading campaigns from chat messages or forms, rendering.
"""

from __future__ import annotations

import fcntl
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from tools.campaign import Campaign, CampaignError, ensure_current, select_products
from tools.campaign_batch import (
    CampaignBatchError,
    CampaignSummary,
    campaign_key,
    read_rows,
    replace_row,
    row_key,
    write_campaign_batch,
    write_csv,
)
from tools.campaign_copy import check_variant
from tools.campaign_store import CampaignStore, slug
from tools.campaign_terms import OfferError, campaign_terms, messages
from tools.channel_formats import load_formats

if TYPE_CHECKING:
    from index.schema import Product
    from tools.product_texts import ProductTexts


class ListedCatalog(Protocol):
    """A catalog that lists its products (:class:`index.catalog.CatalogIndex` does)."""

    def get(self, product_id: str) -> Product | None: ...

    def product_ids(self) -> list[str]: ...


@dataclass(frozen=True)
class CampaignRun:
    """What one :meth:`CampaignDesk.run` did, and what is left."""

    summary: CampaignSummary
    variants: int  # product x channel x segment rows the campaign has in all
    done: int  # rows in the file now, with a verdict
    jsonl: Path
    csv: Path

    @property
    def remaining(self) -> int:
        return self.variants - self.done


class CampaignDesk:
    def __init__(
        self,
        catalog: ListedCatalog,
        texts: ProductTexts,
        directory: Path,
        *,
        today: Callable[[], date] = date.today,
    ) -> None:
        """``texts`` holds the chat model and the text cache; ``today`` is the clock campaign
        dates are checked against."""
        self.catalog = catalog
        self.texts = texts
        self.store = CampaignStore(directory / "campaigns")
        self.runs = directory / "campaign_runs"
        self.today = today

    def campaigns(self) -> tuple[list[Campaign], list[str]]:
        """Every saved campaign (by start date) and the problems of files that cannot be read."""
        return self.store.all()

    def state(self, campaign: Campaign) -> str:
        """``upcoming``, ``running`` or ``ended``, today."""
        return campaign.state(self.today())

    def get(self, name: str) -> Campaign:
        campaign = self.store.get(name.strip())
        if campaign is None:
            raise CampaignError(f"there is no saved campaign {name.strip()!r}")
        return campaign

    def save(self, campaign: Campaign) -> bool:
        """Save ``campaign`` (replacing one of that name); whether it replaced one. Refused when
        it has ended or its products match nothing in the catalog. Copy written under other
        terms is set aside (:meth:`_set_aside`), never shown as this campaign's."""
        ensure_current(campaign, self.today())
        products, missing = self.products(campaign)
        if missing:
            raise CampaignError(f"products: the catalog has no product {missing[0]!r}")
        if not products:
            raise CampaignError("products: nothing in the catalog matches")
        problems = []
        for product in products:
            try:
                campaign_terms(campaign, product)
            except OfferError as error:
                problems.append(str(error))
        if len(problems) == len(products):
            raise CampaignError(f"offer: it cannot apply to any of the products ({problems[0]})")
        with self._lock(campaign.name):
            old = self.store.get(campaign.name)
            if old is not None and campaign_key(old) != campaign_key(campaign):
                self._set_aside(old)
            return self.store.save(campaign)[1]

    def delete(self, name: str) -> None:
        """Remove the saved campaign; its copy is set aside, not deleted."""
        campaign = self.get(name)
        with self._lock(campaign.name):
            self._set_aside(campaign)
            self.store.delete(campaign.name)

    def products(self, campaign: Campaign) -> tuple[list[Product], list[str]]:
        """The campaign's products in the catalog, and the ids it gives that the catalog lacks."""
        return select_products(campaign, self.catalog)  # type: ignore[arg-type]

    def progress(self, campaign: Campaign, rows: list[dict[str, Any]] | None = None) -> tuple[int, int]:
        """(variants written, variants in all: product x channel x segment) of the campaign now;
        ``rows``: its rows when the caller has read them. A row of a product the campaign no
        longer covers is kept in the file, not counted, nor is an error row."""
        products, _ = self.products(campaign)
        jobs = {(p.id, c, s or "") for p in products for c in campaign.channels for s in campaign.segments}
        written = self.rows(campaign.name) if rows is None else rows
        return sum(row["verdict"] != "error" and row_key(row) in jobs for row in written), len(jobs)

    def files(self, campaign: Campaign) -> tuple[Path, Path]:
        """The campaign's batch file and its CSV (they may not exist yet)."""
        jsonl = self.runs / f"{slug(campaign.name)}.jsonl"
        return jsonl, jsonl.with_suffix(".csv")

    def run(self, name: str, *, limit: int | None = None, progress: bool = False) -> CampaignRun:
        """Write the campaign's variants not written yet (at most ``limit`` of them), keeping
        those already there; see :func:`tools.campaign_batch.write_campaign_batch`."""
        campaign = self.get(name)
        ensure_current(campaign, self.today())
        products, _ = self.products(campaign)
        if not products:
            raise CampaignError(f"products: nothing in the catalog matches campaign {campaign.name!r} now")
        jsonl, table = self.files(campaign)
        with self._lock(campaign.name):  # two channels running one campaign write one file in turn
            try:
                summary = write_campaign_batch(
                    campaign,
                    products,
                    self.texts.model,
                    jsonl,
                    text_cache=self.texts.cache,
                    model_name=self.texts.model_name,
                    limit=limit,
                    progress=progress,
                )
            except CampaignBatchError as error:
                raise CampaignError(str(error)) from error
            write_csv(jsonl, table)
            done, total = self.progress(campaign, list(read_rows(jsonl)))
        return CampaignRun(summary, total, done, jsonl, table)

    def rows(self, name: str) -> list[dict[str, Any]]:
        """The variants written for the campaign so far (none when it has not run)."""
        jsonl, _ = self.files(self.get(name))
        return list(read_rows(jsonl)) if jsonl.exists() else []

    def edit(
        self, name: str, product_id: str, channel: str, segment: str | None, parts: dict[str, str]
    ) -> dict[str, Any]:
        """Replace a written variant's text with the merchant's ``parts`` (as delivered: the offer
        line and the call to action may stay in), check it again and keep the new verdict."""
        campaign = self.get(name)
        product = self.catalog.get(product_id)
        if product is None:
            raise CampaignError(f"the catalog has no product {product_id!r}")
        jsonl, table = self.files(campaign)
        with self._lock(campaign.name):
            rows = list(read_rows(jsonl)) if jsonl.exists() else []
            wanted = (product_id, channel, segment or "")
            old = next((r for r in rows if row_key(r) == wanted), None)
            if old is None:
                raise CampaignError(
                    f"campaign {campaign.name!r} has no {channel} variant for {product_id} yet"
                )
            try:
                written = _without_terms(campaign, product, channel, parts)
                variant = check_variant(campaign, product, channel, written, segment=segment, capped=False)
            except OfferError as error:
                raise CampaignError(f"the offer cannot apply to {product.title}: {error}") from error
            row = {**old, "parts": variant.parts, "verdict": variant.verdict,
                   "problems": list(variant.problems), "edited": True}  # fmt: skip
            replace_row(jsonl, row)
            write_csv(jsonl, table)
        return row

    def _set_aside(self, campaign: Campaign) -> None:
        """Rename the campaign's copy files to ``<name>.<terms key>.jsonl`` (and ``.csv``): the
        merchant keeps them, and the campaign starts again with no copy."""
        key = campaign_key(campaign)
        for path in self.files(campaign):
            if not path.exists():
                continue
            target, number = path.with_name(f"{path.stem}.{key}{path.suffix}"), 1
            while target.exists():  # the same terms set aside before: keep both
                number += 1
                target = path.with_name(f"{path.stem}.{key}-{number}{path.suffix}")
            path.replace(target)

    @contextmanager
    def _lock(self, name: str) -> Iterator[None]:
        """Hold the campaign's lock file (``flock``): threads and processes take turns."""
        self.runs.mkdir(parents=True, exist_ok=True)
        with (self.runs / f".{slug(name)}.lock").open("a") as file:
            fcntl.flock(file, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(file, fcntl.LOCK_UN)


def _without_terms(
    campaign: Campaign, product: Product, channel: str, parts: dict[str, str]
) -> dict[str, Any]:
    """The merchant's text of each written part, less the offer line and call to action the
    check adds back (so a kept line is not doubled, and a changed one is judged as their words)."""
    fmt = load_formats()[channel]
    terms = campaign_terms(campaign, product)
    separator = str(messages()[campaign.lang]["separator"])
    added = [text for text in (terms.line, terms.cta) if text]
    written: dict[str, Any] = {}
    for part in fmt.written:
        text = str(parts.get(part.name) or "")
        if part.kind == "text":
            for addition in added:
                text = text.replace(separator + addition, "").replace(addition, "")
            written[part.name] = text.strip()
        else:
            written[part.name] = [item for item in part.split(text) if item not in added]
    return written
