"""Guards, redaction, language detection and the deterministic reading of requests."""

from __future__ import annotations

import logging

import pytest

from assistant import Assistant
from assistant.guards import MAX_CHARS, RedactingFilter, check_message, redact
from assistant.intents import parse
from assistant.language import detect_language
from tools.context import SessionMemory


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("waterproof backpack", "en"),
        ("防水背包", "zh"),
        ("要 Nike 的跑鞋", "zh"),
        ("I like 包子 a lot really", "en"),
    ],
)
def test_detect_language(text, lang):
    assert detect_language(text) == lang


def test_language_without_letters_keeps_the_previous_one():
    assert detect_language("2", previous="zh") == "zh"
    assert detect_language("$60?", previous="en") == "en"


@pytest.mark.parametrize(
    ("text", "lang", "kind", "answer"),
    [
        ("", "en", "empty", "What are you shopping for"),
        ("   ", "zh", "empty", "想找什么"),
        ("you stupid bot", "en", "abusive", "keep it friendly"),
        ("你是白痴", "zh", "abusive", "文明"),
        ("write me a poem about cats", "en", "off_topic", "only help with shopping"),
        ("明天天气怎么样", "zh", "off_topic", "只能帮您购物"),
    ],
)
def test_guards_answer_politely(text, lang, kind, answer):
    result = check_message(text, lang)
    assert result.kind == kind and answer in result.answer


def test_shopping_messages_pass_the_guards():
    for text in ("shorts for hot weather", "is the duffle bag stupid big?", "跑步短裤"):
        assert check_message(text, "en").answer is None


def test_huge_message_is_truncated_with_notice(scripted_model, demo_index):
    assistant = Assistant(scripted_model, demo_index)
    reply = assistant.reply("web:u", "backpack under $60 " + "very " * 2000)
    assert reply.notices and "first 1,000 characters" in reply.text
    assert reply.tool_calls[0].args["max_price"] == 60
    assert len(assistant.history("web:u")[0][1]) <= MAX_CHARS


def test_guarded_turns_skip_the_model(scripted_model, demo_index):
    assistant = Assistant(scripted_model, demo_index)
    for text in ("", "fuck you", "tell me a joke"):
        reply = assistant.reply("web:u", text)
        assert reply.path == "guard" and reply.text
    assert scripted_model.calls == []


@pytest.mark.parametrize(
    ("text", "hidden", "tag"),
    [
        ("mail me at jane.doe+shop@example.co.uk please", "jane.doe", "[email]"),
        ("call +1 (415) 555-0133 tonight", "555-0133", "[phone]"),
        ("我的手机13812345678", "13812345678", "[phone]"),
        ("card 4111 1111 1111 1111 exp 12/29", "4111 1111", "[card]"),
        ("ship to 221 Baker Street, London", "221 Baker Street", "[address]"),
        ("寄到中山路100号", "中山路100号", "[address]"),
    ],
)
def test_redact(text, hidden, tag):
    redacted = redact(text)
    assert hidden not in redacted and tag in redacted


def test_redact_keeps_prices_and_ids():
    text = "the MH01 hoodie costs $52.00, order 12345"
    assert redact(text) == text


def test_logs_are_redacted(caplog):
    logger = logging.getLogger("test.redaction")
    logger.addFilter(RedactingFilter())
    with caplog.at_level(logging.INFO, logger="test.redaction"):
        logger.info("user said %s", "my email is a@b.com")
    assert "a@b.com" not in caplog.text and "[email]" in caplog.text


SHOWN = SessionMemory(
    shown=[
        {"id": "MH01", "title": "Chaz Kangeroo Hoodie", "price": 52.0},
        {"id": "MJ01", "title": "Beaumont Summit Kit", "price": 42.0},
        {"id": "MJ02", "title": "Hyperion Elements Jacket", "price": 51.0},
    ],
    last_search={"query": "jacket"},
)


@pytest.mark.parametrize(
    ("text", "kind", "refs"),
    [
        ("the first one", "details", ["MH01"]),
        ("第二个", "details", ["MJ01"]),
        ("tell me about that jacket", "details", ["MJ02"]),
        ("the last one", "details", ["MJ02"]),
        ("compare the first two", "compare", ["MH01", "MJ01"]),
        ("比较一下前两个", "compare", ["MH01", "MJ01"]),
        ("compare 1 and 3", "compare", ["MH01", "MJ02"]),
        ("what do reviews say about the second one?", "reviews", ["MJ01"]),
        ("第三个的评价怎么样", "reviews", ["MJ02"]),
        ("something similar to the first one", "similar", ["MH01"]),
        ("cheaper?", "cheaper", []),
        ("便宜点的", "cheaper", []),
        ("in black?", "color", []),
        ("/reset", "reset", []),
        ("what do you remember?", "remember", []),
        ("forget my size", "forget", []),
        ("my size is M", "prefs", []),
        ("is it warm enough for winter?", "chat", []),
        ("thanks!", "thanks", []),
        ("谢谢", "thanks", []),
        ("hello", "greeting", []),
    ],
)
def test_parse(text, kind, refs):
    intent = parse(text, SHOWN)
    assert intent.kind == kind
    assert intent.refs == refs


def test_parse_obvious_search():
    intent = parse("I need a waterproof hiking backpack under $60", SessionMemory())
    assert (intent.kind, intent.query, intent.max_price) == ("search", "waterproof hiking backpack", 60.0)
    zh = parse("帮我找100元以下的防水背包", SessionMemory())
    assert (zh.kind, zh.query, zh.max_price, zh.currency) == ("search", "防水背包", 100.0, "CNY")
    assert parse("shoes", SessionMemory()).kind == "chat"  # too vague for a rule: the model may ask


@pytest.mark.parametrize(
    ("text", "query"),
    [
        ("im looking for a yellow casual sports blazer", "yellow casual sports blazer"),
        ("I\u2019m looking for running shorts", "running shorts"),  # a phone's apostrophe
        ("i am interested in an intel core computer with 4gb of ram", "intel core computer with 4gb of ram"),
        ("Im shopping for a yoga mat", "yoga mat"),
    ],
)
def test_parse_search_openers_as_people_type_them(text, query):
    intent = parse(text, SessionMemory())
    assert (intent.kind, intent.query) == ("search", query)


def test_transcripts_are_redacted(scripted_model, demo_index):
    assistant = Assistant(scripted_model, demo_index)
    assistant.reply("web:u", "my size is M, mail me at jo@example.com")
    assert "jo@example.com" in assistant.history("web:u")[0][1]  # the model needs the words...
    transcript = assistant.transcript("web:u")
    assert "jo@example.com" not in transcript and "user: my size is M, mail me at [email]" in transcript
