"""Ingest: price strings, file formats and encodings, column mapping, bad rows with file:line:field."""

from __future__ import annotations

import json
import logging
import random
from pathlib import Path

import pytest

from index.ingest import (
    IngestError,
    detect_lang,
    load_products,
    load_reviews,
    parse_mapping,
    read_rows,
)
from index.prices import PriceError, parse_price


@pytest.mark.parametrize(
    ("text", "amount", "currency"),
    [
        ("₹1,099", 1099.0, "INR"),
        ("$59.00", 59.0, "USD"),
        ("1.099,00 €", 1099.0, "EUR"),
        ("Rs. 499", 499.0, "INR"),
        ("Rs 1,09,999", 109999.0, "INR"),
        ("US$ 12.5", 12.5, "USD"),
        ("59,90", 59.9, None),
        ("1.234.567", 1234567.0, None),
        ("¥88", 88.0, "CNY"),
        ("88元", 88.0, "CNY"),
        ("£ 7", 7.0, "GBP"),
        ("1 299,50 EUR", 1299.5, "EUR"),
        ("220", 220.0, None),
        (59, 59.0, None),
    ],
)
def test_price_strings(text: str | int, amount: float, currency: str | None) -> None:
    assert parse_price(text) == (pytest.approx(amount), currency)


@pytest.mark.parametrize("text", ["abc", "", "$", "10-20", "-5", "1,2,3", "free", "1.2.3"])
def test_bad_price_strings_are_rejected(text: str) -> None:
    with pytest.raises(PriceError, match="is not a number"):
        parse_price(text)


def test_price_formats_round_trip_over_many_amounts() -> None:
    rng = random.Random(3)
    for _ in range(2000):
        cents = rng.randrange(0, 10**9)
        amount = cents / 100
        whole, frac = f"{amount:.2f}".split(".")
        grouped = f"{int(whole):,}"
        renderings = [
            (f"${grouped}.{frac}", "USD"),
            (f"{grouped.replace(',', '.')},{frac} €", "EUR"),
            (f"₹{grouped}.{frac}", "INR"),
            (f"{whole}.{frac}", None),
        ]
        for text, currency in renderings:
            parsed, found = parse_price(text)
            assert parsed == pytest.approx(amount), text
            assert found == currency


def _write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def test_csv_errors_name_the_physical_line_and_field(tmp_path: Path) -> None:
    csv_text = (
        "id,title,price,description\n"
        'a1,Rain jacket,$59.00,"two\nline description"\n'  # row spans lines 2-3
        "a2,Trail shoe,abc,ok\n"  # line 4
        "a3,,10,no title\n"  # line 5
        "a1,Duplicate,12,dup\n"  # line 6
        "a4,Fleece,₹1,099,x\n"  # line 7: unquoted comma splits the price, extra column kept
    )
    result = load_products(_write(tmp_path / "products.csv", csv_text))
    assert [p.id for p in result.records] == ["a1", "a4"]
    assert [str(e) for e in result.errors] == [
        "products.csv:4: price: 'abc' is not a number",
        "products.csv:5: title: empty",
        "products.csv:6: id: duplicate id 'a1' (first occurrence kept)",
    ]
    assert result.records[0].description == "two\nline description"
    assert result.records[1].price == 1.0 and result.records[1].extras == {"column_5": "x"}
    assert result.rows == 5


def test_strict_stops_at_the_first_bad_row(tmp_path: Path) -> None:
    path = _write(tmp_path / "p.jsonl", '{"id": "1", "title": "ok"}\n{"id": "2", "title": "", "price": 3}\n')
    with pytest.raises(IngestError, match=r"p\.jsonl:2: title: empty \(--strict"):
        load_products(path, strict=True)


def test_jsonl_and_json_array_line_numbers(tmp_path: Path) -> None:
    jsonl = _write(
        tmp_path / "a.jsonl", '{"id": "1", "title": "x"}\n\n{"id": "2", "title": "y", "rating": 9}\n'
    )
    assert [str(e) for e in load_products(jsonl).errors] == ["a.jsonl:3: rating: 9 is outside 0..5"]
    array = _write(
        tmp_path / "b.json", '[\n  {"id": "1", "title": "x"},\n  {"id": "2",\n   "price": "x1"}\n]'
    )
    assert [line for line, _ in read_rows(array)] == [2, 3]
    assert [str(e) for e in load_products(array).errors] == ["b.json:3: title: empty"]


