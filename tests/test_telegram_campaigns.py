"""Telegram /campaign end to end: the real PTB Application against the fake Bot API, the real
demo index, a campaign saved through :class:`tools.campaign_desk.CampaignDesk` and a scripted
model answering the CampaignCopy tool. The summary, the sample variant and the CSV and JSONL
documents the merchant gets are read back from the fake server."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from test_campaign_batch import answer
from test_telegram import CHAT, MERCHANT, make_bot, running, say

from assistant import Assistant
from assistant.testing import ScriptedChatModel
from tools.campaign import parse_campaign
from tools.campaign_desk import CampaignDesk
from ui.telegram_fake import FakeTelegram

NAME = "Singles' Day"
PRODUCTS = ["24-MB01", "24-MB04", "24-MB03"]  # x 2 channels: 6 variants, one more than a run writes


@pytest.fixture
def telegram():
    with FakeTelegram() as fake:
        yield fake


@pytest.fixture
def model() -> ScriptedChatModel:
    return ScriptedChatModel(function=answer)


@pytest.fixture
def shop(model, demo_index, tmp_path) -> Assistant:
    return Assistant(
        model, demo_index, sessions_path=tmp_path / "sessions.sqlite", campaigns_dir=tmp_path / "data"
    )


def desk_of(assistant: Assistant) -> CampaignDesk:
    assert assistant.merchant.campaigns is not None
    return assistant.merchant.campaigns


def save(assistant: Assistant, **changes: Any) -> None:
    today = date.today()
    data: dict[str, Any] = {
        "name": NAME,
        "start": (today - timedelta(days=1)).isoformat(),
        "end": (today + timedelta(days=10)).isoformat(),
        "channels": ["push", "banner"],
        "offer": {"kind": "percent_off", "percent": 20},
        "products": {"ids": PRODUCTS},
    }
    desk_of(assistant).save(parse_campaign({**data, **changes}, "test"))


def documents(telegram: FakeTelegram, chat: int = MERCHANT) -> list[Any]:
    return [sent for sent in telegram.messages(chat) if sent.document is not None]


def test_campaign_is_for_merchants_only(telegram, shop, model, tmp_path):
    save(shop)
    with running(make_bot(shop, tmp_path), telegram):
        assert say(telegram, "/campaign")[-1].text == "This command is for merchants only."
        assert say(telegram, f"/campaign {NAME} run")[-1].text == "This command is for merchants only."
        assert "/campaign" not in say(telegram, "/help")[-1].text
        assert "/campaign" in say(telegram, "/help", chat=MERCHANT)[-1].text
    assert model.calls == [] and desk_of(shop).rows(NAME) == []
    assert telegram.calls_of("sendDocument") == [] and telegram.rejected == []


def test_campaign_lists_the_saved_campaigns_or_how_to_create_one(telegram, shop, tmp_path):
    with running(make_bot(shop, tmp_path), telegram):
        empty = say(telegram, "/campaign", chat=MERCHANT)[-1].text
        assert empty.startswith("No saved campaigns yet") and "shopbot campaign save FILE" in empty
        assert "web merchant tab" in empty
        save(shop)
        listed = say(telegram, "/campaign", chat=MERCHANT)[-1].text
    today = date.today()
    start, end = today - timedelta(days=1), today + timedelta(days=10)
    assert listed.splitlines()[:2] == [
        "Saved campaigns:",
        f"• {NAME}: {start} to {end}, running; push, banner; 0/6 variants written",
    ]
    assert "/campaign NAME run" in listed
    assert telegram.rejected == []


def test_run_writes_variants_and_sends_the_summary_and_files(telegram, shop, model, tmp_path):
    save(shop)
    desk = desk_of(shop)
    with running(make_bot(shop, tmp_path), telegram):
        writing, summary, *files = say(telegram, f"/campaign {NAME} run", chat=MERCHANT, count=4)
        assert writing.text.startswith(f"Writing up to 5 variants of {NAME}")
        assert len(model.calls) == 5
        lines = summary.text.splitlines()
        assert lines[:7] == [
            "This run wrote 5 variants (0 failed).",
            f"Campaign: {NAME}",
            "Offer: 20% off",
            lines[3],
            "Channels: push, banner",
            "Variants written: 5 of 6",
            "Passed: 5, repaired: 0, rejected: 0",
        ]
        assert lines[3].endswith("(running)")
        # the sample is the first passing variant, as delivered: the model's text plus the offer line
        first = desk.rows(NAME)[0]
        assert f"Sample (push, {first['title']}):" in lines
        assert f"title: {first['parts']['title']}" in lines and "title: Ready for class." in lines
        body = next(line for line in lines if line.startswith("body: "))
        assert "Ready for class." in body and "20% off" in body and "now $27.20 (was $34.00)" in body
        assert lines[-1] == f"Still to write: 1. Send /campaign {NAME} run to write 5 more."

        jsonl, table = desk.files(desk.get(NAME))
        assert [f.document.file_name for f in files] == [table.name, jsonl.name]
        assert files[0].document.data == table.read_bytes() and files[1].document.data == jsonl.read_bytes()
        assert all(NAME in f.text for f in files)
        header = next(csv.reader(io.StringIO(files[0].document.data.decode("utf-8"))))
        assert "verdict" in header and "text_title" in header
        rows = [json.loads(line) for line in files[1].document.data.decode("utf-8").splitlines()]
        assert len(rows) == 5 and {row["verdict"] for row in rows} == {"ok"}

        # the next run writes the one variant left; a name in curly quotes (phones) is found too
        again = say(telegram, "/campaign Singles\u2019 Day run", chat=MERCHANT, count=4)
        assert len(model.calls) == 6
        assert "Variants written: 6 of 6" in again[1].text and again[1].text.endswith(
            "Every variant is written."
        )
        assert len(json.loads("[" + ",".join(again[3].document.data.decode().splitlines()) + "]")) == 6
        # nothing left: no run, no "writing…", only the summary and the files
        done = say(telegram, f"/campaign {NAME} RUN", chat=MERCHANT, count=3)
        assert done[0].text.startswith(f"Campaign: {NAME}") and len(model.calls) == 6
    assert len(documents(telegram)) == 6
    assert telegram.rejected == []


def test_campaign_without_copy_says_how_to_write_it(telegram, shop, model, tmp_path):
    save(shop)
    with running(make_bot(shop, tmp_path), telegram):
        summary = say(telegram, f'/campaign "{NAME}"', chat=MERCHANT)[-1].text
    assert "Variants written: 0 of 6" in summary
    assert summary.endswith(f"No copy written yet. Send /campaign {NAME} run to write the first 5 variants.")
    assert telegram.calls_of("sendDocument") == [] and model.calls == []
    assert telegram.rejected == []


def test_a_campaign_named_with_run_is_found(telegram, shop, model, tmp_path):
    save(shop, name="Morning run")
    with running(make_bot(shop, tmp_path), telegram):
        assert "Campaign: Morning run" in say(telegram, "/campaign Morning run", chat=MERCHANT)[-1].text
        assert model.calls == []
        ran = say(telegram, "/campaign Morning run run", chat=MERCHANT, count=4)
    assert "Variants written: 5 of 6" in ran[1].text and len(model.calls) == 5


def test_unknown_campaign_gets_a_clear_message(telegram, shop, model, tmp_path):
    save(shop)
    with running(make_bot(shop, tmp_path), telegram):
        assert say(telegram, "/campaign Black Friday", chat=MERCHANT)[-1].text == (
            "there is no saved campaign 'Black Friday'"
        )
        assert say(telegram, "/campaign Black Friday run", chat=MERCHANT)[-1].text == (
            "there is no saved campaign 'Black Friday'"
        )
    assert model.calls == [] and telegram.calls_of("sendDocument") == []
    assert telegram.rejected == []


def test_without_a_campaigns_directory_the_bot_says_so(telegram, model, demo_index, tmp_path):
    assistant = Assistant(model, demo_index, sessions_path=tmp_path / "sessions.sqlite")
    with running(make_bot(assistant, tmp_path), telegram):
        assert say(telegram, "/campaign", chat=MERCHANT)[-1].text.startswith(
            "Campaigns are not available here"
        )
        assert say(telegram, "/campaign")[-1].text == "This command is for merchants only."


def test_chinese_merchant_gets_chinese_text(telegram, shop, model, tmp_path):
    save(shop)
    with running(make_bot(shop, tmp_path), telegram):
        say(telegram, "/lang zh", chat=MERCHANT)
        listed = say(telegram, "/campaign", chat=MERCHANT)[-1].text
        assert listed.startswith("已保存的营销活动：") and "进行中" in listed and "已写 0/6 条文案" in listed
        empty = say(telegram, f"/campaign {NAME}", chat=MERCHANT)[-1].text
        assert "优惠：8折" in empty and empty.endswith(f"还没有写文案。发送 /campaign {NAME} run 写前 5 条。")
        writing, summary, *files = say(telegram, f"/campaign {NAME} 运行", chat=MERCHANT, count=4)
        assert writing.text.startswith(f"正在为 {NAME} 写最多 5 条文案")
        assert "已写文案：5 / 6" in summary.text and "通过：5，修改后通过：0，未通过：0" in summary.text
        assert files[0].text.startswith(f"{NAME}：CSV 格式的文案")
        assert say(telegram, "/campaign Nope", chat=CHAT)[-1].text == "This command is for merchants only."
    assert telegram.rejected == []


# -- the fake's sendDocument, checked as Telegram checks it ------------------------------------


def test_fake_send_document_validates_like_telegram(telegram):
    url = f"{telegram.url}/bot{telegram.token}/sendDocument"
    upload = {"document": ("copy.csv", b"a,b\n1,2\n", "text/csv")}

    def post(data: dict[str, Any], files: dict[str, Any] | None = None) -> httpx.Response:
        return httpx.post(url, data=data, files=files)

    missing = post({"chat_id": "7", "caption": "no file"})
    assert missing.status_code == 400
    assert missing.json() == {
        "ok": False,
        "error_code": 400,
        "description": "Bad Request: there is no document in the request",
    }
    assert post({"chat_id": "7"}, {"thumbnail": ("t.jpg", b"x", "image/jpeg")}).status_code == 400
    assert post({"chat_id": "7", "document": "https://files.example/copy.csv"}).status_code == 400
    assert post({}, upload).json()["description"] == "Bad Request: chat not found"
    assert post({"chat_id": "7"}, {"document": ("empty.csv", b"", "text/csv")}).json()["description"] == (
        "Bad Request: file must be non-empty"
    )
    too_long = post({"chat_id": "7", "caption": "x" * 1025}, upload)
    assert (too_long.status_code, too_long.json()["description"]) == (
        400,
        "Bad Request: message caption is too long",
    )
    assert post({"chat_id": "7", "caption": "<b>open", "parse_mode": "HTML"}, upload).status_code == 400
    assert telegram.sent == []

    ok = post({"chat_id": "7", "caption": "<b>The copy</b> &amp; more", "parse_mode": "HTML"}, upload)
    assert ok.status_code == 200
    message = ok.json()["result"]
    assert message["caption"] == "The copy & more" and message["chat"]["id"] == 7
    assert message["document"]["file_name"] == "copy.csv" and message["document"]["file_size"] == 8
    assert message["document"]["mime_type"] == "text/csv"
    (sent,) = telegram.sent
    assert (
        sent.document is not None and sent.document.data == b"a,b\n1,2\n" and sent.text == "The copy & more"
    )
    assert sent.raw == "<b>The copy</b> &amp; more"
    # the other methods still read form-urlencoded and JSON bodies
    assert httpx.post(
        f"{telegram.url}/bot{telegram.token}/sendMessage", json={"chat_id": 7, "text": "hi"}
    ).json()["ok"]
    assert telegram.messages(7)[-1].text == "hi"


def test_an_ended_campaign_is_listed_but_not_run(telegram, shop, model, tmp_path):
    today = date.today()
    ended = {"name": "Last Spring", "start": (today - timedelta(days=30)).isoformat(),
             "end": (today - timedelta(days=2)).isoformat(), "channels": ["push"],
             "offer": {"kind": "percent_off", "percent": 10}, "products": {"ids": PRODUCTS[:1]}}  # fmt: skip
    desk_of(shop).store.save(parse_campaign(ended, "test"))  # saved while it ran
    with running(make_bot(shop, tmp_path), telegram):
        assert ", ended; push; 0/1 variants written" in say(telegram, "/campaign", chat=MERCHANT)[-1].text
        refused = say(telegram, "/campaign last spring run", chat=MERCHANT)
    assert len(refused) == 1 and refused[0].text.startswith("end: campaign 'Last Spring' ended on")
    assert model.calls == [] and telegram.calls_of("sendDocument") == []
