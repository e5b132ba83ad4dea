"""index.quantities: numbers with units, and price limits, in English and Chinese."""

from __future__ import annotations

import itertools

import pytest

from index.quantities import PriceLimits, Quantity, price_limits, quantities


def _read(text: str) -> list[tuple[float, str, str | None, str]]:
    return [(q.value, q.unit, q.currency, text[q.start : q.end]) for q in quantities(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # money marked by a sign, code or word
        ("$1,099", [(1099.0, "money", "USD", "$1,099")]),
        ("₹1,099.50", [(1099.5, "money", "INR", "₹1,099.50")]),
        ("US$50", [(50.0, "money", "USD", "US$50")]),
        ("rs. 499", [(499.0, "money", "INR", "rs. 499")]),
        ("Rs.499", [(499.0, "money", "INR", "Rs.499")]),
        ("1,09,999 rs", [(109999.0, "money", "INR", "1,09,999 rs")]),
        ("usd40", [(40.0, "money", "USD", "usd40")]),
        ("40$", [(40.0, "money", "USD", "40$")]),
        ("$40 usd", [(40.0, "money", "USD", "$40 usd")]),
        ("50 euros", [(50.0, "money", "EUR", "50 euros")]),
        ("£30", [(30.0, "money", "GBP", "£30")]),
        ("JP¥4,720", [(4720.0, "money", "JPY", "JP¥4,720")]),  # not ¥ (CNY) after letters
        ("CA$5 or A$7", [(5.0, "money", "CAD", "CA$5"), (7.0, "money", "AUD", "A$7")]),
        ("HK$10, NT$300", [(10.0, "money", "HKD", "HK$10"), (300.0, "money", "TWD", "NT$300")]),
        ("₩5000", [(5000.0, "money", "KRW", "₩5000")]),
        ("a 40 dollar jacket", [(40.0, "money", "USD", "40 dollar")]),
        ("20 bucks", [(20.0, "money", "USD", "20 bucks")]),
        ("$2k", [(2000.0, "money", "USD", "$2k")]),
        ("500元", [(500.0, "money", "CNY", "500元")]),
        ("200块钱", [(200.0, "money", "CNY", "200块钱")]),
        ("200美元", [(200.0, "money", "USD", "200美元")]),
        ("人民币500", [(500.0, "money", "CNY", "人民币500")]),
        ("5千元", [(5000.0, "money", "CNY", "5千元")]),
        ("５００元", [(500.0, "money", "CNY", "５００元")]),  # full-width digits
        # ¥ alone: CNY in Chinese text, JPY otherwise; ￥ is always CNY
        ("¥500以内", [(500.0, "money", "CNY", "¥500")]),
        ("a bag for ¥500", [(500.0, "money", "CNY", "¥500")]),  # as catalog prices read ¥
        ("a bag for 500 yen", [(500.0, "money", "JPY", "500 yen")]),
        ("a bag for ￥500", [(500.0, "money", "CNY", "￥500")]),
        # units, attached or spaced, English
        ("backpack 30L", [(30.0, "l", None, "30L")]),
        ("30 l backpack", [(30.0, "l", None, "30 l")]),
        ("1.5L bottle", [(1.5, "l", None, "1.5L")]),
        ("500ml 5kg", [(500.0, "ml", None, "500ml"), (5.0, "kg", None, "5kg")]),
        ("65cm", [(65.0, "cm", None, "65cm")]),
        ("8 foot tent", [(8.0, "foot", None, "8 foot")]),
        ("15 inch laptop", [(15.0, "inch", None, "15 inch")]),
        ('15" laptop', [(15.0, "inch", None, '15"')]),
        ("40°F weather", [(40.0, "degree", None, "40°F")]),
        ("5-year-old", [(5.0, "year_old", None, "5-year-old")]),
        ("2-person tent", [(2.0, "person", None, "2-person")]),
        ("1000mAh", [(1000.0, "mah", None, "1000mAh")]),
        ("10k mAh power bank", [(10000.0, "mah", None, "10k mAh")]),
        ("64GB", [(64.0, "gb", None, "64GB")]),
        ("20% off", [(20.0, "percent", None, "20%")]),
        ("4.5 stars", [(4.5, "star", None, "4.5 stars")]),
        ("size 10 shoes", [(10.0, "size", None, "size 10")]),
        ("2 pack", [(2.0, "pack", None, "2 pack")]),
        ("5 pounds", [(5.0, "lb", None, "5 pounds")]),  # mass, not sterling
        # units, Chinese
        ("1.5升", [(1.5, "l", None, "1.5升")]),
        ("100厘米", [(100.0, "cm", None, "100厘米")]),
        ("3岁", [(3.0, "year_old", None, "3岁")]),
        ("3周岁", [(3.0, "year_old", None, "3周岁")]),
        ("2人帐篷", [(2.0, "person", None, "2人")]),
        ("3个月", [(3.0, "month", None, "3个月")]),
        ("1万毫安充电宝", [(10000.0, "mah", None, "1万毫安")]),
        ("55寸电视", [(55.0, "inch", None, "55寸")]),
        ("42码", [(42.0, "size", None, "42码")]),
        ("8折", [(8.0, "zhe", None, "8折")]),
        ("2千克", [(2.0, "kg", None, "2千克")]),  # the unit 千克, not 千 x 克
        # dimensions share the unit written after the last side
        ("30x40x20cm", [(30.0, "cm", None, "30"), (40.0, "cm", None, "40"), (20.0, "cm", None, "20cm")]),
        ("2 x 3 m rug", [(2.0, "m", None, "2"), (3.0, "m", None, "3 m")]),
        # traps: letters that are no unit
        ("30 large shirts", [(30.0, "", None, "30")]),
        ("15 in laptop", [(15.0, "", None, "15")]),  # "in" is a word, not inch
        ("4K TV", [(4.0, "", None, "4")]),
        ("2nd one", [(2.0, "", None, "2")]),
        ("ps5 and mp3", []),  # numbers inside names
        ("v1.2", []),
        # bare numbers
        ("iphone 15", [(15.0, "", None, "15")]),
        ("2 for $30", [(2.0, "", None, "2"), (30.0, "money", "USD", "$30")]),
        ("20,30 and 40", [(20.0, "", None, "20"), (30.0, "", None, "30"), (40.0, "", None, "40")]),
        ("a red jacket", []),
    ],
)
def test_quantities(text, expected):
    assert _read(text) == expected


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("65 cm", "length"),
        ("30L", "volume"),
        ("5kg", "mass"),
        ("40 degrees", "temperature"),
        ("5 years old", "age"),
        ("2 people", "people"),
        ("3 days", "duration"),
        ("100W", "power"),
        ("5000mAh", "capacity"),
        ("1TB", "storage"),
        ("6 pieces", "count"),
        ("4星", "rating"),
        ("20%", "percent"),
        ("size 9", "size"),
        ("$5", "money"),
        ("42", "number"),
    ],
)
def test_kinds(text, kind):
    assert [q.kind for q in quantities(text)] == [kind]


