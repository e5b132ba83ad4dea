"""The Merchant tab's Campaigns tab in a real headless Chromium, as a merchant uses it.

Unlocks the tab, fills the campaign form (name, 20% off, dates, two channels, two product
ids), saves it, writes its copy with the scripted model, reads the fact-checked rows and the
offer line with the sale price, edits a variant to promise more than the campaign does and
sees it repaired and then rejected, and deletes the campaign (refused until confirmed). A screenshot is saved to test-artifacts/web_campaigns.png. Skipped without
/usr/bin/chromium, as tests/test_web_browser.py is.
"""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import pytest
from test_campaign_batch import answer
from test_web_browser import ARTIFACTS, CHROMIUM, MERCHANT_KEY, local_page

from assistant import Assistant
from assistant.testing import ScriptedChatModel
from tools.campaign_desk import CampaignDesk

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="needs Debian's chromium: apt-get install -y chromium"
)
TIMEOUT = 30_000


@pytest.fixture
def campaign_server(demo_index, serve, tmp_path: Path) -> str:
    assistant = Assistant(ScriptedChatModel(function=answer), demo_index)
    assistant.merchant.campaigns = CampaignDesk(
        demo_index, assistant.texts, tmp_path / "data", today=lambda: date(2026, 8, 20)
    )
    return serve(assistant, [MERCHANT_KEY])


def box(page, elem_id: str):
    """The text box of the component with ``elem_id`` (Gradio draws a one-line one as a textarea)."""
    return page.locator(f"#{elem_id}").locator("input, textarea").first


def test_campaigns_in_headless_chromium(campaign_server):
    from playwright.sync_api import expect

    with local_page(campaign_server, 1280, 1400) as page:
        page.get_by_role("tab", name="Merchant").click()
        page.locator("#merchant-key input").fill(MERCHANT_KEY)
        page.locator("#merchant-unlock").click()
        expect(page.locator("#merchant-status")).to_contain_text("Unlocked", timeout=TIMEOUT)
        page.get_by_role("tab", name="Campaigns").click()

        box(page, "campaigns-name").fill("Back to School")
        box(page, "campaigns-offer-value").fill("20")
        box(page, "campaigns-start").fill("2026-08-15")
        box(page, "campaigns-end").fill("2026-09-15")
        channels = page.locator("#campaigns-channels input")
        for channel in ("push", "banner"):
            channels.click()
            page.get_by_role("option", name=f"({channel})").click()
        box(page, "campaigns-ids").fill("24-MB01, 24-MB04")
        page.locator("#campaigns-save").click()
        expect(page.locator("#campaigns-status")).to_contain_text(
            "Saved campaign Back to School.", timeout=TIMEOUT
        )
        listed = page.locator("#campaigns-list")
        expect(listed).to_contain_text("Back to School", timeout=TIMEOUT)
        expect(listed).to_contain_text("20% off")
        expect(page.locator("#campaigns-progress")).to_contain_text("4 variants to write", timeout=TIMEOUT)

        page.locator("#campaigns-write").click()
        expect(page.locator("#campaigns-progress")).to_contain_text(
            "All 4 variants written.", timeout=TIMEOUT
        )
        copy = page.locator("#campaigns-copy")
        expect(copy).to_contain_text("passed", timeout=TIMEOUT)
        expect(copy).to_contain_text("$27.20 (was $34.00)")
        expect(listed).to_contain_text("4/4", timeout=TIMEOUT)

        page.locator("#campaigns-edit").get_by_text("Edit a variant").click()
        page.locator("#campaigns-variant input").click()
        page.get_by_role("option", name="Joust Duffle Bag (24-MB01) · push · everyone").click()
        parts = page.locator("#campaigns-parts textarea")
        expect(parts).to_have_value(re.compile("Ready for class"), timeout=TIMEOUT)
        expect(page.locator("#campaigns-verdict textarea")).to_have_value("passed", timeout=TIMEOUT)
        verdict = page.locator("#campaigns-verdict textarea")
        edited = json.loads(parts.input_value())
        edited["title"] += " Now 50% off!"  # added to the model's sentence: that sentence is dropped
        parts.fill(json.dumps(edited))
        page.locator("#campaigns-recheck").click()
        expect(verdict).to_have_value(
            re.compile("^repaired: .*offer 50% off is not the campaign's"), timeout=TIMEOUT
        )
        expect(parts).not_to_have_value(re.compile("50%"), timeout=TIMEOUT)
        expect(copy).to_contain_text("repaired (edited)", timeout=TIMEOUT)
        edited["title"] = "Now 50% off!"  # nothing left once it goes: the variant is rejected
        parts.fill(json.dumps(edited))
        page.locator("#campaigns-recheck").click()
        expect(verdict).to_have_value(re.compile("^rejected: .*50"), timeout=TIMEOUT)
        expect(copy).to_contain_text("rejected (edited)", timeout=TIMEOUT)
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "web_campaigns.png"), full_page=True)

        page.locator("#campaigns-delete").click()  # not confirmed: refused, nothing deleted
        expect(page.get_by_text("nothing was deleted").first).to_be_visible(timeout=TIMEOUT)
        expect(listed).to_contain_text("Back to School")
        page.locator("#campaigns-confirm").get_by_label("Yes, delete Back to School").check()
        page.locator("#campaigns-delete").click()
        expect(page.locator("#campaigns-status")).to_contain_text(
            "Deleted campaign Back to School. Its copy files were kept aside", timeout=TIMEOUT
        )
        expect(listed).not_to_contain_text("Back to School", timeout=TIMEOUT)
        expect(box(page, "campaigns-name")).to_have_value("", timeout=TIMEOUT)
        expect(copy).not_to_contain_text("Joust", timeout=TIMEOUT)
