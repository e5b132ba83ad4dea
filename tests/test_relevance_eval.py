"""`shopbot eval relevance` machinery: the judge, trap detection, metrics, the cross-catalog
filter, the written sets against their catalogs, and one run through a scripted model."""

from __future__ import annotations

import pytest
from langchain_core.messages import AIMessage, ToolMessage

from assistant import Assistant
from assistant.relevance_eval import (
    CATALOGS,
    Judged,
    Request,
    ShownCard,
    audiences_named,
    card_verdict,
    cross_requests,
    judge,
    load_set,
    overlapping_word,
    run_requests,
    summarize,
    term_in,
    trap_avoided,
    type_words,
)
from assistant.reply import ProductCard, Reply, ToolCallRecord
from assistant.testing import ScriptedChatModel


@pytest.mark.parametrize(
    ("term", "text", "found"),
    [
        ("hoodie", "Chaz Kangeroo Hoodie", True),
        ("hoodie", "Men/Tops/Hoodies & Sweatshirts", True),  # plural, in the category path
        ("tee", "Men/Tops/Tees", True),
        ("tee", "Teton Pullover Hoodie", False),  # a word start is not enough: the word must end
        ("bag", "Baggage cart", False),
        ("dress", "girl's gathered dresses", True),
        ("watch", "analog watches", True),
        ("accessory", "Mobile Accessories", True),  # -y -> -ies
        ("women", "acme printed women's kurta", True),  # possessive
        ("men", "acme printed women's kurta", False),
        ("men", "analog watch - for men, boys", True),
        ("running short", "Artemis Running Short", True),
        ("kitchen dining", "kitchen  dining/acme mugs", True),  # runs of spaces are one
        ("v-neck+tee", "Karissa V-Neck Tee", True),  # a+b: both parts
        ("v-neck+tee", "Eos V-Neck Hoodie", False),
        ("cm", "不粘炒锅30cm", False),  # digits are part of the word
        ("四件套", "示例纯棉四件套", True),  # Chinese: a substring
        ("枕", "示例方形抱枕", True),
        ("羊毛", "示例羊羔毛盖毯", False),
        ("四件套+纯棉", "纯棉示例四件套", True),
        ("四件套+纯棉", "全棉示例四件套", False),
    ],
)
def test_term_in(term, text, found):
    assert term_in(term, text) is found


@pytest.mark.parametrize(
    ("text", "audiences"),
    [
        ("Men/Tops/Tees", {"men"}),
        ("Women/Tops/Tees", {"women"}),
        ("analog watch - for men, women, boys, girls", {"men", "women", "kids"}),
        ("Gear/Bags", set()),
        ("男式示例内裤", {"men"}),
        ("示例海魂衫（男婴童）", {"kids"}),  # a baby boy's, not a man's
        ("unisex conditioner", {"men", "women"}),
    ],
)
def test_audiences_named(text, audiences):
    assert audiences_named(text) == audiences


def _request(**fields) -> Request:
    return Request(**{"id": "t-1", "text": "t", "lang": "en", "expect": "match", **fields})


TANK = _request(any=("tank",), not_=("bra",))
MENS = _request(any=("tee",), audience="men")
KIDS = _request(any=("watch",), audience="kids")
CHEAP = _request(any=("backpack",), max_price=40.0)
BAND = _request(any=("jacket",), min_price=50.0, max_price=70.0)
BABY = _request(any=("海魂衫",), audience="men")


@pytest.mark.parametrize(
    ("request_", "title", "category", "price", "matches"),
    [
        (TANK, "Tristan Endurance Tank", "Men/Tops/Tanks", 29.0, True),
        (TANK, "Electra Bra Top", "Women/Tops/Bras & Tanks", 39.0, False),  # a `not` term
        (TANK, "Chaz Kangeroo Hoodie", "Men/Tops/Hoodies & Sweatshirts", 52.0, False),  # no `any` term
        (MENS, "Gobi HeatTec Tee", "Men/Tops/Tees", 29.0, True),
        (MENS, "Layla Tee", "Women/Tops/Tees", 29.0, False),  # another audience
        (MENS, "plain tee", "Tops", 10.0, True),  # no audience named: not wrong
        (KIDS, "acme analog watch - for boys, girls", "watches/wrist watches", 900.0, True),
        (KIDS, "acme gold analog watch - for boys, men", "watches/wrist watches", 201000.0, False),
        (
            _request(any=("watch",), audience="men"),
            "acme steel analog watch - for boys, men",
            "watches",
            1695.0,
            True,
        ),
        (BABY, "示例海魂衫（男婴童）", "婴童/服饰", 79.0, False),
        (CHEAP, "Driven Backpack", "Gear/Bags", 36.0, True),
        (CHEAP, "Driven Backpack", "Gear/Bags", 40.0, True),  # limits are inclusive
        (CHEAP, "Fusion Backpack", "Gear/Bags", 59.0, False),
        (CHEAP, "Mystery Backpack", "Gear/Bags", None, False),  # no price to check
        (BAND, "Ingrid Running Jacket", "Women/Tops/Jackets", 84.0, False),
        (BAND, "Jade Yoga Jacket", "Women/Tops/Jackets", 32.0, False),
        (BAND, "Riona Full Zip Jacket", "Women/Tops/Jackets", 60.0, True),
    ],
)
def test_card_verdict(request_, title, category, price, matches):
    assert (card_verdict(request_, title, category, price) is None) is matches


