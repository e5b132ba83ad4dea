"""What kind of product a request asks for, against a catalog's vocabulary (index.vocabulary,
index.product_types), and the search gate built on it (tools.shopping)."""

from __future__ import annotations

import pytest

from index.catalog import CatalogIndex
from index.embedders import HashingEmbedder
from index.lexical import tokens
from index.product_types import read_type_request
from index.schema import Product
from index.vocabulary import build_vocabulary, product_audience, title_head, type_keys, word_key
from tools.context import SessionMemory, ToolContext
from tools.shopping import search_products

SPORTS = [
    Product("B1", "Crown Summit Backpack", "Roomy and waterproof.", "Gear/Bags", price=38, currency="USD"),
    Product("B2", "Voyage Yoga Bag", "A tote for the studio.", "Gear/Bags", price=32, currency="USD"),
    Product("J1", "Juno Jacket", "Warm for winter running.", "Women/Tops/Jackets", price=77, currency="USD"),
    Product("J2", "Beaumont Summit Kit", "Wind-proof shell.", "Men/Tops/Jackets", price=42, currency="USD"),
    Product("P1", "Cronus Yoga Pant", "Stretchy.", "Men/Bottoms/Pants", price=48, currency="USD"),
    Product("P2", "Ida Workout Pant", "Soft.", "Women/Bottoms/Pants", price=50, currency="USD"),
    Product("H1", "Hero Hoodie", "Fleece lined, wear with running shoes.", "Men/Tops/Hoodies", price=54,
            currency="USD"),
]  # fmt: skip
HOME = [
    Product("Z1", "乳胶枕", "泰国乳胶", "居家/被枕", price=199, currency="CNY", lang="zh"),
    Product("Z2", "澳洲羊毛被", "保暖", "居家/被枕", price=459, currency="CNY", lang="zh"),
    Product("Z3", "皇室御用超柔毛巾", "纯棉", "洗护/毛巾", price=39, currency="CNY", lang="zh"),
    Product("Z4", "男士莫代尔内裤", "透气", "服装/内裤", price=59, currency="CNY", lang="zh"),
]


def _reading(query: str, products: list[Product]):
    words = {t for p in products for t in tokens(" ".join([p.title, p.description, p.category or ""]))}
    titles = {word_key(t) for p in products for t in tokens(p.title)}
    return read_type_request(query, build_vocabulary(products), lambda ws: any(w.casefold() in words for w in ws),
                             lambda w: word_key(w) in titles)  # fmt: skip


@pytest.mark.parametrize(
    ("title", "head"),
    [
        ("Crown Summit Backpack", "backpack"),
        ("Analog Watch - For Men, Boys", "watch"),
        ("Sprite Foam Roller 36 cm", "roller"),  # a unit is no head noun
        ("Ajax Full-Zip Sweatshirt (Blue)", "sweatshirt"),
        ("秋冬保暖加厚澳洲羊毛被", "被"),
        ("轻奢纯棉刺绣水洗四件套", "四件套"),
    ],
)
def test_title_head(title, head):
    assert title_head(title) == head


@pytest.mark.parametrize(
    ("product", "audience"),
    [
        (Product("a", "Cronus Yoga Pant", category="Men/Bottoms/Pants"), "men"),
        (
            Product("b", "Ida Workout Pant", category="Women/Bottoms/Pants"),
            "women",
        ),  # not "men" inside "women"
        (Product("c", "Alisha Solid Women's Cycling Shorts", category="clothing"), "women"),
        (Product("d", "Crown Summit Backpack", category="Gear/Bags"), None),
        (Product("e", "男女同款卫衣", category="服装"), None),  # unisex: for everyone
        (Product("f", "Tee", category="Tops", attributes={"gender": "Boys"}), "kids"),
    ],
)
def test_product_audience(product, audience):
    assert product_audience(product) == audience


@pytest.mark.parametrize(
    ("query", "status", "matching"),
    [
        ("waterproof backpack", "typed", {"B1"}),  # a tote is a bag, not a backpack
        ("backpack waterproof", "typed", {"B1"}),  # the describing word last
        ("bags", "typed", {"B1", "B2"}),
        ("men's yoga pants", "typed", {"P1"}),  # not the women's pant
        ("women's jacket", "typed", {"J1"}),
        ("jacket for 40 degree weather", "typed", {"J1", "J2"}),  # the head comes before "for"
        ("hoodie or jacket", "typed", {"H1", "J1", "J2"}),
        ("do you sell coffee makers?", "absent", set()),
        ("winter tyres", "absent", set()),
        ("口红", "absent", set()),  # Chinese on an English store, through the dictionary
        ("夹克", "typed", {"J1", "J2"}),
        ("男士裤子", "typed", {"P1"}),
        ("something warm for winter", "untyped", set()),  # words the catalog uses, no type
        ("running shoes", "untyped", set()),  # "shoes" appears in a description only: not sure
    ],
)
def test_type_requests_on_an_english_store(query, status, matching):
    request = _reading(query, SPORTS)
    assert request.status == status
    if status == "typed":
        assert {p.id for p in SPORTS if request.matches(p)} == matching


