"""Which search filters a shopper's words support (the grammar leaves the others out)."""

from __future__ import annotations

import pytest

from assistant.argument_support import stated_limits_only, unsupported_filters

ALL_FILTERS = ["min_price", "max_price", "color", "brand", "min_rating", "category"]
NO_PRICE = ["min_price", "max_price"]


@pytest.mark.parametrize(
    ("message", "stated", "brands", "search"),
    [
        ("I'm going hiking in the rain, what jacket should I get?", [], [], ALL_FILTERS),
        ("black jacket under $80, rated 4 stars or more", [80.0], ["Nike"], ["brand", "category"]),
        ("Nike running shoes", [None], ["Nike", "Adidas"], [*NO_PRICE, "color", "min_rating", "category"]),
        ("anything from under armour in Men/Tops?", [], ["Under Armour"], [*NO_PRICE, "color", "min_rating"]),
        ("nikes", [], ["Nike"], ALL_FILTERS),  # a brand is named as a word, not inside one
        ("李宁的好评跑鞋", [], ["李宁"], [*NO_PRICE, "color", "category"]),
        ("黑色的夹克", [], [], [*NO_PRICE, "brand", "min_rating", "category"]),
        ("cheaper than the second one", [52.0, 64.0], [], ["color", "brand", "min_rating", "category"]),
    ],
)
def test_filters_need_words_that_give_them_a_value(
    message: str, stated: list[float | None], brands: list[str], search: list[str]
) -> None:
    unsupported = unsupported_filters(message, stated, brands)
    assert unsupported["search_products"] == search
    assert unsupported["recommend"] == (["max_price"] if "max_price" in search else [])


def test_a_price_limit_must_match_a_stated_number() -> None:
    args = {"query": "jacket", "max_price": 100, "min_price": 59.5}
    assert stated_limits_only("search_products", args, [60.0, None]) == {"query": "jacket", "min_price": 59.5}
    assert stated_limits_only("get_product", {"product_id": "MJ01"}, []) == {"product_id": "MJ01"}
    assert stated_limits_only("recommend", {"max_price": "cheap"}, []) == {
        "max_price": "cheap"
    }  # the tool says why
