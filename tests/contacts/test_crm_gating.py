"""Advanced CRM (issue 19) is gated in the catalog: each package × feature page
opens or shows the upgrade offer; a downgrade keeps custom-field data read-only
and the owner is told before confirming; another owner gets 404."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app.contacts.fields import add_field_definition
from app.extensions import db
from app.models import Contact, ContactFieldDefinition, ContactSegment, ImportMappingTemplate
from app.packages.catalog import PACKAGES
from tests.contacts.test_contacts import add_contact, give_package

# (feature page, GET path, POST path with form data that would change something)
PAGES = {
    "custom fields": ("/contacts/fields", "/contacts/fields", {"label": "Birthday", "field_type": "date"}),
    "segments": ("/contacts/segments/new", "/contacts/segments/new",
                 {"name": "VIP", "match": "all", "g0_match": "all", "g0c0_subject": "tag", "g0c0_op": "has",
                  "g0c0_value": "vip", "action": "save"}),
    "duplicates": ("/contacts/duplicates", None, None),
    "merge": ("/contacts/merge", "/contacts/merge", {"ids": []}),
    "bulk edit": ("/contacts/bulk-edit", "/contacts/bulk-edit", {"step": "apply", "action": "add_tag", "value": "x"}),
    "import templates": ("/contacts/import-templates", None, None),
}


def _business(factories, owner, package, name=None):
    return give_package(factories.business(owner=owner, name=name or f"Biz {package}"), package)


@pytest.mark.parametrize("package", [p.slug for p in PACKAGES])
@pytest.mark.parametrize("page", list(PAGES))
def test_each_package_gets_the_feature_or_the_upgrade_offer(client, factories, logged_in_owner, package, page):
    business = _business(factories, logged_in_owner, package)
    get_path, post_path, data = PAGES[page]
    has_it = next(p for p in PACKAGES if p.slug == package).has("advanced_crm")
    response = client.get(f"/businesses/{business.slug}{get_path}")
    html = response.get_data(as_text=True)
    if has_it:
        assert response.status_code in (200, 302) and 'data-upsell="advanced_crm"' not in html
    else:
        assert response.status_code == 200
        assert 'data-upsell="advanced_crm"' in html and "AI Business Suite" in html
    if post_path:
        posted = client.post(f"/businesses/{business.slug}{post_path}", data=data)
        if has_it:
            assert posted.status_code != 403
        else:
            assert posted.status_code == 403
            assert db.session.scalar(select(ContactFieldDefinition)) is None
            assert db.session.scalar(select(ContactSegment)) is None


def test_the_package_picker_lists_the_row_for_suite_and_enterprise_only(client):
    page = client.get("/packages").get_data(as_text=True)
    assert "Advanced CRM" in page
    assert [p.slug for p in PACKAGES if p.has("advanced_crm")] == ["ai_business_suite", "ai_enterprise"]


def test_saved_segment_export_and_list_are_advanced(client, factories, logged_in_owner):
    business = _business(factories, logged_in_owner, "ai_sales")
    segment = ContactSegment(business_id=business.id, name="Any", rules={})
    db.session.add(segment)
    db.session.commit()
    export = client.get(f"/businesses/{business.slug}/contacts/export.csv?saved={segment.id}")
    assert export.status_code == 200 and 'data-upsell="advanced_crm"' in export.get_data(as_text=True)
    listing = client.get(f"/businesses/{business.slug}/contacts?saved={segment.id}")
    assert 'data-upsell="advanced_crm"' in listing.get_data(as_text=True)


def test_a_downgrade_keeps_custom_fields_but_makes_them_read_only(client, factories, logged_in_owner):
    business = _business(factories, logged_in_owner, "ai_business_suite")
    add_field_definition(business, "Stylist", "text")
    contact = add_contact(business, "Ada", custom_fields={"stylist": "Mia"})
    business.integration.service_package = "ai_sales"  # the downgrade took effect at renewal
    db.session.commit()

    detail = client.get(f"/businesses/{business.slug}/contacts/{contact.id}").get_data(as_text=True)
    assert "Mia" in detail and 'data-read-only="custom_fields"' in detail
    assert 'hx-get="/businesses/%s/contacts/%s/field/cf_stylist' % (business.slug, contact.id) not in detail
    field_url = f"/businesses/{business.slug}/contacts/{contact.id}/field/cf_stylist"
    assert client.post(field_url, data={"value": "Zoe"}).status_code == 403
    fields_page = client.get(f"/businesses/{business.slug}/contacts/fields").get_data(as_text=True)
    assert "Stylist" in fields_page and "read-only" in fields_page and "Add field" not in fields_page
    definition = db.session.scalar(select(ContactFieldDefinition))
    assert client.post(f"/businesses/{business.slug}/contacts/fields/{definition.id}/delete").status_code == 403
    db.session.refresh(contact)
    assert contact.custom_fields == {"stylist": "Mia"} and db.session.scalar(select(ContactFieldDefinition)) is not None
    # The basics still work, and the kept values are still exported.
    assert client.post(f"/businesses/{business.slug}/contacts/{contact.id}/field/name", data={"value": "Ada L"}).status_code == 200
    export = client.get(f"/businesses/{business.slug}/contacts/export.csv").get_data(as_text=True)
    assert "Stylist" in export and "Mia" in export


def test_the_downgrade_confirmation_lists_what_becomes_read_only(client, factories, logged_in_owner):
    from app.models.billing import BillingAccount, BillingStatus

    business = _business(factories, logged_in_owner, "ai_business_suite")
    add_field_definition(business, "Stylist", "text")
    add_contact(business, "Ada", custom_fields={"stylist": "Mia"})
    add_contact(business, "Bob")
    db.session.add(ImportMappingTemplate(business_id=business.id, name="Salon", mapping={"name": "Name"}))
    db.session.add(BillingAccount(business_id=business.id, stripe_customer_id="cus_crm", stripe_subscription_id="sub_crm",
                                  status=BillingStatus.ACTIVE, package_slug="ai_business_suite", unit_amount=19900,
                                  currency="usd"))
    db.session.commit()
    page = client.get(f"/businesses/{business.slug}/billing/change?package=ai_sales").get_data(as_text=True)
    assert 'id="downgrade-losses"' in page and 'data-loss="advanced_crm"' in page
    assert "1 custom field and their values on 1 contact are kept but become read-only" in page
    assert "1 import template is kept but not applied" in page
    upgrade = client.get(f"/businesses/{business.slug}/billing/change?package=ai_enterprise").get_data(as_text=True)
    assert 'id="downgrade-losses"' not in upgrade


def test_other_owners_get_404_on_every_advanced_url_with_an_id(client, auth, factories, logged_in_owner):
    business = _business(factories, logged_in_owner, "ai_business_suite")
    segment = ContactSegment(business_id=business.id, name="Mine", rules={})
    template = ImportMappingTemplate(business_id=business.id, name="Mine", mapping={"name": "Name"})
    db.session.add_all([segment, template])
    db.session.commit()
    a, b = add_contact(business, "Ada", phone="+15552011001"), add_contact(business, "Ada", phone="+15552011002")
    intruder = factories.user(email="intruder@example.com")
    give_package(factories.business(owner=intruder, name="Intruder Co"), "ai_enterprise")
    auth.logout()
    auth.login(intruder.email)
    base = f"/businesses/{business.slug}/contacts"
    for method, path, data in (
        ("GET", f"{base}/segments/{segment.id}", None),
        ("POST", f"{base}/segments/{segment.id}", {"name": "Stolen", "action": "save"}),
        ("POST", f"{base}/segments/{segment.id}/delete", None),
        ("POST", f"{base}/import-templates/{template.id}/delete", None),
        ("GET", f"{base}/merge?ids={a.id}&ids={b.id}", None),
        ("POST", f"{base}/merge", {"ids": [str(a.id), str(b.id)]}),
        ("POST", f"{base}/bulk-edit", {"ids": [str(a.id)], "step": "apply", "action": "add_tag", "value": "x"}),
        ("GET", f"{base}/export.csv?saved={segment.id}", None),
    ):
        assert client.open(path, method=method, data=data).status_code == 404, (method, path)
    assert db.session.get(ContactSegment, segment.id).name == "Mine"
    assert db.session.scalar(select(Contact).where(Contact.deleted_at.is_not(None))) is None


def test_segment_and_template_ids_of_another_business_are_404_to_their_owner(client, factories, logged_in_owner):
    mine = _business(factories, logged_in_owner, "ai_business_suite")
    other = _business(factories, factories.user(email="other@example.com"), "ai_business_suite", "Other Biz")
    segment = ContactSegment(business_id=other.id, name="Theirs", rules={})
    db.session.add(segment)
    db.session.commit()
    assert client.get(f"/businesses/{mine.slug}/contacts/segments/{segment.id}").status_code == 404
    assert client.get(f"/businesses/{mine.slug}/contacts/export.csv?saved={segment.id}").status_code == 404
    assert client.get(f"/businesses/{mine.slug}/contacts/segments/not-a-uuid").status_code == 404
