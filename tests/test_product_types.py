"""What kind of product a request asks for, against a catalog's vocabulary (index.vocabulary,
index.product_types), and the search gate built on it (tools.shopping)."""

from __future__ import annotations

import json

import pytest

from index.catalog import CatalogIndex
from index.embedders import HashingEmbedder
from index.lexical import tokens
from index.product_types import read_type_request
from index.schema import Product
from index.vocabulary import (
    build_vocabulary,
    is_chinese,
    product_audience,
    title_head,
    type_keys,
    word_key,
)
from tools.context import SessionMemory, ToolContext
from tools.product_texts import ProductTexts
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
    Product("Z5", "双宫茧桑蚕丝被 空调被", "桑蚕丝填充", "居家/被枕", price=699, currency="CNY", lang="zh"),
    Product("Z6", "手工蚕丝被", "桑蚕丝", "居家/被枕", price=1599, currency="CNY", lang="zh"),
    Product("Z7", "直杆三角中性笔", "书写顺滑", "杂货/文具", price=9.9, currency="CNY", lang="zh"),
    Product("Z8", "木韵檀香黄铜笔", "黄铜笔杆", "杂货/文具", price=39, currency="CNY", lang="zh"),
    Product("Z9", "凉感宠物窝垫", "宠物用", "居家/宠物", price=89, currency="CNY", lang="zh"),
    Product("Z10", "记忆棉坐垫", "久坐不累", "居家/布艺软装", price=59, currency="CNY", lang="zh"),
    Product("Z11", "趣味粉彩系列笔记本", "纸张", "杂货/文具", price=29, currency="CNY", lang="zh"),
    Product("Z12", "高山苦荞麦枕", "荞麦壳", "居家/被枕", price=99, currency="CNY", lang="zh"),
    Product("Z13", "羊毛手工地毯", "适合卧室", "居家/布艺软装", price=599, currency="CNY", lang="zh"),
]


def _reading(query: str, products: list[Product]):
    """As :meth:`CatalogIndex.type_request` reads: a word is used when the lexical index has it,
    a Chinese one also where it is written inside a longer word."""
    texts = [" ".join([p.title, p.description, p.category or ""]) for p in products]
    words = {t for text in texts for t in tokens(text)}
    titles = {word_key(t) for p in products for t in tokens(p.title)}

    def mentioned(ws):
        return any(w.casefold() in words or (is_chinese(w) and any(w in text for text in texts)) for w in ws)

    return read_type_request(query, build_vocabulary(products), mentioned, lambda w: word_key(w) in titles)