@pytest.mark.parametrize(
    ("text", "limits"),
    [
        # English: context words, marked and unmarked
        ("under 40", (None, 40.0, None, "")),
        ("backpack under $60", (None, 60.0, "USD", "backpack")),
        ("shoes below 100", (None, 100.0, None, "shoes")),
        ("less than 40", (None, 40.0, None, "")),
        ("up to 40", (None, 40.0, None, "")),
        ("at most 40", (None, 40.0, None, "")),
        ("no more than 50", (None, 50.0, None, "")),
        ("within 40", (None, 40.0, None, "")),
        ("cheaper than 30", (None, 30.0, None, "")),
        ("<$40", (None, 40.0, "USD", "")),
        ("US$50 max", (None, 50.0, "USD", "")),
        ("40 or less", (None, 40.0, None, "")),
        ("50 euros or less", (None, 50.0, "EUR", "")),
        ("under Rs.499", (None, 499.0, "INR", "")),
        ("under 40 usd", (None, 40.0, "USD", "")),
        ("under 50 gbp", (None, 50.0, "GBP", "")),
        ("under 1,000", (None, 1000.0, None, "")),
        ("under 2k", (None, 2000.0, None, "")),
        ("budget $80", (None, 80.0, "USD", "")),
        ("price under 40", (None, 40.0, None, "")),
        ("over $30 jackets", (30.0, None, "USD", "jackets")),
        ("jackets over 100 dollars", (100.0, None, "USD", "jackets")),
        ("at least 20", (20.0, None, None, "")),
        ("no less than 20", (20.0, None, None, "")),
        ("under 40 and over 20", (20.0, 40.0, None, "and")),
        ("under $50 ideally under 40", (None, 40.0, "USD", "ideally")),  # the tighter maximum
        # ranges
        ("between $20 and $40", (20.0, 40.0, "USD", "")),
        ("mat between 20 and 50 dollars", (20.0, 50.0, "USD", "mat")),
        ("price between 20 and 40", (20.0, 40.0, None, "")),
        ("between 2 and 4", (2.0, 4.0, None, "")),
        ("$20-$40", (20.0, 40.0, "USD", "")),
        ("$20-40 mats", (20.0, 40.0, "USD", "mats")),
        ("20-40 dollars", (20.0, 40.0, "USD", "")),
        ("20 to 40 bucks", (20.0, 40.0, "USD", "")),
        ("from 20 to 40", (20.0, 40.0, None, "")),
        ("$20 to $40 range", (20.0, 40.0, "USD", "range")),
        # Chinese
        ("预算500元以内的背包", (None, 500.0, "CNY", "的背包")),
        ("500以内的背包", (None, 500.0, None, "的背包")),
        ("100元以下的背包", (None, 100.0, "CNY", "的背包")),
        ("不超过200块的外套", (None, 200.0, "CNY", "的外套")),
        ("低于500", (None, 500.0, None, "")),
        ("预算500", (None, 500.0, None, "")),
        ("预算不超过500", (None, 500.0, None, "")),
        ("价格低于500", (None, 500.0, None, "")),
        ("500左右", (None, 500.0, None, "")),
        ("预算1万", (None, 10000.0, None, "")),
        ("200美元以下", (None, 200.0, "USD", "")),
        ("５００元以内", (None, 500.0, "CNY", "")),
        ("300元以上的手表", (300.0, None, "CNY", "的手表")),
        ("至少300", (300.0, None, None, "")),
        ("20到40元", (20.0, 40.0, "CNY", "")),
        ("20~40元", (20.0, 40.0, "CNY", "")),
        ("价格在20到40元之间", (20.0, 40.0, "CNY", "")),
        ("预算在500到800之间", (500.0, 800.0, None, "")),
        # a price beside other quantities: only the price phrase leaves the query
        ("64GB phone under $300", (None, 300.0, "USD", "64GB phone")),
        ("size 10 shoes under 50", (None, 50.0, None, "size 10 shoes")),
        ("size 8-10 under $50", (None, 50.0, "USD", "size 8-10")),
        ("tent for 2 people under 200", (None, 200.0, None, "tent for 2 people")),
        ("tent 2.5kg under 300 euros", (None, 300.0, "EUR", "tent 2.5kg")),
        ("30x40 cm bag under 20", (None, 20.0, None, "30x40 cm bag")),
        ("2 pack under 20", (None, 20.0, None, "2 pack")),
        ("20% off under 40", (None, 40.0, None, "20% off")),
        ("iphone 15 under 800", (None, 800.0, None, "iphone 15")),
        ("4K TV under 500", (None, 500.0, None, "4K TV")),
        ("55寸电视5000元以内", (None, 5000.0, "CNY", "55寸电视")),
        ("2人帐篷500以内", (None, 500.0, None, "2人帐篷")),
        ("gifts for kids under 25", (None, 25.0, None, "gifts for kids")),  # 25 is no child's age
    ],
)
def test_price_limits(text, limits):
    found = price_limits(text)
    assert (found.min_price, found.max_price, found.currency, found.rest) == limits


