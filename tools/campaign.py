"""A campaign: a promotion a merchant runs over some products, on some channels, for an audience.

:class:`Campaign` is the typed record: a name; an offer (:data:`Offer`: percent off, amount
off, buy N get M, free shipping over a threshold); start and end dates; an audience (free text
and named segments); channels (names of :mod:`tools.channel_formats`); a call to action; the
language and tone of its copy; and its products, as ids or as a filter over the catalog.

:func:`load_campaign` reads one from a TOML or JSON file; a mistake is a
:class:`CampaignError` naming the file and the field (``campaign.toml: offer.percent: must be
between 1 and 95``). :func:`ensure_current` refuses a campaign that has already ended (today is
passed in, so tests and servers choose their clock). :func:`select_products` resolves the
products against a :class:`~index.catalog.CatalogIndex`.

Deliberately not here: prices and the offer's wording (:mod:`tools.campaign_terms`), writing
copy (:mod:`tools.campaign_copy`), storing campaigns (:mod:`tools.campaign_store`).
"""

from __future__ import annotations

import json
import tomllib
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from tools.cards import attribute_text
from tools.channel_formats import load_formats, validation_text

if TYPE_CHECKING:
    from index.catalog import CatalogIndex
    from index.schema import Product

OFFER_KINDS = ("percent_off", "amount_off", "buy_n_get_m", "free_shipping_over")


