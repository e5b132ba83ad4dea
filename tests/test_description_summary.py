"""Description summaries: extracted from the catalog's words, written by a scripted model and
checked against the facts, cached per product and language."""

from __future__ import annotations

import html
import json
import logging
import re
import threading
from dataclasses import replace

import pytest
from langchain_core.messages import AIMessage

from assistant import templates
from assistant.assistant import Assistant
from assistant.models.errors import ModelLoadError
from assistant.reply import ProductCard
from index.ingest import load_products
from index.schema import Product
from tools.context import ToolContext
from tools.description_summary import (
    LINE_CHARS,
    MAX_LINES,
    TOOL_NAME,
    description_lines,
    extractive_summary,
    summary_facts,
    write_summary,
)
from tools.product_texts import DESCRIPTION_SUMMARY, ProductTexts
from tools.shopping import get_product, search_products
from tools.text_cache import TextCache

HOODIE_START = (
    "Ideal for cold-weather training or work outdoors, the Chaz Hoodie promises superior warmth with "
    "every wear. Thick material blocks out the wind as ribbed cuffs and bottom band seal in body heat."
)
ZH_HOODIE = "Chaz 连帽衫，厚实面料挡风保暖。"


@pytest.fixture(scope="module")
def products(demo_store) -> list[Product]:
    return load_products(demo_store / "luma_products.jsonl", None, False, None).records


def as_html(description: str) -> str:
    """A demo description as a shop's HTML: paragraphs, a bullet list, escaped entities."""
    parts = []
    for line in description.splitlines():
        if line.strip().startswith("•"):
            parts.append(f"<ul><li>{html.escape(line.strip()[1:].strip())}</li></ul>")
        else:
            parts.append(f"<p>{html.escape(line)}</p>")
    return "\n".join(parts)


# -- extractive ---------------------------------------------------------------------------------


def test_extractive_summaries_of_every_demo_product(products):
    for product in products:
        for limit in (60, 120, 200, 400):
            summary = extractive_summary(product, limit)
            assert 0 < len(summary) <= limit, (product.id, limit)
            assert "\n" not in summary and "•" not in summary and "  " not in summary
            flat = squash(" ".join(description_lines(product.description)))
            if summary.endswith("…"):  # one sentence longer than the limit, cut at a word
                assert flat.startswith(squash(summary[:-1])), product.id
            else:  # whole sentences from the start (bullets end with a full stop)
                assert summary[-1] in ".!?" and flat.startswith(squash(summary)), product.id


def squash(text: str) -> str:
    return re.sub(r"[\s.,;:]", "", text)


def test_html_descriptions_give_the_same_summary(products):
    for product in products:
        shop_html = replace(product, description=as_html(product.description))
        summary = extractive_summary(shop_html)
        assert summary == extractive_summary(product), product.id
        assert not re.search(r"<[a-z/]|&[a-z#0-9]+;", summary)


def test_sentence_boundaries(products):
    hoodie = next(p for p in products if p.id == "MH01")
    assert extractive_summary(hoodie) == HOODIE_START
    assert extractive_summary(hoodie, 150) == HOODIE_START.split(". ")[0] + "."
    assert extractive_summary(hoodie, 40) == "Ideal for cold-weather training or work…"
    chinese = Product(
        id="Z1", title="连帽衫", description="<p>保暖的连帽衫。采用羊毛&amp;棉！</p>• 机洗", lang="zh"
    )
    assert extractive_summary(chinese) == "保暖的连帽衫。采用羊毛&棉！机洗。"
    assert extractive_summary(chinese, 8) == "保暖的连帽衫。"


def test_without_a_description_a_line_of_attributes():
    bag = Product(
        id="B1", title="Bag", category="Gear/Bags", attributes={"material": "Nylon|Polyester", "color": "Red"}
    )
    assert extractive_summary(bag) == "Bags; material: Nylon, Polyester; color: Red"
    assert extractive_summary(Product(id="B2", title="Bag")) == ""