def _call(name: str = "search_products", **args) -> ToolCallRecord:
    return ToolCallRecord(name=name, args={"query": "x", **args})


TRAP = _request(any=("backpack",), trap="unit")
TRAP_AND_LIMIT = _request(any=("backpack",), trap="unit", max_price=60.0)


@pytest.mark.parametrize(
    ("request_", "calls", "avoided"),
    [
        (TRAP, [], True),
        (TRAP, [_call()], True),
        (TRAP, [_call(max_price=None, min_price=None)], True),
        (TRAP, [_call(max_price=30)], False),  # "30L backpack" became a price filter
        (TRAP, [_call(min_price=30.0)], False),
        (TRAP, [_call("recommend", max_price=30)], False),
        (TRAP, [_call(), _call(max_price=30)], False),  # any call of the turn counts
        (TRAP, [_call("get_product", product_id="MB01")], True),
        (TRAP_AND_LIMIT, [_call(max_price=60)], True),  # the limit the shopper stated
        (TRAP_AND_LIMIT, [_call(max_price=15)], False),  # "15 inch laptop" taken as the price
        (TRAP_AND_LIMIT, [_call(min_price=60)], False),
    ],
)
def test_trap_avoided(request_, calls, avoided):
    assert trap_avoided(request_, calls) is avoided


def _card(title: str, price: float | None, *, alternative: bool = False, pid: str = "") -> ProductCard:
    return ProductCard(id=pid or title, title=title, price=price, alternative=alternative, category="Bags")


def test_judge_ignores_alternatives_and_uses_the_full_category_path():
    reply = Reply(
        text="...",
        products=[_card("Driven Backpack", 36.0), _card("Fusion Backpack", 59.0), _card("Joust Duffle Bag", 34.0, alternative=True)],
        tool_calls=[_call(max_price=40)],
        timings={"total": 1.5, "first_card": 0.2},
    )  # fmt: skip
    judged = judge(CHEAP, reply, lambda pid: "Gear/Bags")
    assert [card.why_not is None for card in judged.shown] == [True, False]
    assert judged.cards[2].alternative and judged.cards[2].why_not is None
    assert judged.any_match is True and judged.limits_ok is False and judged.trap_ok is None
    assert judged.first_card == 0.2 and judged.total == 1.5
    assert judged.failures() == ["'Fusion Backpack': 59 is over the maximum 40"]
    # the category the card carries (last segment only) is the fallback
    tee = judge(_request(any=("tee",)), Reply(text="", products=[_card("Layla", 29.0)]), lambda pid: None)
    assert tee.any_match is False


def test_judge_honest_no_match():
    none = _request(expect="none")
    only_alternatives = Reply(
        text="We don't sell that; closest:", products=[_card("Zing Jump Rope", 12.0, alternative=True)]
    )
    assert judge(none, only_alternatives, lambda pid: None).honest is True
    assert judge(none, Reply(text="Sorry, no."), lambda pid: None).honest is True
    shown = judge(none, Reply(text="Here:", products=[_card("Zing Jump Rope", 12.0)]), lambda pid: None)
    assert shown.honest is False
    assert shown.failures() == ["1 card(s) shown as matches; the store sells none"]
    # a request the store cannot answer within its limit, with the type labelled
    cheap_shorts = _request(expect="none", any=("running short",), max_price=30.0)
    over = judge(cheap_shorts, Reply(text="", products=[_card("Ana Running Short", 40.0)]), lambda pid: None)
    assert over.honest is False and over.limits_ok is False
    assert over.failures() == ["'Ana Running Short': 40 is over the maximum 30"]
    fits = judge(cheap_shorts, Reply(text="", products=[_card("Ana Running Short", 25.0)]), lambda pid: None)
    assert fits.failures() == ["'Ana Running Short': judged a match: check the label"]