# One malformed row in each format: the rest is kept and the row is reported by line.
_GOOD_1 = {"id": "1", "title": "Rain jacket", "price": 59}
_GOOD_3 = {"id": "3", "title": "Trail shoe", "price": 80}
MALFORMED = [
    pytest.param(
        "c.jsonl",
        f"{json.dumps(_GOOD_1)}\n{{not json\n{json.dumps(_GOOD_3)}\n",
        ["c.jsonl:2: not valid JSON (Expecting property name enclosed in double quotes)"],
        id="jsonl-not-json",
    ),
    pytest.param(
        "c.jsonl",
        f"{json.dumps(_GOOD_1)}\n[1, 2]\n{json.dumps(_GOOD_3)}\n",
        ["c.jsonl:2: expected a JSON object, got list"],
        id="jsonl-not-an-object",
    ),
    pytest.param(
        "c.json",
        f'[\n  {json.dumps(_GOOD_1)},\n  {{"id": "2", "title": "Broken" "price": 1}},\n  {json.dumps(_GOOD_3)}\n]\n',
        ["c.json:3: not valid JSON (Expecting ',' delimiter)"],
        id="json-array-broken-object",
    ),
    pytest.param(
        "c.json",
        f'[{json.dumps(_GOOD_1)}, {{"id": "2", "attributes": {{"a": [{{"b": 1}}]}} oops}}, {json.dumps(_GOOD_3)}]',
        ["c.json:1: not valid JSON (Expecting ',' delimiter)"],
        id="json-array-one-line-nested",
    ),
    pytest.param(
        "c.json",
        f'[\n  {json.dumps(_GOOD_1)},\n  "just a string",\n  {json.dumps(_GOOD_3)}\n]\n',
        ["c.json:3: expected a JSON object, got str"],
        id="json-array-not-an-object",
    ),
    pytest.param(
        "c.json",
        f'[\n  {json.dumps(_GOOD_1)},\n  {json.dumps(_GOOD_3)},\n  {{"id": "4", "tit',
        ["c.json:4: not valid JSON (Unterminated string starting at)"],
        id="json-array-cut-short",
    ),
]


@pytest.mark.parametrize(("name", "text", "errors"), MALFORMED)
def test_a_malformed_row_is_skipped_and_named(
    tmp_path: Path, name: str, text: str, errors: list[str]
) -> None:
    path = _write(tmp_path / name, text)
    result = load_products(path)
    assert [p.id for p in result.records] == ["1", "3"]
    assert [str(e) for e in result.errors] == errors
    assert result.rows == 3
    with pytest.raises(IngestError, match=rf"{errors[0].split(' (')[0]}.*--strict: build stopped"):
        load_products(path, strict=True)


def test_a_malformed_review_line_is_skipped(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "r.jsonl",
        '{"review_id": "r1", "product_id": "p1", "text": "great"}\n{oops\n'
        '{"review_id": "r2", "product_id": "p1", "text": "fine"}\n',
    )
    result = load_reviews(path, {"p1"})
    assert [r.review_id for r in result.records] == ["r1", "r2"]
    assert [str(e) for e in result.errors] == [
        "r.jsonl:2: not valid JSON (Expecting property name enclosed in double quotes)"
    ]


def test_a_csv_row_the_parser_rejects_is_skipped(tmp_path: Path) -> None:
    import csv

    limit = csv.field_size_limit()
    text = f'id,title\n1,Rain jacket\n2,"{"x" * (limit + 1)}"\n3,Trail shoe\n'
    result = load_products(_write(tmp_path / "c.csv", text))
    assert [p.id for p in result.records] == ["1", "3"]
    assert [str(e) for e in result.errors] == [
        f"c.csv:3: not a readable CSV row (field larger than field limit ({limit}))"
    ]