# -- written by the model -----------------------------------------------------------------------


def summary_reply(*lines: str) -> AIMessage:
    """A scripted model turn: the DescriptionSummary call with these lines."""
    return AIMessage("", tool_calls=[{"name": TOOL_NAME, "args": {"lines": list(lines)}, "id": "s1"}])


def test_prompt_holds_only_the_products_facts_and_the_language(products, scripted_model):
    duffle = next(p for p in products if p.id == "24-WB07")
    scripted_model.enqueue(summary_reply("Overnight 旅行包，防水外层，双提手。"))
    summary = write_summary(duffle, scripted_model, "zh")
    assert (summary.text, summary.lang, summary.source, summary.repaired) == (
        "Overnight 旅行包，防水外层，双提手。",
        "zh",
        "model",
        False,
    )  # "防水" is backed by "waterproof" in the English facts
    call = scripted_model.last_call
    system, user = (message.content for message in call.messages)
    assert "简体中文" in system and duffle.title not in system
    assert user == f"<facts>\n{summary_facts(duffle)}\n</facts>\n请用简体中文写简介。"
    assert (
        duffle.title in user
        and "waterproof exterior" in user
        and "material: Leather, Nylon, Polyester" in user
    )
    assert f"{duffle.price:g}" not in user  # no price: summaries are cached, prices change
    assert not any(p.title in user for p in products if p.id != duffle.id and p.title not in duffle.title)
    assert call.tool_names == [TOOL_NAME] and call.tool_choice == TOOL_NAME
    lines = call.tools[0]["function"]["parameters"]["properties"]["lines"]
    assert lines["maxItems"] == MAX_LINES and lines["items"]["maxLength"] == LINE_CHARS


def test_an_invented_number_or_claim_is_removed(products, scripted_model):
    hoodie = next(p for p in products if p.id == "MH01")
    scripted_model.enqueue(summary_reply(ZH_HOODIE, "现价仅需 39 美元。", "经过认证的有机面料。"))
    summary = write_summary(hoodie, scripted_model, "zh")
    assert (summary.text, summary.source, summary.repaired) == (ZH_HOODIE, "model", True)


def test_a_line_in_the_wrong_language_or_repeating_the_title_is_dropped(products, demo_index, scripted_model):
    hoodie = next(p for p in products if p.id == "MH01")
    scripted_model.enqueue(summary_reply("A warm wool hoodie.", ZH_HOODIE))
    summary = write_summary(hoodie, scripted_model, "zh")
    assert (summary.text, summary.repaired) == (ZH_HOODIE, True)
    scripted_model.enqueue(summary_reply("Chaz Kangeroo Hoodie", ZH_HOODIE))  # the title: not a problem
    summary = write_summary(hoodie, scripted_model, "zh")
    assert (summary.text, summary.repaired) == (ZH_HOODIE, False)
    scripted_model.enqueue(summary_reply("Helios EverCool™ Tee", "短袖T恤"))  # the title is "...&trade; Tee"
    summary = write_summary(demo_index.get("MS05"), scripted_model, "zh")
    assert (summary.text, summary.repaired) == ("短袖T恤", False)


def test_lines_cut_off_by_the_length_cap_end_at_a_sentence(demo_index, scripted_model):
    sentence = "适合健身房和徒步旅行的背包。"
    cut_off = (sentence * 4 + "采用尼龙和聚酯材料制成，具有防水、轻便等特性，肩带可以调节，还有")[:LINE_CHARS]
    scripted_model.enqueue(summary_reply(cut_off, "+", "双肩背带" * 30))
    summary = write_summary(demo_index.get("24-MB03"), scripted_model, "zh")
    assert summary.text.splitlines() == [sentence * 4, "双肩背带" * 19 + "双肩…"]
    assert not summary.repaired  # nothing was wrong with the facts or the language