@pytest.mark.parametrize(
    "text",
    [
        # a number with a non-money unit is never a price, English
        "jacket for 40 degree weather",
        "under 40 degrees",
        "backpack under 30L",
        "up to 65 cm",
        "less than 2 kg",
        "under 5 pounds",
        "for kids under 5 years old",
        "at least 3 days",
        "within 3 days",
        "under 40 mins",
        "over 1000mAh",
        "up to 10 people",
        "less than 10 pieces",
        "over 4 stars",
        "4.5 stars and up",
        "yoga mat under 1m",
        "under 30x40",
        "under 8 foot",
        # ... Chinese
        "3岁以下",
        "1.5升以内的水壶",
        "100厘米以下",
        "4星以上",
        "至少3天",
        "超过1000毫安",
        "8折以下",
        "42码以下",
        # bare numbers after words of age or rating
        "toys for kids under 5",
        "rated over 4",
        "评分4以上",
        # no limit word: money or numbers that limit nothing
        "2 for $30",
        "a 40 dollar jacket",
        "from $20",
        "20 - 40",
        "20到40",
        "shoes 20-40",
        "under 2nd",
        "a red jacket",
    ],
)
def test_no_price_limits(text):
    assert price_limits(text) == PriceLimits(None, None, None, text, ())


def test_degree_weather_is_no_price():
    found = price_limits("jacket for 40 degree weather")
    assert (found.min_price, found.max_price, found.rest) == (None, None, "jacket for 40 degree weather")
    assert [q.kind for q in quantities("jacket for 40 degree weather")] == ["temperature"]


