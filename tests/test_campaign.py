"""Campaigns: loading (errors name file and field), past campaigns, product selection, sale
prices (Decimal, half-up, minor units) and the offer/price/date check."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from index.catalog import CatalogIndex
from index.embedders import HashingEmbedder
from index.schema import Product
from tools.campaign import (
    AmountOff,
    BuyNGetM,
    CampaignError,
    FreeShippingOver,
    PercentOff,
    ensure_current,
    load_campaign,
    parse_campaign,
    select_products,
)
from tools.campaign_terms import OfferError, campaign_terms, money_text, sale_price, terms_problems

TOML = """
name = "Singles' Day"
start = 2026-11-01
end = 2026-11-11
channels = ["sms", "email"]
call_to_action = "Shop now"

[offer]
kind = "percent_off"
percent = 20

[audience]
description = "people heading back to campus"
segments = ["students", "parents"]

[products]
category = "bags"
max_price = 50
"""


def campaign_data(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "Singles' Day",
        "start": "2026-11-01",
        "end": "2026-11-11",
        "channels": ["sms"],
        "offer": {"kind": "percent_off", "percent": 20},
        "products": {"ids": ["A1"]},
    }
    data.update(changes)
    return data


def test_a_toml_and_a_json_campaign_load(tmp_path: Path) -> None:
    path = tmp_path / "campaign.toml"
    path.write_text(TOML, encoding="utf-8")
    campaign = load_campaign(path)
    assert campaign.offer == PercentOff(percent=Decimal(20))
    assert (campaign.start, campaign.end) == (date(2026, 11, 1), date(2026, 11, 11))
    assert campaign.audience.segments == ["students", "parents"] and campaign.segments == [None]
    assert campaign.products.category == "bags" and campaign.products.max_price == Decimal(50)
    as_json = tmp_path / "campaign.json"
    as_json.write_text(json.dumps(campaign.model_dump(mode="json")), encoding="utf-8")
    assert load_campaign(as_json) == campaign


OFFERS = [
    ({"kind": "amount_off", "amount": "5", "currency": "usd"}, AmountOff(amount=Decimal(5), currency="USD")),
    ({"kind": "buy_n_get_m", "buy": 2, "get": 1}, BuyNGetM(buy=2, get=1)),
    (
        {"kind": "free_shipping_over", "threshold": 49, "currency": "CNY"},
        FreeShippingOver(threshold=Decimal(49), currency="CNY"),
    ),
]


@pytest.mark.parametrize(("offer", "expected"), OFFERS)
def test_every_kind_of_offer(offer: dict[str, Any], expected: object) -> None:
    assert parse_campaign(campaign_data(offer=offer), "c.json").offer == expected


ERRORS = [  # changes, the message's start
    ({"offer": {"kind": "percent_off", "percent": 120}}, "c.toml: offer.percent: must be between 1 and 95"),
    ({"offer": {"kind": "percent_off", "percent": 0}}, "c.toml: offer.percent: must be between 1 and 95"),
    ({"offer": {"kind": "half_price"}}, "c.toml: offer: "),
    ({"offer": {"kind": "amount_off", "amount": 5}}, "c.toml: offer.currency: field required"),
    (
        {"offer": {"kind": "amount_off", "amount": -5, "currency": "USD"}},
        "c.toml: offer.amount: must be more",
    ),
    ({"offer": {"kind": "amount_off", "amount": 5, "currency": "$"}}, "c.toml: offer.currency: must be a 3"),
    ({"offer": {"kind": "buy_n_get_m", "buy": 0, "get": 1}}, "c.toml: offer.buy: "),
    ({"end": "2026-10-01"}, "c.toml: end: must be on or after the start date 2026-11-01"),
    ({"start": "next week"}, "c.toml: start: "),
    ({"channels": ["fax"]}, "c.toml: channels: unknown channel 'fax'; choose from listing"),
    ({"channels": []}, "c.toml: channels: "),
    ({"channels": ["xiaohongshu"]}, "c.toml: channels: xiaohongshu is written in zh, not in"),
    ({"products": {}}, "c.toml: products: give product ids or a filter"),
    (
        {"products": {"ids": ["A1"], "category": "bags"}},
        "c.toml: products: give product ids or a filter, not",
    ),
    ({"products": {"min_price": 50, "max_price": 10}}, "c.toml: products: min_price is more than max_price"),
    ({"per_segment": True}, "c.toml: per_segment: the audience names no segments"),
    ({"colour": "red"}, "c.toml: colour: extra inputs are not permitted"),
    ({"name": ""}, "c.toml: name: "),
]


@pytest.mark.parametrize(("changes", "message"), ERRORS)
def test_mistakes_name_the_file_and_the_field(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(CampaignError) as error:
        parse_campaign(campaign_data(**changes), "c.toml")
    assert str(error.value).startswith(message), str(error.value)


def test_unreadable_files_name_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("name = ", encoding="utf-8")
    with pytest.raises(CampaignError, match=r"^bad.toml: not valid TOML"):
        load_campaign(bad)
    with pytest.raises(CampaignError, match=r"^missing.json: cannot read it"):
        load_campaign(tmp_path / "missing.json")


def test_a_campaign_that_ended_is_refused() -> None:
    campaign = parse_campaign(campaign_data(), "c.toml")
    ensure_current(campaign, date(2026, 11, 11))  # its last day still runs
    ensure_current(campaign, date(2026, 1, 1))  # a future one too
    with pytest.raises(CampaignError, match=r"^c.toml: end: campaign \"Singles' Day\" ended on 2026-11-11"):
        ensure_current(campaign, date(2026, 11, 12), "c.toml")


CATALOG = [
    Product(
        id="B1",
        title="Campus Backpack",
        category="Gear/Bags",
        price=45.0,
        currency="USD",
        attributes={"sale": "Yes", "material": "Nylon|Polyester"},
    ),
    Product(
        id="B2",
        title="Duffle Bag",
        category="Gear/Bags",
        price=59.0,
        currency="USD",
        attributes={"sale": "No", "material": "Polyester"},
    ),
    Product(
        id="W1",
        title="Water Bottle",
        category="Gear/Fitness",
        price=12.0,
        currency="USD",
        extras={"tags": ["back-to-school"]},
    ),
    Product(id="N1", title="Tote (no price)", category="Gear/Bags"),
]
SELECTIONS = [
    ({"category": "BAGS"}, ["B1", "B2", "N1"]),
    ({"category": "bags", "max_price": 50}, ["B1"]),
    ({"min_price": 12, "max_price": 45}, ["B1", "W1"]),
    ({"tag": "sale"}, ["B1"]),  # "No" is a flag that is not set
    ({"tag": "back-to-school"}, ["W1"]),
    ({"attributes": {"material": "polyester"}}, ["B1", "B2"]),
    ({"attributes": {"material": "poly"}}, []),  # a whole value, not a substring
    ({"ids": ["W1", "B1", "W1"]}, ["W1", "B1"]),
]


@pytest.fixture(scope="module")
def catalog(tmp_path_factory: pytest.TempPathFactory):
    with CatalogIndex.build(
        CATALOG, tmp_path_factory.mktemp("c") / "idx", embedder=HashingEmbedder()
    ) as built:
        yield built


@pytest.mark.parametrize(("products", "ids"), SELECTIONS)
def test_products_by_id_or_filter(catalog: CatalogIndex, products: dict[str, Any], ids: list[str]) -> None:
    found, missing = select_products(parse_campaign(campaign_data(products=products), "c"), catalog)
    assert [p.id for p in found] == ids and missing == []


def test_unknown_ids_are_reported(catalog: CatalogIndex) -> None:
    found, missing = select_products(
        parse_campaign(campaign_data(products={"ids": ["B1", "X9"]}), "c"), catalog
    )
    assert [p.id for p in found] == ["B1"] and missing == ["X9"]


PRICES = [  # price, currency, offer, sale price, as shown
    (59.0, "USD", PercentOff(percent=Decimal(20)), Decimal("47.20"), "$47.20"),
    (19.99, "USD", PercentOff(percent=Decimal(15)), Decimal("16.99"), "$16.99"),  # 16.9915
    (0.10, "USD", PercentOff(percent=Decimal(25)), Decimal("0.08"), "$0.08"),  # 0.075 half-up
    (10.05, "USD", PercentOff(percent=Decimal(50)), Decimal("5.03"), "$5.03"),  # 5.025 (a float gives 5.02)
    (1299.0, "USD", PercentOff(percent=Decimal(10)), Decimal("1169.10"), "$1,169.10"),
    (199.0, "CNY", PercentOff(percent=Decimal("12.5")), Decimal("174.13"), "¥174.13"),  # 174.125
    (89.9, "CNY", AmountOff(amount=Decimal(10), currency="CNY"), Decimal("79.90"), "¥79.90"),
    (4999.0, "JPY", PercentOff(percent=Decimal(15)), Decimal("4249"), "JP¥4,249"),  # 4249.15
    (4990.0, "JPY", PercentOff(percent=Decimal(15)), Decimal("4242"), "JP¥4,242"),  # 4241.5 half-up
    (59.0, "USD", AmountOff(amount=Decimal("5.5"), currency="USD"), Decimal("53.50"), "$53.50"),
    (59.0, "USD", BuyNGetM(buy=2, get=1), None, None),
    (59.0, "USD", FreeShippingOver(threshold=Decimal(50), currency="USD"), None, None),
]


@pytest.mark.parametrize(("price", "currency", "offer", "sale", "shown"), PRICES)
def test_sale_prices(
    price: float, currency: str, offer: Any, sale: Decimal | None, shown: str | None
) -> None:
    assert sale_price(price, currency, offer) == sale
    if sale is not None:
        assert money_text(sale, currency) == shown


@pytest.mark.parametrize(
    ("price", "currency", "offer", "message"),
    [
        (
            59.0,
            "USD",
            AmountOff(amount=Decimal(80), currency="USD"),
            r"\$80.00 off is not less than the price \$59.00",
        ),
        (59.0, "USD", AmountOff(amount=Decimal(59), currency="USD"), "not less than the price"),
        (
            59.0,
            "CNY",
            AmountOff(amount=Decimal(5), currency="USD"),
            "the offer is in USD, the product's price in CNY",
        ),
    ],
)
def test_an_offer_that_cannot_apply_is_an_error(
    price: float, currency: str, offer: Any, message: str
) -> None:
    with pytest.raises(OfferError, match=message):
        sale_price(price, currency, offer)


BAG = Product(id="A1", title="Joust Duffle Bag", price=59.0, currency="USD")
CHECKS = [  # copy, the problems' starts ([] = passes)
    ("20% off, Nov 1 to Nov 11: now $47.20 (was $59.00).", []),
    ("Grab it for $47.20 before Nov 11th.", []),
    ("Just $59!", ["price $59 is the price before the offer: the sale price is $47.20"]),
    ("Only $47 this week!", ["price $47 is not the campaign's: the sale price is $47.20"]),
    ("Now 47.20 dollars.", []),
    ("Now 47.21 USD.", ["price 47.21 USD is not"]),
    ("Save 30% today.", ["offer Save 30% is not the campaign's: 20% off"]),
    ("Take 25% off everything.", ["offer Take 25% is not"]),
    ("100% polyester shell.", []),  # not an offer
    ("Ends November 12.", ["date November 12 is not the campaign's (Nov 1 – Nov 11)"]),
    ("From 1 Nov to 11/11.", []),
    ("Until 2025-11-11 only.", ["date 2025-11-11 is not"]),
    ("Until 12/24.", ["date 12/24 is not"]),
    ("A free gift with every bag!", ["offer 'free gift' is not the campaign's: 20% off"]),
    ("Use the coupon at checkout.", ["offer 'coupon' is not"]),
    ("购买即送精美礼品！", ["offer '即送' is not", "offer '礼品' is not"]),
    ("满减还包邮", ["offer '满减' is not", "offer '包邮' is not"]),
]


@pytest.mark.parametrize(("text", "problems"), CHECKS)
def test_the_check_knows_offer_prices_and_dates(text: str, problems: list[str]) -> None:
    terms = campaign_terms(parse_campaign(campaign_data(), "c"), BAG)
    found = terms_problems(text, terms)
    assert len(found) == len(problems), found
    for problem, start in zip(found, problems, strict=True):
        assert problem.startswith(start), problem


def test_terms_lines_are_rendered_per_language() -> None:
    campaign = parse_campaign(campaign_data(call_to_action="Shop now"), "c")
    terms = campaign_terms(campaign, BAG)
    assert terms.line == "20% off, Nov 1 to Nov 11: now $47.20 (was $59.00)."
    assert terms_problems(terms.line, terms) == [] and "Shop now" in terms.facts
    zh = campaign_terms(
        parse_campaign(campaign_data(lang="zh"), "c"),
        Product(id="Z", title="水壶", price=199.0, currency="CNY"),
    )
    assert zh.line == "8折，11月1日至11月11日，到手价¥159.20（原价¥199.00）。"
    assert terms_problems(zh.line, zh) == []
    assert terms_problems("限时7折，到手价159元！", zh) == [
        "offer 7折 is not the campaign's: 8折",
        "price 159元 is not the campaign's: the sale price is ¥159.20",
    ]
    assert terms_problems("11月12日截止", zh) == ["date 11月12日 is not the campaign's (11月1日 – 11月11日)"]
    offers = [
        ({"kind": "amount_off", "amount": 5, "currency": "USD"}, "$5.00 off, Nov 1 to Nov 11: now $54.00 (was $59.00)."),
        ({"kind": "buy_n_get_m", "buy": 2, "get": 1}, "Buy 2, get 1 free, Nov 1 to Nov 11."),
        ({"kind": "free_shipping_over", "threshold": 50, "currency": "USD"}, "Free shipping on orders over $50.00, Nov 1 to Nov 11."),
    ]  # fmt: skip
    for offer, line in offers:
        terms = campaign_terms(parse_campaign(campaign_data(offer=offer), "c"), BAG)
        assert terms.line == line and terms_problems(line, terms) == []
        assert bool(terms_problems("Only $59.", terms)) == (offer["kind"] == "amount_off")  # the price holds
    shipping = campaign_terms(
        parse_campaign(
            campaign_data(
                lang="zh", offer={"kind": "free_shipping_over", "threshold": 99, "currency": "CNY"}
            ),
            "c",
        ),
        Product(id="Z", title="水壶", price=199.0, currency="CNY"),
    )
    assert (
        shipping.line == "满¥99.00包邮，11月1日至11月11日。" and terms_problems("全场包邮！", shipping) == []
    )
    no_price = campaign_terms(campaign, Product(id="N", title="Tote"))
    assert no_price.line == "20% off, Nov 1 to Nov 11." and terms_problems("Only $9!", no_price)
