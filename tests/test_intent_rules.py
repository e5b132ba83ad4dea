"""The rule table of :mod:`assistant.intents`: for each rule, messages that fire it and
counter-examples that must not, with the rule that wins instead; and the precedence check that
at most one rule of the winning tier ever holds, so the table's order decides nothing."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from assistant import intents
from assistant.intents import RULES, Intent, Rule, parse, read_message
from index.lexical import tokens
from index.product_types import TypeRequest, read_type_request
from index.schema import Product
from index.title_match import TitleMatcher
from index.vocabulary import build_vocabulary, word_key
from tools.context import SessionMemory

SHOWN = [
    {"id": "MH01", "title": "Chaz Kangeroo Hoodie", "price": 52.0},
    {"id": "MJ01", "title": "Beaumont Summit Kit", "price": 42.0},
    {"id": "MJ02", "title": "Hyperion Elements Jacket", "price": 51.0},
]
MEMORIES: dict[str, Callable[[], SessionMemory]] = {
    "new": SessionMemory,  # a first message
    "shown": lambda: SessionMemory(shown=list(SHOWN), last_search={"query": "jacket"}),  # after a search
    # we asked what they are looking for, after "something under $50"
    "pending": lambda: SessionMemory(clarifying={"max_price": 50.0, "currency": "USD"}),
    # we asked a merchant for the offer of their campaign / a merchant's campaign was saved
    "drafting": lambda: SessionMemory(campaign={"draft": {"lang": "en", "asked": "backpacks"}}),
    "campaigned": lambda: SessionMemory(campaign={"name": "Singles' Day 2027"}),
}
IDS = {"MH01", "MJ01", "MJ02", "MS05"}  # typed ids the catalog knows (MS05 is not shown)

# the store the messages are read against: its titles are named products, its types searches
STORE = [
    Product("S1", "Yoga Strap", "Cotton strap.", "Gear/Fitness"), Product("B1", "Wayfarer Bag", "", "Gear/Bags"),
    Product("W1", "Summit Watch", "Steel.", "Gear/Watches"), Product("D1", "Joust Duffle Bag", "", "Gear/Bags"),
    Product("D2", "Impulse Duffle", "", "Gear/Bags"), Product("K1", "Crown Summit Backpack", "", "Gear/Bags"),
    Product("J1", "Juno Rain Jacket", "Waterproof.", "Women/Tops/Jackets"),
    Product("H1", "Hero Hoodie", "Fleece.", "Men/Tops/Hoodies"),
]  # fmt: skip
TITLES = TitleMatcher([(p.id, p.title) for p in STORE if p.id in {"S1", "B1", "W1", "D1", "D2"}])
_VOCABULARY = build_vocabulary(STORE)
_USED = {t for p in STORE for t in tokens(f"{p.title} {p.description} {p.category}")}


def product_type(query: str) -> TypeRequest:
    """What kind of product ``query`` names in :data:`STORE` (as the catalog reads it)."""
    titles = {word_key(t) for p in STORE for t in tokens(p.title)}
    return read_type_request(query, _VOCABULARY, lambda ws: any(w.casefold() in _USED for w in ws),
                             lambda w: word_key(w) in titles)  # fmt: skip


# rule -> messages (and the memory they are read against) that make it hold and win
FIRES: dict[str, list[tuple[str, str]]] = {
    "reset": [("/reset", "shown"), ("重置", "new"), (" Reset ", "new")],
    "remember": [("what do you remember?", "shown"), ("你记得什么", "new"),
                 ("forget my size. what do you know about me?", "new")],
    "forget": [("forget my size", "shown"), ("忘掉我的预算", "new"), ("forget everything", "pending")],
    "promo": [("write an Instagram caption for the first one", "shown"), ("给第一个写朋友圈文案", "shown"),
              ("write a slogan for the Summit Watch", "new"), ("write the selling points of #2", "shown")],
    "campaign": [("write a Singles' Day post for all our backpacks, 20% off", "new"),
                 ("双十一所有背包8折，写小红书笔记", "shown"), ("Black Friday email for bags under $50, $10 off", "new"),
                 ("20% off", "drafting"), ("all backpacks", "drafting"),
                 ("write a new campaign email: 10% off all jackets", "campaigned")],
    "campaign_more": [("continue", "campaigned"), ("继续", "campaigned"), ("write more", "campaigned")],
    "analytics": [("review analytics across all products", "new"), ("差评最多的商品", "new"),
                  ("worst-reviewed products in Men/Tops/Hoodies", "shown")],
    "greeting": [("hello", "shown"), ("good morning!", "new"), ("你好！", "new"), ("在吗？", "pending")],
    "thanks": [("thanks!", "shown"), ("ok", "new"), ("谢谢", "new"), ("bye", "pending")],
    "cheaper": [("cheaper?", "shown"), ("便宜点的", "shown"), ("too expensive, anything under $40?", "shown"),
                ("which is cheaper, the first or the second?", "shown")],
    "colour": [("in black?", "shown"), ("do you have it in navy?", "shown"), ("有白色的吗？", "shown"),
               ("黑色的吗", "shown")],
    "compare": [("compare the first two", "shown"), ("比较一下前两个", "shown"), ("MH01 vs MJ02", "new"),
                ("the first one or the last one?", "shown"), ("Joust Duffle Bag or Impulse Duffle?", "new"),
                ("compare the reviews of the first two", "shown")],
    "sentiment": [("how many positive reviews does the first one have?", "shown"), ("第二个好评率多少", "shown"),
                  ("is the last one mostly positive?", "shown")],
    "reviews": [("what do reviews say about the second one?", "shown"), ("第三个的评价怎么样", "shown"),
                ("pros and cons of the third one", "shown"), ("what do customers think of that hoodie", "shown")],
    "similar": [("something similar to the first one", "shown"), ("alternatives to the second one under $40", "shown"),
                ("推荐类似第一个的", "shown")],
    "details": [("the first one", "shown"), ("第二个", "shown"), ("tell me about that jacket", "shown"),
                ("is MS05 waterproof?", "new"), ("the Wayfarer?", "new"), ("#3", "shown")],
    "clarify": [("something under $50", "new"), ("推荐点东西", "new"), ("something nice for my mom under $40", "new"),
                ("show me something rated 4+", "shown")],
    "for_you": [("gift ideas under $20", "new"), ("a gift for my mom under $40", "new"),
                ("what else would I like?", "shown"), ("推荐点我会喜欢的", "new"), ("猜我喜欢", "pending"),
                ("recommend something for me", "new"), ("送礼 200元以内的杯子", "new")],
    "goes_with": [("what goes with the second one?", "shown"), ("第一个配什么", "shown"),
                  ("complete the look with that jacket", "shown"), ("what can I wear with MS05?", "new")],
    "bought_together": [("what do people also buy with the first one?", "shown"),
                        ("frequently bought with the Summit Watch?", "new"), ("买第二个的人还买了什么", "shown")],
    "buyers": [("who buys the first one?", "shown"), ("谁在买MS05", "new"),
               ("which customers bought the Summit Watch", "new")],
    "pairs": [("which products are bought together?", "new"), ("哪些商品经常一起买", "shown"),
              ("what is bought together most", "new")],
    "forget_me": [("forget me", "shown"), ("please delete my data", "new"), ("忘记我", "new")],
    "answer": [("a backpack", "pending"), ("防水背包", "pending"), ("red ones rated 4 stars", "pending")],
    "search": [("waterproof backpack under $60", "new"), ("帮我找100元以下的防水背包", "new"),
               ("I need a hoodie", "shown"), ("im looking for a yellow blazer", "new"),
               ("something under $50", "pending"), ("a backpack under $60?", "pending"),
               # little but a type the store sells, in a first message as later
               ("rain jackets", "new"), ("a backpack", "new"), ("black hoodies?", "shown"),
               ("do you sell hoodies?", "new")],
    "prefs": [("my size is M", "shown"), ("我喜欢黑色", "new"), ("I hate Nike", "new"), ("budget $80", "pending")],
}  # fmt: skip

# rule -> (message, memory, the rule that wins instead or "chat"): counter-examples
DOES_NOT_FIRE: dict[str, list[tuple[str, str, str]]] = {
    "reset": [("reset my password please", "new", "chat"), ("重置密码", "new", "chat")],
    "remember": [("remember my size is M", "new", "prefs"), ("do you remember the first one?", "shown", "chat")],
    "forget": [("don't forget the charger", "new", "chat"), ("别忘了带充电器", "new", "chat"),
               ("don't forget my size", "new", "chat"), ("别忘记我的尺码", "new", "chat")],
    "promo": [("what are the selling points of the Summit Watch?", "new", "chat"),
              ("tell me about the first one", "shown", "details")],
    "campaign": [("any Black Friday deals on backpacks?", "new", "search"), ("is the duffle bag on sale?", "new", "chat"),
                 ("write an Instagram caption for the first one", "shown", "promo"),
                 ("continue", "campaigned", "campaign_more")],
    "campaign_more": [("continue", "new", "chat"), ("continue", "drafting", "campaign")],
    "analytics": [("review the second one", "shown", "reviews"),
                  ("write a blurb about review stats across products", "new", "promo")],
    "greeting": [("hi, I need a backpack under $60", "new", "search"), ("hello, compare the first two", "shown", "compare")],
    "thanks": [("thanks, compare the first two", "shown", "compare"), ("ok, cheaper?", "shown", "cheaper")],
    "cheaper": [("cheaper?", "new", "chat"), ("cheaper?", "pending", "chat")],  # no search to change
    "colour": [("in black?", "new", "chat"), ("in magenta?", "shown", "chat"),
               ("black hoodies in stock?", "shown", "search")],  # not the whole message
    "compare": [("compare the first one", "shown", "details"), ("which one is waterproof?", "shown", "chat"),
                ("is the first one better?", "shown", "chat"),  # "better" needs two products
                ("Joust or Impulse?", "new", "chat")],  # two partial titles: not sure enough to compare
    "sentiment": [("how many positive reviews?", "new", "chat"),
                  ("compare the sentiment of the first two", "shown", "compare")],
    "reviews": [("what do reviews say about the second one?", "new", "chat"),  # nothing shown
                ("what do people say about backpacks?", "new", "chat"),
                ("how many negative reviews does the last one have", "shown", "sentiment")],
    "similar": [("something similar", "new", "chat"), ("recommend a tent under $100", "new", "search"),
                ("reviews of something similar to the first one", "shown", "reviews")],
    "details": [("tell me more about your shipping", "new", "chat"), ("I need a strap", "new", "search"),
                ("something similar to the first one", "shown", "similar")],
    "for_you": [("recommend me a backpack under $50", "new", "search"), ("gift ideas for the first one", "shown", "chat"),
                ("something similar to the first one", "shown", "similar"), ("a gift card balance?", "new", "chat")],
    "goes_with": [("what goes with a black hoodie?", "new", "chat"),  # no product of ours named
                  ("compare what goes with the first two", "shown", "compare"),
                  ("do people also buy the first one?", "shown", "bought_together")],
    "bought_together": [("what goes with the first one?", "shown", "goes_with"),
                        ("bought together with what?", "new", "chat")],
    "buyers": [("who buys hoodies?", "new", "chat"), ("write an Instagram caption for who buys the first one", "shown", "promo")],
    "pairs": [("which products are bought together with the first one?", "shown", "bought_together")],
    "forget_me": [("forget my size", "new", "forget"), ("don't forget me", "new", "chat"), ("别忘记我", "new", "chat"),
                  ("what do you remember? forget me after", "new", "remember")],
    "clarify": [("waterproof backpack under $60", "new", "search"), ("something under $50", "pending", "search"),
                ("something like the first one under $50", "shown", "similar")],
    "answer": [("a backpack", "new", "search"), ("a backpack under $60?", "pending", "search"),
               ("something nice", "pending", "chat")],
    "search": [("something under $50", "new", "clarify"), ("do you have a return policy?", "new", "chat"),
               ("show me the first one", "shown", "chat"), ("shoes", "new", "chat"),  # not a type of the store
               ("背包", "new", "chat"),  # translated: the model reads it
               ("do you ship jackets to Canada?", "new", "chat"),  # service
               ("is a rain jacket warm enough for a winter hike in the Alps?", "new", "chat"),  # not short
               ("reviews of jackets", "new", "chat"), ("compare hoodies and jackets", "new", "chat"),
               ("is a hoodie good for winter?", "new", "chat"), ("how warm are the rain jackets", "new", "chat")],
    "prefs": [("show me hoodies, my size is M", "new", "search"), ("is size M too small?", "new", "chat"),
              ("budget $80", "new", "clarify")],
}  # fmt: skip

# counter-examples the rules still get wrong: strict, so a fix shows up here
KNOWN_GAPS = [
    ("search", "what is your return policy for orders under $60", "new", "a price limit outweighs the service words"),
    ("promo", "do you have instagram", "new", "any mention of Instagram reads as a request for copy"),
]  # fmt: skip


def read(message: str, memory_name: str) -> tuple[list[Rule], Intent]:
    """The rules that hold for ``message`` and the intent :func:`parse` gives it (hooks: the
    typed ids of ``IDS``, the titles of ``TITLES``)."""
    memory = MEMORIES[memory_name]()
    is_product_id, named = IDS.__contains__, TITLES.find
    reading = read_message(message, memory, is_product_id, named, product_type)
    held = [rule for rule in RULES if rule.when(reading, memory)]
    return held, parse(message, MEMORIES[memory_name](), is_product_id, named, product_type)


def names(rules: list[Rule]) -> list[str]:
    return [rule.name for rule in rules]


def winner(held: list[Rule]) -> str:
    return max(held, key=lambda rule: rule.tier).name if held else "chat"


def kind_of(rule_name: str) -> str:
    """The intent kind a rule builds (``answer`` completes a search, ``colour`` is ``color``)."""
    return {"answer": "search", "colour": "color"}.get(rule_name, rule_name)


@pytest.mark.parametrize(
    ("rule", "message", "memory"),
    [(rule, message, memory) for rule, cases in FIRES.items() for message, memory in cases],
)
def test_rule_fires(rule: str, message: str, memory: str) -> None:
    held, intent = read(message, memory)
    assert rule in names(held)
    assert (winner(held), intent.kind) == (rule, kind_of(rule))


@pytest.mark.parametrize(
    ("rule", "message", "memory", "instead"),
    [(rule, *case) for rule, cases in DOES_NOT_FIRE.items() for case in cases],
)
def test_rule_does_not_fire(rule: str, message: str, memory: str, instead: str) -> None:
    held, intent = read(message, memory)
    assert rule not in names(held)
    assert (winner(held), intent.kind) == (instead, kind_of(instead))


@pytest.mark.parametrize(("rule", "message", "memory", "why"), KNOWN_GAPS)
@pytest.mark.xfail(strict=True, reason="a known gap of the rules")
def test_known_gaps(rule: str, message: str, memory: str, why: str) -> None:
    held, _ = read(message, memory)
    assert rule not in names(held), why


MESSAGES = sorted(
    {message for cases in FIRES.values() for message, _ in cases}
    | {message for cases in DOES_NOT_FIRE.values() for message, *_ in cases}
)


def test_at_most_one_rule_of_the_winning_tier_holds() -> None:
    """Rules of one tier exclude each other, for every message here in every memory."""
    for message in MESSAGES:
        for memory in MEMORIES:
            held, _ = read(message, memory)
            top = [rule.name for rule in held if rule.tier == max(r.tier for r in held)]
            assert len(top) <= 1, (message, memory, top)


def test_every_rule_has_examples_and_counter_examples() -> None:
    declared = names(list(RULES))
    assert len(set(declared)) == len(declared)
    assert set(FIRES) == set(DOES_NOT_FIRE) == set(declared)
    assert all(rule.doc for rule in RULES)


def test_an_answer_completes_the_pending_limits() -> None:
    _, intent = read("a backpack", "pending")
    assert (intent.query, intent.max_price, intent.currency) == ("backpack", 50.0, "USD")
    _, own = read("a backpack under 30 euros", "pending")
    assert (own.max_price, own.currency) == (30.0, "EUR")


def test_the_order_of_the_table_decides_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    before = [read(message, memory)[1] for message in MESSAGES for memory in MEMORIES]
    monkeypatch.setattr(intents, "RULES", RULES[::-1])
    assert [read(message, memory)[1] for message in MESSAGES for memory in MEMORIES] == before


@pytest.mark.parametrize(
    ("message", "refs"),
    [
        ("compare the first two", ["MJ02", "MH01"]),  # in the order shown, not by id
        ("compare the second and the first", ["MH01", "MJ02"]),  # in the order named
        ("the last one", ["MJ01"]),
    ],
)
def test_references_keep_the_order_shown_and_named(message: str, refs: list[str]) -> None:
    shown = [{"id": "MJ02", "title": "Hyperion Elements Jacket"}, {"id": "MH01", "title": "Chaz Kangeroo Hoodie"},
             {"id": "MJ01", "title": "Beaumont Summit Kit"}]  # fmt: skip
    assert intents.resolve_references(message, SessionMemory(shown=shown)) == refs


HOME = [
    Product("Q1", "手工蚕丝被", "桑蚕丝", "居家/被枕", lang="zh"),
    Product("Q2", "高山苦荞麦枕", "荞麦壳", "居家/被枕", lang="zh"),
]
_HOME_WORDS = {t for p in HOME for t in tokens(f"{p.title} {p.description} {p.category}")}


@pytest.mark.parametrize(
    ("message", "names_type"),
    [
        ("蚕丝被", True),
        ("有蚕丝被吗", True),  # "do you have": asks for the products
        ("有没有荞麦枕", True),
        ("蚕丝被好用吗", False),  # a question about them is the model's
        ("蚕丝被多少钱", False),
        ("怎么洗蚕丝被", False),
    ],
)
def test_a_chinese_message_naming_a_type(message: str, names_type: bool) -> None:
    vocabulary = build_vocabulary(HOME)

    def home_type(query: str) -> TypeRequest:
        return read_type_request(
            query, vocabulary, lambda ws: any(w in _HOME_WORDS for w in ws), lambda w: False
        )

    assert read_message(message, SessionMemory(), None, None, home_type).names_type is names_type