class CampaignError(ValueError):
    """A campaign file or campaign a merchant can fix: the message says what and where."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _currency(value: str) -> str:
    if not (len(value) == 3 and value.isalpha()):
        raise ValueError(f"must be a 3-letter currency code like USD or CNY, not {value!r}")
    return value.upper()


class PercentOff(_Strict):
    kind: Literal["percent_off"] = "percent_off"
    percent: Decimal

    @field_validator("percent")
    @classmethod
    def _range(cls, value: Decimal) -> Decimal:
        if not Decimal(1) <= value <= Decimal(95):
            raise ValueError("must be between 1 and 95")
        return value


class AmountOff(_Strict):
    kind: Literal["amount_off"] = "amount_off"
    amount: Decimal
    currency: str

    _code = field_validator("currency")(_currency)

    @field_validator("amount")
    @classmethod
    def _positive(cls, value: Decimal) -> Decimal:
        if value <= 0:
            raise ValueError("must be more than 0")
        return value


class BuyNGetM(_Strict):
    kind: Literal["buy_n_get_m"] = "buy_n_get_m"
    buy: int = Field(ge=1, le=100)
    get: int = Field(ge=1, le=100)


class FreeShippingOver(_Strict):
    kind: Literal["free_shipping_over"] = "free_shipping_over"
    threshold: Decimal = Field(ge=0)
    currency: str

    _code = field_validator("currency")(_currency)


Offer = Annotated[PercentOff | AmountOff | BuyNGetM | FreeShippingOver, Field(discriminator="kind")]


class Audience(_Strict):
    description: str = Field(default="", max_length=500)
    segments: list[Annotated[str, Field(min_length=1, max_length=60)]] = Field(default_factory=list)


class ProductSelection(_Strict):
    """Explicit ``ids``, or a filter: every condition given must hold."""

    ids: list[str] = Field(default_factory=list)
    category: str | None = None  # a substring of the category path, any case
    min_price: Decimal | None = Field(default=None, ge=0)
    max_price: Decimal | None = Field(default=None, ge=0)
    tag: str | None = None  # an attribute set on the product ("sale", "new") or one of its tags
    attributes: dict[str, str] = Field(default_factory=dict)  # name -> a value it must have

    @model_validator(mode="after")
    def _one_way(self) -> ProductSelection:
        conditions = (self.category, self.tag, self.min_price, self.max_price)
        filtered = bool(self.attributes) or any(value is not None for value in conditions)
        if self.ids and filtered:
            raise ValueError("give product ids or a filter, not both")
        if not self.ids and not filtered:
            raise ValueError("give product ids or a filter (category, min_price, max_price, tag, attributes)")
        if self.min_price is not None and self.max_price is not None and self.min_price > self.max_price:
            raise ValueError("min_price is more than max_price")
        return self

    def matches(self, product: Product) -> bool:
        if self.ids:
            return product.id in self.ids
        if self.category:
            needle = self.category.lower()
            if not any(needle in path.lower() for path in [product.category or "", *product.categories]):
                return False
        if self.min_price is not None or self.max_price is not None:
            if product.price is None:
                return False
            price = Decimal(str(product.price))
            if (self.min_price is not None and price < self.min_price) or (
                self.max_price is not None and price > self.max_price
            ):
                return False
        if self.tag and not _tagged(product, self.tag):
            return False
        return all(_has_value(product.attributes.get(k), v) for k, v in self.attributes.items())


def _tagged(product: Product, tag: str) -> bool:
    wanted = tag.lower()
    tags = product.extras.get("tags") or []
    if isinstance(tags, str):
        tags = tags.replace("|", ",").split(",")
    set_flags = {key.lower() for key, value in product.attributes.items() if attribute_text(value)}
    return wanted in set_flags or wanted in {str(t).strip().lower() for t in tags}


def _has_value(value: Any, wanted: str) -> bool:
    shown = attribute_text(value)
    return wanted.lower() in {piece.strip().lower() for piece in shown.split(",")} if shown else False


class Campaign(_Strict):
    name: str = Field(min_length=1, max_length=80)
    offer: Offer
    start: date
    end: date
    channels: list[str] = Field(min_length=1)
    products: ProductSelection
    audience: Audience = Field(default_factory=Audience)
    call_to_action: str = Field(default="", max_length=80)
    lang: Literal["en", "zh"] = "en"
    tone: str = Field(default="friendly", max_length=40)
    per_segment: bool = False  # one variant per audience segment instead of one for everyone

    @field_validator("end")
    @classmethod
    def _after_start(cls, value: date, info: ValidationInfo) -> date:
        start = info.data.get("start")
        if start is not None and value < start:
            raise ValueError(f"must be on or after the start date {start}")
        return value

    @field_validator("channels")
    @classmethod
    def _known(cls, value: list[str], info: ValidationInfo) -> list[str]:
        formats = load_formats()
        if unknown := [name for name in value if name not in formats]:
            raise ValueError(f"unknown channel {unknown[0]!r}; choose from {', '.join(formats)}")
        if len(set(value)) != len(value):
            raise ValueError("a channel is listed twice")
        return value

    @model_validator(mode="after")
    def _languages(self) -> Campaign:
        formats = load_formats()
        for name in self.channels:
            if self.lang not in formats[name].languages:
                raise ValueError(
                    f"channels: {name} is written in {', '.join(formats[name].languages)}, "
                    f"not in this campaign's language {self.lang}"
                )
        if self.per_segment and not self.audience.segments:
            raise ValueError("per_segment: the audience names no segments")
        return self

    def state(self, today: date) -> str:
        """``upcoming``, ``running`` or ``ended`` on ``today``."""
        return "ended" if self.end < today else "running" if self.start <= today else "upcoming"

    @property
    def segments(self) -> list[str | None]:
        """The variants asked for: one per segment, or one (None) for the whole audience."""
        return list(self.audience.segments) if self.per_segment else [None]


def parse_campaign(data: Any, source: str) -> Campaign:
    """A campaign from parsed TOML/JSON ``data``; errors start with ``source``."""
    if not isinstance(data, dict):
        raise CampaignError(f"{source}: a campaign is a table (TOML) or an object (JSON)")
    data = data.get("campaign", data) if isinstance(data.get("campaign"), dict) else data
    try:
        return Campaign.model_validate(data)
    except ValidationError as error:
        raise CampaignError(f"{source}: {validation_text(error, OFFER_KINDS)}") from error


def load_campaign(path: Path) -> Campaign:
    """The campaign in a ``.toml`` or ``.json`` file; see the module docstring."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise CampaignError(f"{path.name}: cannot read it: {error}") from error
    try:
        data = json.loads(text) if path.suffix.lower() == ".json" else tomllib.loads(text)
    except (json.JSONDecodeError, tomllib.TOMLDecodeError) as error:
        raise CampaignError(
            f"{path.name}: not valid {path.suffix.lstrip('.').upper() or 'TOML'}: {error}"
        ) from error
    return parse_campaign(data, path.name)


def ensure_current(campaign: Campaign, today: date, source: str = "") -> None:
    """Raise :class:`CampaignError` when ``campaign`` ended before ``today``."""
    if campaign.end < today:
        where = f"{source}: " if source else ""
        raise CampaignError(
            f"{where}end: campaign {campaign.name!r} ended on {campaign.end} (today is {today}); "
            "change its dates to run it again"
        )


def select_products(campaign: Campaign, index: CatalogIndex) -> tuple[list[Product], list[str]]:
    """The campaign's products in catalog order (ids: in the order given), and the ids given
    that the catalog does not have."""
    wanted = campaign.products
    if wanted.ids:
        found = {pid: index.get(pid) for pid in dict.fromkeys(wanted.ids)}
        return [p for p in found.values() if p is not None], [pid for pid, p in found.items() if p is None]
    products = (index.get(pid) for pid in index.product_ids())
    return [p for p in products if p is not None and wanted.matches(p)], []
