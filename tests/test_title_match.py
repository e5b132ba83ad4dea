"""Products named by title, against the whole catalog: full, partial, misspelt, in a Chinese
sentence; and the messages that name none (product types, audiences, function words)."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.intents import parse
from index.ingest import load_products
from index.title_match import TitleMatcher
from tools.context import SessionMemory


@pytest.fixture(scope="module")
def demo(demo_store: Path) -> TitleMatcher:
    return TitleMatcher((p.id, p.title) for p in load_products(demo_store / "luma_products.jsonl").records)


@pytest.fixture(scope="module")
def litemall(shared_data: Path) -> TitleMatcher:
    path = shared_data / "zh_store" / "litemall_products.jsonl"
    return TitleMatcher((p.id, p.title) for p in load_products(path).records)


@pytest.mark.parametrize(
    ("message", "titles"),
    [
        ("What do people say about the Crown Summit Backpack?", ["Crown Summit Backpack"]),
        ("compare the Joust Duffle Bag and the Impulse Duffle", ["Joust Duffle Bag", "Impulse Duffle"]),
        ("compare the bolo sport watch and the clamber watch", ["Bolo Sport Watch", "Clamber Watch"]),
        ("details of the Wayfarer Messenger Bag", ["Wayfarer Messenger Bag"]),
        ("write an Instagram caption for the Summit Watch", ["Summit Watch"]),
        ("给 Aim Analog Watch 写三条卖点", ["Aim Analog Watch"]),
        ("crown sumit backpak reviews", ["Crown Summit Backpack"]),  # two typos
        ("tell me about the Fusion", ["Fusion Backpack"]),  # the rare half of a title
        ("Write one short slogan", []),  # "slogan" is one letter from "Logan", but no name
        ("is there a warm hoodie for yoga?", []),  # "warm" alone is not the "Caesar Warm-Up Pant"
        # counter-examples: product types, audiences and sentences name no product
        ("men's yoga pants", []),
        ("Show me men's hoodies", []),
        ("waterproof backpack under $60", []),
        ("jacket for 40 degree weather", []),
        ("a gift for my mom", []),
        ("do you sell coffee makers?", []),
        ("I need a watch", []),
        ("something for running", []),
        ("women's running shorts", []),  # words five Running Short titles share: a kind, not a name
        ("the Apollo running short", ["Apollo Running Short"]),  # its own word names it
        ("", []),
    ],
)
def test_demo_store_titles(demo: TitleMatcher, message: str, titles: list[str]) -> None:
    assert [named.title for named in demo.find(message)] == titles


def test_a_full_title_is_surer_than_a_partial_one(demo: TitleMatcher) -> None:
    (full,) = demo.find("reviews of the Fusion Backpack")
    (partial,) = demo.find("reviews of the Fusion")
    assert full.product_id == partial.product_id
    assert full.confidence == 1.0 > partial.confidence >= 0.5
    assert "reviews of the Fusion Backpack"[full.start : full.end] == "Fusion Backpack"


@pytest.mark.parametrize(
    ("message", "title"),
    [
        ("耐用狗狗清洁美容护理套装的评价怎么样", "耐用狗狗清洁美容护理套装"),
        ("介绍一下粽夏冰晶端午粽礼盒", "粽夏冰晶端午粽礼盒 480克"),  # the title without its weight
        ("160*230羊毛圈绒枪刺地毯好不好", "160*230羊毛圈绒枪刺地毯"),
        # counter-examples: a product type, or one character in common, names nothing
        ("推荐一个瑜伽垫", None),
        ("有没有口红", None),
        ("200元以下的床品", None),
        ("男士T恤", None),
    ],
)
def test_chinese_store_titles(litemall: TitleMatcher, message: str, title: str | None) -> None:
    found = litemall.find(message)
    assert (found[0].title if found else None) == title


# ---- what a title named in the first message means for the turn (the demo store's titles)


@pytest.mark.parametrize(
    ("text", "kind", "refs"),
    [
        ("What do people say about the Crown Summit Backpack?", "reviews", ["MB03"]),
        ("how do reviewers feel about the Zing Jump Rope?", "reviews", ["UG04"]),
        ("compare the Joust Duffle Bag and the Impulse Duffle", "compare", ["MB01", "UB02"]),
        ("Joust Duffle Bag or Impulse Duffle?", "compare", ["MB01", "UB02"]),
        ("details of the Zing Jump Rope", "details", ["UG04"]),
        ("Crown Summit Backpack", "details", ["MB03"]),
        ("something similar to the Summit Watch", "similar", ["MG03"]),
        ("write an Instagram caption for the Summit Watch", "promo", ["MG03"]),
        ("给 Aim Analog Watch 写三条卖点", "promo", ["MG04"]),
        ("is the Crown Summit Backpack waterproof?", "chat", ["MB03"]),  # the model answers, card first
        # counter-examples: a named product never turns a search into something else
        ("Crown backpack under $50", "search", []),
        ("show me watches under $60", "search", []),
        ("what do people say about backpacks?", "chat", []),
        ("what are the selling points of the Summit Watch?", "chat", ["MG03"]),  # a shopper's question
    ],
)
def test_a_title_in_a_first_message_reaches_the_product_intent(
    demo: TitleMatcher, text: str, kind: str, refs: list[str]
) -> None:
    intent = parse(text, SessionMemory(), named_products=demo.find)
    assert (intent.kind, intent.refs) == (kind, [f"24-{ref}" for ref in refs])


def test_without_the_catalog_hook_a_title_is_not_a_reference() -> None:
    assert parse("What do people say about the Crown Summit Backpack?", SessionMemory()).refs == []


def test_a_rare_word_in_a_longer_message_is_not_a_bare_title_request() -> None:
    """'strap' is in one title only: it names that product, but "I need a strap" is no request
    for its details, while "the Wayfarer?" (little but a title) is."""
    titles = [
        ("S1", "Yoga Strap"),
        ("P1", "Cora Yoga Pant"),
        ("P2", "Erika Yoga Pant"),
        ("B1", "Wayfarer Bag"),
    ]
    matcher = TitleMatcher(titles)
    assert parse("I need a strap", SessionMemory(), named_products=matcher.find).kind != "details"
    assert parse("the Wayfarer?", SessionMemory(), named_products=matcher.find).kind == "details"


def test_products_sharing_a_title_are_one_name(demo: TitleMatcher) -> None:
    (named,) = demo.find("What do people say about the Sprite Stasis Ball 65 cm?")
    assert named.title == "Sprite Stasis Ball 65 cm" and named.confidence == 1.0