def test_a_file_with_no_readable_row_says_so(tmp_path: Path) -> None:
    with pytest.raises(
        IngestError, match=r"none of its 2 rows is valid; the first: b\.jsonl:1: not valid JSON"
    ):
        load_products(_write(tmp_path / "b.jsonl", "{nope\n{nope\n"))


def test_jsonl_lines_end_only_at_cr_or_lf(tmp_path: Path) -> None:
    """U+2028, U+0085 and form feeds are valid inside JSON strings; they do not split a row."""
    rows = [
        {"id": "1", "title": "Rain jacket", "description": "Line one\u2028line two"},
        {"id": "2", "title": "Shoe\u0085sale", "description": "a\x0cb\x1cc"},
        {"id": "3", "title": "Fleece"},
    ]
    path = _write(tmp_path / "u.jsonl", "\r\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\r\n")
    result = load_products(path)
    assert (result.errors, [p.id for p in result.records]) == ([], ["1", "2", "3"])
    assert result.records[0].description == "Line one\u2028line two"
    assert [line for line, _ in read_rows(path)] == [1, 2, 3]


def test_gbk_file_is_decoded_with_a_warning(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = _write(tmp_path / "zh.csv", "id,title,price\n1,纯棉四件套,899元\n2,蚕丝被,1299\n", "gbk")
    with caplog.at_level(logging.WARNING):
        result = load_products(path)
    assert [p.title for p in result.records] == ["纯棉四件套", "蚕丝被"]
    assert result.records[0].lang == "zh" and result.records[0].currency == "CNY"
    assert "zh.csv: not UTF-8" in caplog.text and "GB18030" in caplog.text


def test_latin1_file_is_decoded_with_a_warning(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = _write(tmp_path / "fr.csv", 'id,title,price\n1,Veste imperméable,"59,90 €"\n', "cp1252")
    with caplog.at_level(logging.WARNING):
        result = load_products(path)
    assert result.records[0].title == "Veste imperméable"
    assert result.records[0].price == 59.9 and result.records[0].currency == "EUR"
    assert "fr.csv: not UTF-8 (first bad byte on line 2); read as CP1252" in caplog.text


def test_utf16_with_bom_and_binary_files(tmp_path: Path) -> None:
    path = tmp_path / "u16.csv"
    path.write_bytes("id,title\n1,Jacke\n".encode("utf-16"))
    assert load_products(path).records[0].title == "Jacke"
    binary = tmp_path / "bin.csv"
    binary.write_bytes(b"\x00\xff\x00\xfe" * 100)
    with pytest.raises(IngestError, match=r"bin\.csv: not a text file"):
        load_products(binary)


def test_mapping_renames_and_joins_columns(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "bb.csv",
        "index,product,category,sub_category,Brand,sale_price,Rating\n7,Garlic Oil,Beauty,Hair Care,Sri Sri ,220,4.1\n",
    )
    mapping = parse_mapping(["id=index,title=product", "category=category+sub_category,price=sale_price"])
    product = load_products(path, mapping, default_currency="inr").records[0]
    assert (product.id, product.title, product.category, product.brand) == (
        "7",
        "Garlic Oil",
        "Beauty/Hair Care",
        "Sri Sri",
    )
    assert (product.price, product.currency, product.rating) == (220.0, "INR", 4.1)


def test_mapping_errors_are_clear(tmp_path: Path) -> None:
    with pytest.raises(IngestError, match="expected FIELD=COLUMN"):
        parse_mapping(["title"])
    with pytest.raises(IngestError, match="unknown field 'name'"):
        parse_mapping(["name=product"])
    path = _write(tmp_path / "p.csv", "sku,name\n1,x\n")
    with pytest.raises(IngestError, match=r"p\.csv: --map names column\(s\) \['product_name'\]"):
        load_products(path, parse_mapping(["id=sku,title=product_name"]))
    with pytest.raises(
        IngestError, match=r"p\.csv: no column for required field\(s\) id, title; columns: sku, name"
    ):
        load_products(path)  # not one usable row: fail, naming the columns to map
    mixed = _write(tmp_path / "m.jsonl", '{"id": "1"}\n{"id": "2", "title": "ok"}\n')
    assert [str(e) for e in load_products(mixed).errors] == ["m.jsonl:1: title: empty"]


def test_category_shapes_and_extras(tmp_path: Path) -> None:
    rows = [
        {"id": "1", "title": "a", "category": "A|B|C"},
        {"id": "2", "title": "b", "category": '["Clothing >> Women\'s >> Tops"]'},
        {"id": "3", "title": "c", "category": "['footwear', 'ballerinas']"},
        {
            "id": "4",
            "title": "d",
            "category": "Men / Tops",
            "categories": ["Men/Tops", "Sale"],
            "options": {"size": ["S"]},
        },
    ]
    path = _write(tmp_path / "c.jsonl", "\n".join(json.dumps(row) for row in rows))
    products = load_products(path).records
    assert [p.category for p in products] == [
        "A/B/C",
        "Clothing/Women's/Tops",
        "footwear/ballerinas",
        "Men/Tops",
    ]
    assert products[3].categories == ["Men/Tops", "Sale"]
    assert products[3].extras == {"options": {"size": ["S"]}}


def test_reviews_of_unknown_products_and_bad_ratings(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "r.jsonl",
        "\n".join(
            json.dumps(row)
            for row in [
                {"review_id": "r1", "product_id": "p1", "rating": 5, "text": "great"},
                {"review_id": "r2", "product_id": "nope", "rating": 4, "text": "ok"},
                {"review_id": "r3", "product_id": "p1", "rating": 7, "text": "wow"},
                {"review_id": "r1", "product_id": "p1", "text": "again"},
                {"review_id": "r4", "product_id": "p1", "text": "", "title": ""},
            ]
        ),
    )
    result = load_reviews(path, {"p1"})
    assert [r.review_id for r in result.records] == ["r1"]
    assert [str(e) for e in result.errors] == [
        "r.jsonl:2: product_id: unknown product 'nope'",
        "r.jsonl:3: rating: 7 is outside 1..5",
        "r.jsonl:4: review_id: duplicate id 'r1' (first occurrence kept)",
        "r.jsonl:5: text: empty (and no title)",
    ]


def test_language_detection() -> None:
    assert detect_lang("轻奢纯棉刺绣水洗四件套") == "zh"
    assert detect_lang("Nike 跑步鞋 男款") == "zh"
    assert detect_lang("Waterproof jacket 2024") == "en"
    assert detect_lang("1234") == "en"


def test_demo_and_chinese_stores_load_cleanly(demo_store: Path, shared_data: Path) -> None:
    demo = load_products(demo_store / "luma_products.jsonl")
    assert (len(demo.records), demo.errors) == (199, [])
    mh01 = next(p for p in demo.records if p.id == "MH01")
    assert mh01.extras["options"]["size"] == ["L", "M", "S", "XL", "XS"]
    assert "Collections/Eco Friendly" in mh01.categories
    reviews = load_reviews(demo_store / "luma_reviews.jsonl", {p.id for p in demo.records})
    assert (len(reviews.records), reviews.errors) == (348, [])
    zh = load_products(shared_data / "zh_store" / "litemall_products.jsonl")
    assert len(zh.records) == 239 and {p.lang for p in zh.records} == {"zh"}


def test_real_csv_shapes(shared_data: Path) -> None:
    catalogs = shared_data / "catalogs"
    amazon = load_products(
        catalogs / "amazon_in_products_reviews.csv",
        parse_mapping(["id=product_id,title=product_name,price=discounted_price,description=about_product"]),
    )
    assert len(amazon.records) + len(amazon.errors) == amazon.rows == 1465
    # one row per review: repeated products; and one row whose rating is "|"
    assert {str(e) for e in amazon.errors if e.field != "id"} == {
        "amazon_in_products_reviews.csv:1281: rating: '|' is not a number"
    }
    assert amazon.records[0].currency == "INR" and amazon.records[0].rating_count == 24269
    flipkart = load_products(
        catalogs / "flipkart_products.csv",
        parse_mapping(
            ["id=uniq_id,title=product_name,category=product_category_tree,price=discounted_price"]
        ),
    )
    assert len(flipkart.records) == 1002
    assert flipkart.records[0].category == "footwear/womens footwear/ballerinas/aw bellies"
