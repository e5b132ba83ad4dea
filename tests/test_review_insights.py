"""Per-product review insights with the real analyzer: labels, aspects with ids, monthly trend."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from assistant.config import load_settings
from index.schema import Review
from tools.review_insights import ReviewRecord, review_insights, to_record
from tools.sentiment import LABELS, SentimentAnalyzer, load_analyzer

REVIEWS = [
    {"review_id": "r1", "text": "质量很好，做工精细，很满意！", "date": "2024-01-03 10:00:00", "lang": "zh"},
    {"review_id": "r2", "text": "质量不错，就是物流太慢了。", "date": "2024-01-20", "lang": "zh"},
    {
        "review_id": "r3",
        "text": "Shipping took three weeks and the box was crushed.",
        "date": "2024-02-02",
        "rating": 1,
    },
    {
        "review_id": "r4",
        "text": "Great quality, sturdy and well made.",
        "date": dt.date(2024, 2, 14),
        "rating": 5,
    },
    {"review_id": "r5", "text": "快递太慢了，等了半个月。", "date": dt.datetime(2024, 2, 28, 9, 30)},
    {"review_id": "r6", "text": "I bought this for my brother.", "rating": None},
]


@pytest.fixture(scope="module")
def analyzer() -> SentimentAnalyzer:
    return load_analyzer(load_settings().cache_dir)


def test_insights_of_a_small_product(analyzer: SentimentAnalyzer) -> None:
    insights = review_insights(REVIEWS, analyzer)
    assert insights.reviews == 6
    assert set(insights.labels) == set(LABELS) and sum(insights.labels.values()) == 6
    assert insights.labels["mixed"] >= 1  # r2
    assert insights.per_review["r2"].label == "mixed"

    negative = {count.aspect: count for count in insights.top_negative}
    assert negative["shipping"].negative == 3
    assert set(negative["shipping"].negative_ids) == {"r2", "r3", "r5"}
    positive = {count.aspect: count for count in insights.top_positive}
    assert positive["quality"].positive == 3
    assert set(positive["quality"].positive_ids) == {"r1", "r2", "r4"}
    assert insights.top_negative[0].aspect == "shipping"
    assert insights.aspects[0].mentions >= insights.aspects[-1].mentions

    assert [month.month for month in insights.trend] == ["2024-01", "2024-02"]
    assert [month.reviews for month in insights.trend] == [2, 3]
    assert insights.undated == 1
    assert -1 <= insights.mean_score <= 1
    assert insights.trend[0].mean_score > insights.trend[1].mean_score  # February went worse

    out = insights.to_dict()
    json.dumps(out)
    assert out["top_negative"][0]["aspect"] == "shipping" and out["trend"][1]["labels"]["negative"] >= 2


def test_records_can_be_objects_and_counts_are_once_per_review(analyzer: SentimentAnalyzer) -> None:
    @dataclass
    class StoreReview:  # what a catalog store might hand over
        review_id: str
        text: str
        rating: float | None = None

    reviews = [
        StoreReview("a", "Shipping was slow. Really slow shipping, slow delivery."),
        ReviewRecord("b", "Fast shipping!", rating=5),
    ]
    insights = review_insights(reviews, analyzer, top=1)
    shipping = next(count for count in insights.aspects if count.aspect == "shipping")
    assert (shipping.negative, shipping.positive) == (1, 1)
    assert shipping.negative_ids == ("a",) and shipping.positive_ids == ("b",)
    assert len(insights.top_positive) == 1 and insights.trend == () and insights.undated == 2


def test_catalog_store_reviews(analyzer: SentimentAnalyzer) -> None:
    reviews = [  # what index.store hands over; a Chinese comment stored with the default lang
        Review("s1", "p1", text="尺码偏小，但是颜色很好看", rating=None, date="2018-02-01 00:00:00"),
        Review("s2", "p1", text="Fits perfectly, love it", rating=5.0, date="2018-03-05"),
    ]
    insights = review_insights(reviews, analyzer)
    assert insights.per_review["s1"].lang == "zh" and insights.per_review["s1"].label == "mixed"
    size = next(count for count in insights.aspects if count.aspect == "size")
    assert (size.negative_ids, size.positive_ids) == (("s1",), ("s2",))
    assert [month.month for month in insights.trend] == ["2018-02", "2018-03"]


def test_no_reviews(analyzer: SentimentAnalyzer) -> None:
    insights = review_insights([], analyzer)
    assert insights.reviews == 0 and insights.mean_score == 0.0
    assert insights.aspects == insights.top_positive == insights.trend == ()


@pytest.mark.parametrize(
    ("review", "message"),
    [
        ({"review_id": "x1", "text": "ok", "date": "last tuesday"}, r"'x1': field 'date'"),
        ({"review_id": "x2", "text": "ok", "rating": 7}, r"'x2': field 'rating'"),
        ({"review_id": "x3", "text": None}, r"'x3': a review needs"),
        ({"text": "no id"}, "review_id"),
    ],
)
def test_bad_records_name_the_review_and_field(review: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        to_record(review)


def test_demo_store_product(analyzer: SentimentAnalyzer, demo_store: Path) -> None:
    rows = [
        json.loads(line)
        for line in (demo_store / "luma_reviews.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    product = [row for row in rows if row["product_id"] == rows[0]["product_id"]]
    insights = review_insights(product, analyzer)
    assert insights.reviews == len(product) >= 2
    assert sum(insights.labels.values()) == len(product)
    ids = {row["review_id"] for row in product}
    for count in insights.aspects:
        assert set(count.positive_ids) <= ids and set(count.negative_ids) <= ids