def test_a_failed_turn_counts_against_every_rate():
    failed = Reply(text="Sorry, something went wrong.", path="error")
    for request_ in (TRAP_AND_LIMIT, _request(expect="none")):
        judged = judge(request_, failed, lambda pid: None)
        assert judged.error and judged.failures() == ["the turn failed (error reply)"]
        assert False in (judged.any_match, judged.honest)
    judged = judge(TRAP_AND_LIMIT, failed, lambda pid: None)
    assert judged.trap_ok is False and judged.limits_ok is False


def _judged(request_: Request, *verdicts: bool, alternatives: int = 0, error: bool = False) -> Judged:
    cards = [ShownCard("c", "c", 1.0, False, None if ok else "wrong") for ok in verdicts]
    cards += [ShownCard("a", "a", 1.0, True) for _ in range(alternatives)]
    result = Judged(request_, cards, error, total=1.0)
    if request_.expect == "match":
        result.any_match = not error and any(verdicts)
    else:
        result.honest = not error and not verdicts
    return result


def test_summarize_micro_averages_precision():
    match = _request()
    none = _request(expect="none")
    metrics = summarize(
        [
            _judged(match, True, True, False),  # 2 of 3
            _judged(match, False, alternatives=2),  # 0 of 1; alternatives not counted
            _judged(match),  # no card
            _judged(none, alternatives=3),  # honest
            _judged(none, True),  # not honest
        ]
    )
    assert metrics["precision"] == 50.0 and metrics["cards"] == 4
    assert metrics["at_least_one"] == pytest.approx(33.3) and metrics["no_cards"] == 1
    assert metrics["honest"] == 50.0 and metrics["traps"] is None and metrics["limits"] is None
    assert metrics["p50"] == 1.0 and metrics["card_p50"] is None and metrics["errors"] == 0
    assert summarize([])["precision"] is None


# -- the cross-catalog filter ----------------------------------------------------------------

DEMO_TEXTS = [
    "Affirm Water Bottle",
    "Gear/Fitness Equipment",
    "Chaz Kangeroo Hoodie",
    "Men/Tops/Hoodies & Sweatshirts",
]


@pytest.mark.parametrize(
    ("title", "overlap"),
    [
        ("Acme Mineral Water", "water"),  # grocery water: the store sells a water bottle
        ("Steel Bottles 1 L", "bottles"),  # plural of a word the store uses
        ("Organic Coriander Powder", None),
        ("Pack of 2 - Masala Set", None),  # quantity words name no type
        ("有示例羊羔毛盖毯吗", None),  # across languages words cannot overlap
    ],
)
def test_overlapping_word(title, overlap):
    assert overlapping_word(title, type_words(DEMO_TEXTS)) == overlap


SOURCES = {
    "bigbasket": [
        ("Acme Mineral Water", "Beverages/Water", "en"),
        ("Whey Protein", "Beverages/Health Drink, Supplement", "en"),  # dropped: a category Flipkart sells
        ("Herbal Shampoo", "Beauty & Hygiene/Hair Care", "en"),  # not a food category
        *[(f"Masala No {n}", "Foodgrains, Oil & Masala/Masalas & Spices", "en") for n in range(8)],
        ("masala no 1", "Foodgrains, Oil & Masala/Masalas & Spices", "en"),  # the same title again
    ],
    "litemall": [
        ("男式示例内裤", "服装/内裤", "zh"),  # dropped: underwear is near the store's bras and shorts
        *[(f"日式台灯{n}号", "居家/灯具", "zh") for n in range(5)],
    ],
}


def test_cross_requests_keep_only_non_overlapping_titles():
    requests = cross_requests("demo", DEMO_TEXTS, SOURCES, 10, seed=3)
    texts = [r.text for r in requests]
    assert len(requests) == 10 and len(set(texts)) == 10
    assert all(r.expect == "none" and r.cross and not r.any for r in requests)
    assert sum(r.lang == "zh" for r in requests) == 5  # split evenly over the two sources
    assert all(t.startswith("有") and t.endswith("吗？") for t in texts if "台灯" in t)
    assert all(t.startswith("do you have ") for t in texts if "Masala" in t)
    joined = " ".join(texts).casefold()
    for dropped in ("water", "protein", "shampoo", "内裤"):
        assert dropped not in joined
    assert [r.id for r in requests][:2] == ["demo-x01", "demo-x02"]
    assert cross_requests("demo", DEMO_TEXTS, SOURCES, 10, seed=3) == requests  # seeded
    assert len(cross_requests("demo", DEMO_TEXTS, SOURCES, 3)) == 3