@pytest.mark.parametrize(
    ("title", "head"),
    [
        ("Crown Summit Backpack", "backpack"),
        ("Analog Watch - For Men, Boys", "watch"),
        ("Sprite Foam Roller 36 cm", "roller"),  # a unit is no head noun
        ("Ajax Full-Zip Sweatshirt (Blue)", "sweatshirt"),
        ("秋冬保暖加厚澳洲羊毛被", "被"),
        ("轻奢纯棉刺绣水洗四件套", "四件套"),
        # a Chinese title's later parts add features or a colour: its first part with a head names it
        ("AB面独立弹簧床垫 进口乳胶", "床垫"),
        ("清新趣粉系列居家地毯 灰黄条纹", "地毯"),
        ("20寸 铝镁合金登机箱", "登机箱"),  # a unit part has none; jieba's 登 / 机箱 is one word
        ("蔓越莓曲奇 200克", "曲奇"),
        ("12 cm", None),
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
        # the thing asked is no type, and a noun saying what kind it is appears nowhere
        ("cumin shoes", "absent", set()),
        ("warm shoes", "untyped", set()),  # "warm" describes; shoes are in a description
        ("running shoes", "untyped", set()),
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
        ("枕头", "typed", {"Z1", "Z12"}),  # the noun suffix 头 dropped
        ("被子", "typed", {"Z2", "Z5"}),
        # a type as written in a title counts, however jieba cuts the title (蚕丝 / 被)
        ("蚕丝被", "typed", {"Z5", "Z6"}),
        ("中性笔", "typed", {"Z7"}),  # 中性 names no audience here; a brass pen is no gel pen
        ("笔记本", "typed", {"Z11"}),
        ("笔记本电脑", "absent", set()),  # head-final: a laptop, not a kind of notebook
        # a one-character head bound to a noun the store never uses: a kind it lacks
        ("瑜伽垫", "absent", set()),
        ("手机壳", "absent", set()),  # 壳 is no type, and the store never says 手机
        ("垫子", "typed", {"Z9"}),
        ("舒服的坐垫", "typed", {"Z10"}),  # a describing word only describes
        ("客厅地毯", "typed", {"Z13"}),  # a whole word as head: rugs wherever they go
        ("荞麦枕", "typed", {"Z1", "Z12"}),  # of the type; the exact match ranks first
        ("毛巾", "typed", {"Z3"}),
        ("男士内裤", "typed", {"Z4"}),
        ("pillow", "typed", {"Z1", "Z12"}),
        # a product named by its English name: a store that uses none of the name's words lacks it
        ("do you have Beaumont Summit Pillow?", "absent", set()),
        ("do you have a Latex Pillow?", "typed", {"Z1", "Z12"}),  # 乳胶 is used: a latex pillow it has
        ("Buckwheat pillow", "typed", {"Z1", "Z12"}),  # a first word is no name  # English on a Chinese store
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


@pytest.mark.parametrize(
    ("query", "exact"),
    [("荞麦枕", {"Z12"}), ("中性笔", {"Z7"}), ("蚕丝被", {"Z5", "Z6"}), ("客厅地毯", set()), ("枕头", set())],
)
def test_chinese_exact_matches_have_the_words_as_written(query, exact):
    request = _reading(query, HOME)
    assert {p.id for p in HOME if request.has_all_words(p)} == exact


def test_a_title_with_every_word_asked_is_of_the_type():
    gifts = [Product("G1", "LUNCH BAG RED RETROSPOT"), Product("G2", "PARTY FOOD SHOPPER BAG"),
             Product("G3", "LUNCH BOX WITH CUTLERY")]  # fmt: skip
    assert {p.id for p in gifts if _reading("lunch bag", gifts).matches(p)} == {"G1", "G2"}
    assert {p.id for p in gifts if _reading("bag", gifts).matches(p)} == {"G2"}  # one word: the head decides


def test_category_segments_name_types_by_their_heads():
    sleeve = Product("s", "Skinzy Laptop Sleeve", category="Computers/Laptop Accessories/Sleeves & Skins")
    assert type_keys(sleeve) == {word_key(w) for w in ("computers", "sleeves", "skins", "sleeve")}
    assert _reading("laptop", [sleeve]).status != "typed"  # a store of laptop sleeves sells no laptops
    assert _reading("laptop sleeve", [sleeve]).status == "typed"


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


def test_a_vocabulary_counted_by_older_rules_is_recounted_on_load(tmp_path):
    index = CatalogIndex.build(HOME, tmp_path / "home", embedder=HashingEmbedder())
    store = index._store
    stale = index.vocabulary().to_dict() | {"types": {"乳胶": {"name": "乳胶", "count": 1}}}
    del stale["rules"]  # as indexes stored it before the rules were versioned
    store.set_meta("vocabulary", json.dumps(stale, ensure_ascii=False))
    index.close()
    reopened = CatalogIndex.load(tmp_path / "home", embedder=HashingEmbedder())
    try:
        assert reopened.vocabulary().to_dict() == build_vocabulary(HOME).to_dict()
    finally:
        reopened.close()


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


@pytest.mark.parametrize(
    ("query", "max_price", "shown", "cheapest"),
    [
        ("yoga pants", 45, [], ["P1"]),  # yoga pants cost 48: the workout pant is no yoga pant
        ("yoga pants", 60, ["P1"], None),
        ("pants", 49, ["P1"], None),  # no words beyond the type: any pant within the limit
    ],
)
def test_the_words_asked_hold_within_the_limits(sports, query, max_price, shown, cheapest):
    ctx = ToolContext(sports, memory=SessionMemory())
    result = search_products(ctx, query, max_price=max_price)
    assert [row["id"] for row in result["results"]] == shown
    assert [row["id"] for row in result.get("cheapest", [])] == (cheapest or [])
    if cheapest:
        assert result["none_of"] == query and result["within"] == {"max_price": max_price}


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


LUGGAGE = [
    Product("L1", "20寸 铝镁合金登机箱", "万向轮", "配件/功能箱包", price=859, currency="CNY", lang="zh"),
    Product("L2", "112升 纯PC拉链斜纹拉杆箱", "大容量", "配件/功能箱包", price=319, currency="CNY", lang="zh"),
    Product("C1", "日式记忆绵坐垫", "久坐不累", "居家/布艺软装", price=59, currency="CNY", lang="zh"),
    Product("C2", "安睡慢回弹记忆绵床垫", "慢回弹", "居家/被枕", price=599, currency="CNY", lang="zh"),
    Product("T1", "皇室御用超柔毛巾", "纯棉", "洗护/毛巾", price=39, currency="CNY", lang="zh"),
]  # fmt: skip


@pytest.fixture
def luggage(tmp_path):
    index = CatalogIndex.build(LUGGAGE, tmp_path / "luggage", embedder=HashingEmbedder())
    yield index
    index.close()


def _choice(scripted_model, luggage, query, answer):
    """Search ``query`` with the model answering the type choice with ``answer`` (kinds, or an error)."""
    if isinstance(answer, BaseException):
        scripted_model.enqueue_error(answer)
    else:
        scripted_model.enqueue_tool_call("MatchingTypes", {"kinds": answer})
    ctx = ToolContext(luggage, memory=SessionMemory(), texts=ProductTexts(luggage, scripted_model))
    return search_products(ctx, query), scripted_model.calls


@pytest.mark.parametrize(
    ("query", "answer", "shown", "not_carried"),
    [
        ("行李箱", ["拉杆箱", "登机箱"], {"L1", "L2"}, None),  # the model reads the meaning of 箱
        ("行李箱", ["拉杆箱"], {"L2"}, None),
        ("行李箱", ["都不是"], set(), "行李箱"),
        ("行李箱", RuntimeError("the model is gone"), set(), "行李箱"),  # the rules' reading stands
    ],
)
def test_the_model_reads_a_word_whose_head_the_store_has(
    scripted_model, luggage, query, answer, shown, not_carried
):
    result, calls = _choice(scripted_model, luggage, query, answer)
    assert {row["id"] for row in result["results"]} == shown
    assert result.get("not_carried") == not_carried
    offered = calls[0].messages[-1].content
    assert query in offered and "拉杆箱" in offered and "登机箱" in offered and "坐垫" not in offered


def test_the_model_is_asked_once_per_word(scripted_model, luggage):
    scripted_model.enqueue_tool_call("MatchingTypes", {"kinds": ["登机箱"]})
    texts = ProductTexts(luggage, scripted_model)
    for _ in range(2):
        result = search_products(ToolContext(luggage, memory=SessionMemory(), texts=texts), "行李箱")
        assert [row["id"] for row in result["results"]] == ["L1"]
    assert len(scripted_model.calls) == 1


def test_words_the_rules_read_do_not_ask_the_model(scripted_model, luggage):
    ctx = ToolContext(luggage, memory=SessionMemory(), texts=ProductTexts(luggage, scripted_model))
    assert [row["id"] for row in search_products(ctx, "拉杆箱")["results"]] == ["L2"]
    assert search_products(ctx, "口红")["not_carried"] == "口红"  # no type of the store ends in 红
    assert scripted_model.calls == []


@pytest.mark.parametrize(
    ("query", "shown"),
    [
        ("荞麦壳", set()),  # only in a description (the pillow's filling): none for sale
        ("舒服的荞麦壳", set()),
        ("保暖的", None),  # a describing word ranks, it names no thing a title must have
    ],
)
def test_a_chinese_noun_no_title_has_is_not_shown_as_a_match(tmp_path, query, shown):
    index = CatalogIndex.build(HOME, tmp_path / "home", embedder=HashingEmbedder())
    try:
        result = search_products(ToolContext(index, memory=SessionMemory()), query)
    finally:
        index.close()
    if shown is None:
        assert result["results"] and "no_match" not in result
    else:
        assert {row["id"] for row in result["results"]} == shown and result["no_match"]


def test_a_compound_the_rules_read_as_lacking_does_not_ask_the_model(scripted_model, luggage):
    ctx = ToolContext(luggage, memory=SessionMemory(), texts=ProductTexts(luggage, scripted_model))
    result = search_products(ctx, "瑜伽垫")  # 垫 heads 坐垫 and 床垫, but the store never says 瑜伽
    assert result["results"] == [] and scripted_model.calls == []


FURNITURE = [
    Product("F1", "Fabric Double Sofa Bed", "Opens into a bed.", "Furniture/Sofa Beds & Futons", price=9000,
            currency="INR"),
    Product("F2", "Shoebuzz Casuals", "Sofa-soft insole.", "Footwear/Casual Shoes", price=499, currency="INR"),
    Product("F3", "Skinzy Sleeve", "Fits a 15 inch laptop.", "Computers/Laptop Accessories/Sleeves", price=299,
            currency="INR"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("query", "shown"),
    [
        ("sofa", {"F1"}),  # no type, but a title names it: not the shoe whose description says sofa
        ("laptop", set()),  # a sleeve under Laptop Accessories is no laptop
        ("laptop sleeve", {"F3"}),
        ("something soft", None),  # a describing word ranks, it filters nothing
    ],
)
def test_an_untyped_thing_must_be_named_by_a_match(tmp_path, query, shown):
    index = CatalogIndex.build(FURNITURE, tmp_path / "furniture", embedder=HashingEmbedder())
    try:
        result = search_products(ToolContext(index, memory=SessionMemory()), query)
    finally:
        index.close()
    if shown is None:
        assert result["results"]
    else:
        assert {row["id"] for row in result["results"]} == shown


def test_an_untyped_thing_outside_the_limits_names_the_limit(tmp_path):
    index = CatalogIndex.build(FURNITURE, tmp_path / "furniture", embedder=HashingEmbedder())
    try:
        result = search_products(ToolContext(index, memory=SessionMemory()), "sofa", max_price=5000)
    finally:
        index.close()
    assert result["results"] == [] and result["none_of"] == "sofa"
    assert [row["id"] for row in result["cheapest"]] == ["F1"] and result["within"] == {"max_price": 5000}
