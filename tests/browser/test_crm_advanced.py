"""Advanced CRM in a browser (issue 19): merge two duplicates (preview, then
merge), build an AND/OR segment, and bulk edit the segment's contacts."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from app.contacts.fields import add_field_definition
from app.demo import CLAIMED_DEMO_SLUG
from app.extensions import db
from app.models import Call
from app.models.base import utcnow
from tests.browser.conftest import add_contacts, owned_demo_site
from tests.browser.mail_helpers import log_in as shared_log_in

pytestmark = pytest.mark.browser

SLOW = 15_000
OWNER_EMAIL = "advanced.crm@example.com"
OWNER_PASSWORD = "advanced-crm-password"


@pytest.fixture(scope="module")
def suite_site(tmp_path_factory):
    def prepare(business):
        add_field_definition(business, "Stylist", "text")
        add_field_definition(business, "Plan", "text")
        added = add_contacts(business, [("Ada Lovelace", "+15552011001", "ada@example.com", ["vip"], {"stylist": "Mia"}),
                                        ("Ada L.", None, "ADA@example.com", ["walk-in"]),
                                        ("Grace Hopper", "+15552011002", "grace@navy.example", ["newsletter"]),
                                        ("Katherine Johnson", "+15552011004", "kj@example.com", ["vip"], {"stylist": "Zoe"}),
                                        ("Alan Turing", "+15552011005", None, [])])
        db.session.add(Call(business_id=business.id, remote_id="call-ada-l", direction="inbound",
                            contact_id=added["Ada L."].id, started_at=utcnow(), status="answered",
                            summary="Asked about a colour appointment."))

    with owned_demo_site(tmp_path_factory.mktemp("crm-advanced-browser"), ("Suite Owner", OWNER_EMAIL, OWNER_PASSWORD),
                         "ai_business_suite", prepare) as server:
        yield server


def log_in(page, server):
    shared_log_in(page, server, OWNER_EMAIL, OWNER_PASSWORD, timeout=SLOW)


def test_merge_two_duplicates_with_a_preview(suite_site, page, shot):
    log_in(page, suite_site)
    page.goto(f"{suite_site.url}/businesses/{CLAIMED_DEMO_SLUG}/contacts")
    page.click("a.btn:has-text('Duplicates')")
    group = page.locator(".duplicate-group").first
    expect(group).to_contain_text("same email", timeout=SLOW)
    expect(group).to_contain_text("Ada L.")
    shot("crm-duplicates")
    group.locator("button:has-text('Review and merge')").click()
    preview = page.locator("#merge-preview")
    expect(preview.locator("[data-kept=name]")).to_have_text("Ada Lovelace", timeout=SLOW)
    expect(preview.locator("[data-kept=tags]")).to_contain_text("walk-in")
    expect(preview.locator("[data-kept=tags]")).to_contain_text("vip")
    expect(preview.locator("[data-kept=moves]")).to_contain_text("1 call")
    # Keep the other name instead, and see the preview follow.
    page.locator("#merge-choices input[name=pick_name]").nth(1).check()
    page.click("#merge-choices button:has-text('Update preview')")
    expect(preview.locator("[data-kept=name]")).to_have_text("Ada L.", timeout=SLOW)
    page.locator("#merge-choices input[name=pick_name]").nth(0).check()
    page.click("#merge-choices button:has-text('Update preview')")
    expect(preview.locator("[data-kept=name]")).to_have_text("Ada Lovelace", timeout=SLOW)
    shot("crm-merge-preview")
    preview.locator("button:has-text('Merge into')").click()
    expect(page.locator(".flash")).to_contain_text("Merged 2 contacts into Ada Lovelace", timeout=SLOW)
    expect(page.locator("h1")).to_contain_text("Ada Lovelace")
    expect(page.locator("body")).to_contain_text("colour appointment")  # the duplicate's call moved
    shot("crm-merged-contact")
    page.goto(f"{suite_site.url}/businesses/{CLAIMED_DEMO_SLUG}/contacts/duplicates")
    expect(page.locator("body")).not_to_contain_text("Ada L.", timeout=SLOW)


def test_build_an_and_or_segment_then_bulk_edit_it(suite_site, page, shot):
    log_in(page, suite_site)
    page.goto(f"{suite_site.url}/businesses/{CLAIMED_DEMO_SLUG}/contacts/segments")
    page.click("a:has-text('+ New segment')")
    page.fill("#segment-name", "VIPs with Mia, or newsletter")
    page.select_option("#segment-match", "any")
    page.select_option("select[name=g0c0_subject]", "tag")
    page.select_option("select[name=g0c0_op]", "has")
    page.fill("input[name=g0c0_value]", "vip")
    page.click("button:has-text('+ Add condition')")
    page.select_option("select[name=g0c1_subject]", "field:stylist")
    page.select_option("select[name=g0c1_op]", "is")
    page.fill("input[name=g0c1_value]", "mia")
    page.click("button:has-text('+ Add group')")
    page.select_option("select[name=g1c0_subject]", "tag")
    page.select_option("select[name=g1c0_op]", "has")
    page.fill("input[name=g1c0_value]", "newsletter")
    # A wrong operator is a field error on its row, and nothing is lost.
    page.select_option("select[name=g1c0_op]", "gt")
    page.click("#segment-preview-button")
    expect(page.locator("[data-condition=g1c0] .field-error")).to_contain_text("For this condition", timeout=SLOW)
    expect(page.locator("input[name=g0c1_value]")).to_have_value("mia")
    page.select_option("select[name=g1c0_op]", "has")
    page.click("#segment-preview-button")
    expect(page.locator("#segment-preview")).to_contain_text("2 contacts match", timeout=SLOW)
    expect(page.locator("#segment-preview")).to_contain_text("Ada Lovelace")
    expect(page.locator("#segment-preview")).to_contain_text("Grace Hopper")
    shot("crm-segment-builder")
    page.click("button:has-text('Save segment')")
    expect(page.locator(".flash")).to_contain_text("2 contacts match it now", timeout=SLOW)
    row = page.locator("tr[data-segment='VIPs with Mia, or newsletter']")
    expect(row).to_contain_text("(tagged vip and Stylist is mia) or tagged newsletter")
    shot("crm-segments-list")

    row.locator("a:has-text('Bulk edit')").click()
    expect(page.locator("#bulk-count")).to_contain_text("2 contacts in this segment", timeout=SLOW)
    page.select_option("#bulk-action", "set_field")
    page.select_option("#bulk-field", "plan")
    page.fill("#bulk-value", "Gold")
    shot("crm-bulk-edit")
    page.click("#bulk-edit-form button[type=submit]")
    expect(page.locator(".flash")).to_contain_text("Changed 2 contacts", timeout=SLOW)
    expect(page.locator("#contact-count")).to_contain_text("2 contacts")
    page.click("#contact-results >> text=Grace Hopper")
    expect(page.locator("#field-cf_plan")).to_contain_text("Gold", timeout=SLOW)
    shot("crm-bulk-edited-contact")