def test_nothing_sound_left_gives_the_extractive_summary(products, scripted_model):
    hoodie = next(p for p in products if p.id == "MH01")
    scripted_model.enqueue(summary_reply("5 年质保，100% 防水。"))
    summary = write_summary(hoodie, scripted_model, "zh")
    assert (summary.text, summary.lang, summary.source) == (HOODIE_START, "en", "extract")


def test_no_tool_call_raises(products, scripted_model):
    hoodie = next(p for p in products if p.id == "MH01")
    scripted_model.enqueue_tool_call(TOOL_NAME, {"lines": []})
    with pytest.raises(ValueError, match="did not call DescriptionSummary"):
        write_summary(hoodie, scripted_model, "zh")


# -- cached per product and language ------------------------------------------------------------


def test_written_once_then_read_from_the_cache(demo_index, scripted_model, tmp_path):
    hoodie = demo_index.get("MH01")
    texts = ProductTexts(
        demo_index, scripted_model, cache=TextCache(tmp_path / "texts.sqlite"), model_name="m"
    )
    assert texts.description_summary(hoodie, "zh", generate=False).source == "extract"
    assert scripted_model.calls == []  # never a model call without generate
    scripted_model.enqueue(summary_reply(ZH_HOODIE))
    first = texts.description_summary(hoodie, "zh", generate=True)
    assert (first.text, first.lang, first.source) == (ZH_HOODIE, "zh", "model")
    for generate in (True, False):
        again = texts.description_summary(hoodie, "zh", generate=generate)
        assert (again.text, again.lang, again.source) == (ZH_HOODIE, "zh", "cache")
    reopened = ProductTexts(
        demo_index, scripted_model, cache=TextCache(tmp_path / "texts.sqlite"), model_name="m"
    )
    assert reopened.description_summary(hoodie, "zh", generate=True).text == ZH_HOODIE
    assert len(scripted_model.calls) == 1 and texts.cache.count(DESCRIPTION_SUMMARY) == 1
    # another description, or another model, is another summary
    scripted_model.enqueue(summary_reply("新的连帽衫。"), summary_reply("另一个模型写的。"))
    changed = replace(hoodie, description="A new hoodie.")
    assert texts.description_summary(changed, "zh", generate=True).text == "新的连帽衫。"
    other = ProductTexts(demo_index, scripted_model, cache=texts.cache, model_name="other")
    assert other.description_summary(hoodie, "zh", generate=True).text == "另一个模型写的。"
    assert len(scripted_model.calls) == 3


def test_same_language_needs_no_model(demo_index, scripted_model):
    texts = ProductTexts(demo_index, scripted_model)
    summary = texts.description_summary(demo_index.get("MH01"), "en", generate=True)
    assert (summary.text, summary.lang, summary.source) == (HOODIE_START, "en", "extract")
    chinese = Product(id="Z1", title="连帽衫", description="保暖的连帽衫。", lang="zh-CN")
    assert texts.description_summary(chinese, "zh", generate=True).text == "保暖的连帽衫。"
    assert scripted_model.calls == []


def test_a_model_failure_is_logged_and_answered_with_the_extract(demo_index, scripted_model, caplog):
    texts = ProductTexts(demo_index, scripted_model)
    hoodie = demo_index.get("MH01")
    scripted_model.enqueue_error(TimeoutError("the model took too long"))
    with caplog.at_level(logging.WARNING, logger="tools.product_texts"):
        summary = texts.description_summary(hoodie, "zh", generate=True)
    assert (summary.text, summary.lang, summary.source) == (HOODIE_START, "en", "extract")
    assert "description summary of MH01 failed" in caplog.text and "took too long" in caplog.text
    scripted_model.enqueue(summary_reply(ZH_HOODIE))  # a failure is not cached: the next call tries again
    assert texts.description_summary(hoodie, "zh", generate=True).text == ZH_HOODIE