def test_chinese_budget_keeps_its_currency():
    found = price_limits("预算500元以内的背包")
    assert (found.max_price, found.currency) == (500.0, "CNY")
    assert found.spans == ((0, 8),)


def test_unmarked_limit_has_no_currency():
    found = price_limits("under 40")
    assert (found.min_price, found.max_price, found.currency) == (None, 40.0, None)


@pytest.mark.parametrize(
    ("text", "attribute"),
    [
        ("65 cm", "65 cm"),
        ("65cm", "65 cm"),
        ("29L", "29 L"),
        ("1.5升", "1.5 L"),
        ("8 oz", "8 oz"),
        ("20 lbs", "20 lb"),
        ("5-year-old", "5 years old"),
        ("40 degrees", "40°"),
        ("20%", "20%"),
        ("size 10", "size 10"),
        ("₹1,099.50", "1099.5 INR"),
        ("under 40", "40"),
    ],
)
def test_attribute_text(text, attribute):
    assert [q.attribute_text() for q in quantities(text)] == [attribute]


def test_quantity_is_a_value():
    q = Quantity(30.0, "l", "volume", 0, 3)
    assert q == quantities("30L")[0] and hash(q) == hash(quantities("30L")[0])


@pytest.mark.parametrize(
    "text",
    [
        "waterproof backpack 30L under $60, 2 for $100, size 10-12, 4.5 stars",
        "预算500元以内的2人帐篷，3岁以上，1.5升",
        "between 20 and 40 dollars for a 5-year-old, 30x40 cm, ₹1,099.50",
    ],
)
def test_spans_are_ordered_and_point_at_the_numbers(text):
    found = quantities(text)
    assert all(a.end <= b.start for a, b in itertools.pairwise(found))
    assert all(any(char.isdigit() for char in text[q.start : q.end]) for q in found)
    limits = price_limits(text)
    assert all(0 <= start < end <= len(text) for start, end in limits.spans)