@pytest.mark.parametrize(
    ("query", "status", "matching"),
    [
        ("枕头", "typed", {"Z1"}),  # the noun suffix 头 dropped
        ("被子", "typed", {"Z2"}),
        ("毛巾", "typed", {"Z3"}),
        ("男士内裤", "typed", {"Z4"}),
        ("pillow", "typed", {"Z1"}),  # English on a Chinese store
        ("口红", "absent", set()),
        ("lipstick", "absent", set()),
        ("电饭煲", "absent", set()),
    ],
)
def test_type_requests_on_a_chinese_store(query, status, matching):
    request = _reading(query, HOME)
    assert request.status == status
    if status == "typed":
        assert {p.id for p in HOME if request.matches(p)} == matching


def test_absent_requests_name_what_was_asked():
    assert _reading("do you sell coffee makers?", SPORTS).asked == "coffee makers"
    assert _reading("有口红吗", SPORTS).asked == "口红"


def test_vocabulary_counts_and_is_kept_exact_by_updates(tmp_path):
    index = CatalogIndex.build(SPORTS[:4], tmp_path / "index", embedder=HashingEmbedder())
    try:
        assert index.vocabulary().types[next(iter(type_keys(SPORTS[0]) - type_keys(SPORTS[1])))]["count"] == 1
        index.add(SPORTS[4:])
        index.delete(["B2"])
        expected = build_vocabulary([p for p in SPORTS if p.id != "B2"]).to_dict()
        assert index.vocabulary().to_dict() == expected
        reopened = CatalogIndex.load(tmp_path / "index", embedder=HashingEmbedder())
        try:  # stored with the index, not rebuilt on load
            assert reopened.vocabulary().to_dict() == expected
            assert reopened.vocabulary().currency == "USD" and reopened.vocabulary().lang == "en"
        finally:
            reopened.close()
    finally:
        index.close()


@pytest.fixture
def sports(tmp_path):
    index = CatalogIndex.build(SPORTS, tmp_path / "sports", embedder=HashingEmbedder())
    yield index
    index.close()


def test_search_shows_only_the_requested_type(sports):
    ctx = ToolContext(sports, memory=SessionMemory())
    result = search_products(ctx, "waterproof backpack")
    assert [row["id"] for row in result["results"]] == ["B1"]
    assert [card["id"] for card in ctx.shown_this_turn] == ["B1"]


def test_search_says_when_the_store_has_none(sports):
    ctx = ToolContext(sports, memory=SessionMemory())
    result = search_products(ctx, "coffee makers")
    assert result["results"] == [] and result["not_carried"] == "coffee makers"
    assert result["sells"] and len(result["alternatives"]) == len(ctx.shown_this_turn) > 0
    assert all(card.get("alternative") for card in ctx.shown_this_turn)


def test_search_names_the_limit_that_failed(sports):
    ctx = ToolContext(sports, memory=SessionMemory())
    result = search_products(ctx, "backpack", max_price=30)
    assert result["results"] == [] and result["none_of"] == "backpack"
    assert result["within"] == {"max_price": 30} and result["cheapest"][0]["id"] == "B1"
    assert [card["id"] for card in ctx.shown_this_turn if card.get("alternative")] == ["B1"]


def test_an_audience_the_store_lacks_is_said(sports):
    ctx = ToolContext(sports, memory=SessionMemory())
    result = search_products(ctx, "kids pants")
    assert result["results"] == [] and result["audience"] == "kids"


@pytest.mark.parametrize(
    ("query", "shown"),
    [
        ("men's yoga pants", ["P1"]),  # exact words first, and only they, within the type
        ("running shoes", []),  # "shoes" is in a description only: nothing of the kind
        ("something warm", None),  # "warm" describes (a description has it): ranks, no filter
    ],
)
def test_words_of_the_request(sports, query, shown):
    ctx = ToolContext(sports, memory=SessionMemory())
    result = search_products(ctx, query)
    if shown is None:
        assert result["results"]
    else:
        assert [row["id"] for row in result["results"]] == shown
        assert ("no_match" in result) == (not shown)


def test_without_the_gate_search_is_as_retrieved(sports):
    ctx = ToolContext(sports, memory=SessionMemory(), relevance_gate=False)
    assert len(search_products(ctx, "coffee makers")["results"]) == 5