def test_a_fallback_is_cached_too(demo_index, scripted_model):
    """At temperature 0 the model would write the same unsound text again: ask it once."""
    texts = ProductTexts(demo_index, scripted_model)
    hoodie = demo_index.get("MH01")
    scripted_model.enqueue(summary_reply("5 年质保。"))
    assert texts.description_summary(hoodie, "zh", generate=True).source == "extract"
    again = texts.description_summary(hoodie, "zh", generate=True)
    assert (again.text, again.lang, again.source) == (HOODIE_START, "en", "cache")
    assert len(scripted_model.calls) == 1


# -- on cards and in details --------------------------------------------------------------------


def test_search_cards_carry_a_summary_without_a_model_call(demo_index, scripted_model):
    ctx = ToolContext(catalog=demo_index, lang="zh", texts=ProductTexts(demo_index, scripted_model))
    result = search_products(ctx, "hoodie")
    cards = ctx.shown_this_turn
    assert len(cards) == len(result["results"]) > 0
    for shown in cards:  # the catalog's (English) words: no model call while listing
        assert shown["summary"] == extractive_summary(demo_index.get(shown["id"]))
        assert ProductCard(**shown).summary == shown["summary"]
    assert "summary" not in json.dumps(result) and "description" not in json.dumps(result)
    assert scripted_model.calls == []
    without_texts = ToolContext(catalog=demo_index, lang="zh")
    search_products(without_texts, "hoodie")
    assert [c["summary"] for c in without_texts.shown_this_turn] == [""] * len(cards)


def test_details_in_chinese_are_written_once_after_the_card_is_shown(demo_index, scripted_model):
    texts = ProductTexts(demo_index, scripted_model)
    scripted_model.enqueue(summary_reply(ZH_HOODIE))
    model_calls_at_card = []
    for card_summary in (HOODIE_START, ZH_HOODIE):  # the first card cannot wait for the writing
        ctx = ToolContext(catalog=demo_index, lang="zh", texts=texts,
                          on_cards=lambda cards: model_calls_at_card.append(len(scripted_model.calls)))  # fmt: skip
        detail = get_product(ctx, "MH01")
        assert detail["summary"] == ZH_HOODIE and ctx.shown_this_turn[0]["summary"] == card_summary
        reply = templates.details(detail, "zh")
        assert reply.splitlines()[2] == ZH_HOODIE and "Ideal" not in reply
    assert len(scripted_model.calls) == 1
    assert model_calls_at_card == [0, 1]  # the card was handed over before the model was asked
    listed = ToolContext(catalog=demo_index, lang="zh", texts=texts)
    search_products(listed, "Chaz Kangeroo Hoodie")
    assert {c["id"]: c["summary"] for c in listed.shown_this_turn}["MH01"] == ZH_HOODIE


def test_details_in_english_show_the_summary_and_a_failure_shows_none_in_chinese(demo_index, scripted_model):
    texts = ProductTexts(demo_index, scripted_model)
    detail = get_product(ToolContext(catalog=demo_index, lang="en", texts=texts), "MH01")
    assert detail["summary"] == HOODIE_START
    assert templates.details(detail, "en").splitlines()[2] == HOODIE_START
    scripted_model.enqueue_error(TimeoutError("busy"))
    ctx = ToolContext(catalog=demo_index, lang="zh", texts=texts)
    detail = get_product(ctx, "MH01")
    assert "summary" not in detail and "Ideal" not in templates.details(detail, "zh")
    assert ctx.shown_this_turn[0]["summary"] == HOODIE_START  # the card keeps the catalog's words


def test_a_chinese_shopper_asking_for_details_gets_a_chinese_summary(demo_index, scripted_model):
    assistant = Assistant(scripted_model, demo_index)
    card_seen = threading.Event()
    waited = []

    def write_after_the_card(messages, call):  # the model "writes" only once the card is out
        waited.append(card_seen.wait(timeout=30))
        return summary_reply(ZH_HOODIE)

    scripted_model.enqueue(write_after_the_card)
    for event in assistant.stream("web:zh", "MH01 的详细介绍"):
        if event.type == "cards":
            card_seen.set()
        reply = getattr(event, "reply", None)
    assert waited == [True]  # the channel had the card while the summary was being written
    assert reply is not None and reply.language == "zh" and ZH_HOODIE in reply.text
    assert [card.summary for card in reply.products] == [HOODIE_START]  # shown before it was written
    assert scripted_model.last_call.tool_names == [TOOL_NAME]
    again = assistant.reply("web:zh", "MH01 的详细介绍")
    assert [card.summary for card in again.products] == [ZH_HOODIE] and len(scripted_model.calls) == 1


