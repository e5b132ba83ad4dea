"""Reading a store's behaviour history: column names, kinds, returns, anonymous baskets, bad rows."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from index.events import EVENT_FIELDS, Event, event_from_record, load_events, parse_time
from index.ingest import FieldError, IngestError, parse_mapping

RETAIL_HEADER = "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n"


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        # the UCI Online Retail export, found by its own column names
        ({"InvoiceNo": "536370", "StockCode": "22728", "Quantity": "24", "InvoiceDate": "2010-12-01 08:45:00",
          "CustomerID": "12583.0"},
         Event("12583", "22728", "purchase", datetime(2010, 12, 1, 8, 45, tzinfo=UTC), 24.0, "536370")),
        # a cancellation: the C prefix and a negative quantity make it a return of 2
        ({"InvoiceNo": "C536379", "StockCode": "D", "Quantity": "-2", "InvoiceDate": "2010-12-01 09:41:00",
          "CustomerID": "14527"},
         Event("14527", "D", "return", datetime(2010, 12, 1, 9, 41, tzinfo=UTC), 2.0, "C536379")),
        # an anonymous basket: nobody's history, still an order
        ({"InvoiceNo": "536544", "StockCode": "21773", "Quantity": "1", "InvoiceDate": "12/1/2010 14:32",
          "CustomerID": ""},
         Event(None, "21773", "purchase", datetime(2010, 12, 1, 14, 32, tzinfo=UTC), 1.0, "536544")),
        # a click stream (RetailRocket's columns): Unix milliseconds, kind words
        ({"timestamp": "1433221332117", "visitorid": "257597", "event": "view", "itemid": "355908"},
         Event("257597", "355908", "view", datetime.fromtimestamp(1433221332.117, UTC))),
        ({"timestamp": "1433221332117", "visitorid": "1", "event": "addtocart", "itemid": "9"},
         Event("1", "9", "cart", datetime.fromtimestamp(1433221332.117, UTC))),
        ({"timestamp": "2024-05-01T10:00:00+08:00", "user_id": "u", "event_type": "refund", "product_id": "p"},
         Event("u", "p", "return", datetime(2024, 5, 1, 2, 0, tzinfo=UTC))),
    ],
)  # fmt: skip
def test_rows_become_events(record: dict[str, str], expected: Event) -> None:
    assert event_from_record(record) == expected


@pytest.mark.parametrize(
    ("record", "field", "words"),
    [
        ({"InvoiceNo": "1", "Quantity": "1", "InvoiceDate": "2011-01-01", "CustomerID": "1"}, "product", "missing"),
        ({"InvoiceNo": "1", "StockCode": "A", "Quantity": "1", "CustomerID": "1"}, "time", "missing"),
        ({"InvoiceNo": "1", "StockCode": "A", "Quantity": "1", "InvoiceDate": "yesterday-ish", "CustomerID": "1"},
         "time", "not a date"),
        ({"InvoiceNo": "1", "StockCode": "A", "Quantity": "0", "InvoiceDate": "2011-01-01", "CustomerID": "1"},
         "quantity", "non-zero"),
        ({"InvoiceNo": "1", "StockCode": "A", "Quantity": "two", "InvoiceDate": "2011-01-01", "CustomerID": "1"},
         "quantity", "not a number"),
        ({"StockCode": "A", "InvoiceDate": "2011-01-01"}, "shopper", "anonymous row needs an order"),
        ({"visitorid": "1", "itemid": "9", "event": "wishlist", "timestamp": "1"}, "kind", "not one of"),
    ],
)  # fmt: skip
def test_bad_rows_name_the_field(record: dict[str, str], field: str, words: str) -> None:
    with pytest.raises(FieldError) as error:
        event_from_record(record)
    assert error.value.field_name == field and words in error.value.message


def test_a_file_with_bad_rows_keeps_the_good_ones_and_names_file_line_and_field(tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    path.write_text(
        RETAIL_HEADER
        + "536370,22728,ALARM CLOCK,24,2010-12-01 08:45:00,3.75,12583.0,France\n"
        + "536371,,NO CODE,1,2010-12-01 08:46:00,1.0,12583.0,France\n"
        + "C536372,22728,ALARM CLOCK,-4,2010-12-02 10:00:00,3.75,12583.0,France\n"
        + "536373,22729,CLOCK,3,not a date,3.75,12583.0,France\n",
        encoding="utf-8",
    )
    result = load_events(path)
    assert [(e.kind, e.quantity) for e in result.records] == [("purchase", 24.0), ("return", 4.0)]
    assert [str(e) for e in result.errors] == [
        "orders.csv:3: product: missing",
        "orders.csv:5: time: 'not a date' is not a date and time",
    ]
    with pytest.raises(IngestError, match=r"orders\.csv:3: product"):
        load_events(path, strict=True)


def test_columns_by_mapping_and_a_store_without_a_cancellation_prefix(tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl"
    path.write_text(
        '{"who": "a", "sku": "Cx1", "when": 1700000000, "order": "C9", "n": 2}\n', encoding="utf-8"
    )
    mapping = parse_mapping(["shopper=who,time=when,quantity=n"], EVENT_FIELDS)
    [event] = load_events(path, mapping, cancel_prefix=None).records
    assert (event.shopper, event.product, event.kind, event.quantity) == ("a", "Cx1", "purchase", 2.0)
    [cancelled] = load_events(path, mapping).records  # the default prefix C: a cancellation
    assert cancelled.kind == "return"


def test_a_file_without_a_product_column_says_which_columns_to_map(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("who,when\na,2011-01-01\n", encoding="utf-8")
    with pytest.raises(IngestError, match="product"):
        load_events(path)


def test_times_are_utc() -> None:
    assert parse_time("2011-12-09 12:50:00") == datetime(2011, 12, 9, 12, 50, tzinfo=UTC)
    assert parse_time(1700000000) == datetime.fromtimestamp(1700000000, UTC)
    assert parse_time("2011-12-09T12:50:00+01:00") == datetime(2011, 12, 9, 11, 50, tzinfo=UTC)