# -- the written sets ------------------------------------------------------------------------


@pytest.mark.parametrize("catalog", CATALOGS)
def test_written_sets_load(catalog):
    requests = load_set(catalog)
    assert 50 <= len(requests) <= 90
    assert len({r.id for r in requests}) == len(requests)
    assert all(r.id.startswith(f"{catalog}-") and r.lang in ("en", "zh") for r in requests)
    assert all(r.audience in (None, "men", "women", "kids") and r.trap in (None, "unit") for r in requests)
    for kind in (
        lambda r: r.expect == "none",
        lambda r: r.trap,
        lambda r: r.limits and not r.trap,
        lambda r: r.audience,
    ):
        assert sum(1 for r in requests if kind(r)) >= 5
    languages = [r.lang for r in requests]
    least = {"demo": {"en": 40, "zh": 8}, "litemall": {"en": 6, "zh": 40}, "flipkart": {"en": len(requests)}}
    assert all(languages.count(lang) >= count for lang, count in least[catalog].items())


def _products(catalog: str, shared_data, demo_store):
    from index.ingest import load_products, parse_mapping

    if catalog == "demo":
        return load_products(demo_store / "luma_products.jsonl").records
    if catalog == "litemall":
        return load_products(shared_data / "zh_store" / "litemall_products.jsonl").records
    mapping = parse_mapping(
        ["id=uniq_id,title=product_name,category=product_category_tree,price=discounted_price"]
    )
    return load_products(shared_data / "catalogs" / "flipkart_products.csv", mapping, False, "INR").records


@pytest.mark.parametrize("catalog", CATALOGS)
def test_written_labels_agree_with_the_catalog(catalog, shared_data, demo_store):
    """A request that expects a match has at least one product of the catalog that matches it;
    one labelled with a type that expects none has none (the others were checked by hand)."""
    products = _products(catalog, shared_data, demo_store)
    for request_ in load_set(catalog):
        if request_.any:
            found = [
                p.title
                for p in products
                if card_verdict(request_, p.title, p.category or "", p.price) is None
            ]
            assert bool(found) is (request_.expect == "match"), (request_.id, found[:3])


# -- one run end to end ----------------------------------------------------------------------


def _search_the_message(messages, call):
    """A model that searches the shopper's words, with the price they state."""
    if isinstance(messages[-1], ToolMessage):
        return "Here you go."
    text = str(messages[-1].content)
    args: dict[str, object] = {"query": text}
    if "under $40" in text:
        args["max_price"] = 40
    return AIMessage("", tool_calls=[{"name": "search_products", "args": args, "id": "c1"}])


def test_run_through_a_scripted_model(demo_index):
    requests = [
        _request(id="t-1", text="waterproof backpack", any=("backpack",)),
        _request(id="t-2", text="30L backpack under $40", any=("backpack",), trap="unit", max_price=40.0),
        _request(id="t-3", text="a lawn mower for my garden", expect="none"),
    ]
    model = ScriptedChatModel(function=_search_the_message)
    lines: list[str] = []
    assistant = Assistant(model, demo_index, fast_paths=False, relevance_gate=False)
    judged = run_requests(assistant, requests, label="test", every=2, say=lines.append)
    assert [line.split(",")[0] for line in lines] == ["test: 2/3 requests", "test: 3/3 requests"]
    assert lines[-1].endswith(" 0 errors")
    backpack, trap, mower = judged
    assert not backpack.error and backpack.shown and backpack.total > 0
    assert trap.price_args == ["search_products(max_price=40)"]  # read from the turn's tool calls
    assert trap.trap_ok is True and trap.limits_ok is True  # the stated limit is no trap, and held
    assert mower.honest is False  # the baseline shows whatever the search found, as matches
    metrics = summarize(judged)
    assert metrics["requests"] == 3 and metrics["traps"] == 100.0 and metrics["honest"] == 0.0
    assert metrics["limits"] == 100.0 and metrics["card_p50"] is not None