# -- shopbot describe ---------------------------------------------------------------------------


@pytest.fixture
def model_loads() -> list[object]:
    """The settings of every chat model load ``shopbot describe`` made."""
    return []


@pytest.fixture
def cli_model(scripted_model, model_loads, monkeypatch, tmp_path):
    """`shopbot describe` gets the scripted model from the loader, and a cache in tmp_path."""
    monkeypatch.setenv("SHOPBOT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("SHOPBOT_CACHE_DIR", str(tmp_path / "cache"))

    def load(settings, **_):
        model_loads.append(settings)
        return scripted_model

    monkeypatch.setattr("assistant.models.loader.load_chat_model", load)
    return scripted_model


def run_cli(*argv: str) -> int:
    from ui.cli import main

    with pytest.raises(SystemExit) as exit_info:
        main(list(argv))
    return int(exit_info.value.code or 0)


def test_describe_one_product_then_read_it_back(demo_index, cli_model, model_loads, capsys):
    cli_model.enqueue(summary_reply(ZH_HOODIE, "现价仅需 39 美元。"))
    common = ("describe", "--index", str(demo_index.directory), "--product", "MH01")
    assert run_cli(*common, "--json") == 0
    first = json.loads(capsys.readouterr().out)
    assert {k: first[k] for k in ("product_id", "text", "lang", "source", "repaired")} == {
        "product_id": "MH01", "text": ZH_HOODIE, "lang": "zh", "source": "model", "repaired": True,
    }  # fmt: skip
    assert run_cli(*common) == 0  # read back from the cache: no model load, no call
    assert capsys.readouterr().out == f"MH01 Chaz Kangeroo Hoodie (cache, repaired)\n  {ZH_HOODIE}\n"
    assert len(cli_model.calls) == 1 and len(model_loads) == 1


def test_describe_all_fills_the_cache_once(demo_index, cli_model, model_loads, capsys):
    cli_model.function = lambda messages, call: summary_reply("这是一件运动商品。")
    common = ("describe", "--index", str(demo_index.directory), "--all")
    assert run_cli(*common, "--json") == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["product_id"] for r in records] == demo_index.product_ids()
    assert {(r["source"], r["text"]) for r in records} == {("model", "这是一件运动商品。")}
    assert len(cli_model.calls) == len(records) == len(demo_index)
    assert run_cli(*common) == 0
    assert capsys.readouterr().out.splitlines()[-1] == (
        f"{len(records)} products: 0 written by the model (0 repaired after the fact check), "
        f"{len(records)} from the cache, 0 in the catalog's own words"
    )
    assert run_cli(*common, "--lang", "en") == 0  # the catalog's own language: no model at all
    assert capsys.readouterr().out.splitlines()[-1].endswith(f"{len(records)} in the catalog's own words")
    assert len(cli_model.calls) == len(records) and len(model_loads) == 1


def test_describe_errors(demo_index, cli_model, monkeypatch, capsys):
    directory = str(demo_index.directory)
    assert run_cli("describe", "--index", directory, "--product", "NOPE") == 1
    assert "no product 'NOPE'" in capsys.readouterr().err

    def cannot_load(settings, **_):
        raise ModelLoadError("the chat model is not assembled; run shopbot models")

    monkeypatch.setattr("assistant.models.loader.load_chat_model", cannot_load)
    assert run_cli("describe", "--index", directory, "--product", "MH01") == 1
    assert "shopbot describe: the chat model is not assembled" in capsys.readouterr().err
    assert run_cli("describe", "--index", directory) == 2  # argparse: --product or --all
