"""CSV import: mapping, preview, merge by phone/email, per-row errors, limits, bad files."""
from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Contact, ContactImport, ContactTag, JobRun
from tests.contacts.test_contacts import add_contact, give_package


@pytest.fixture
def business(factories, logged_in_owner):
    return give_package(factories.business(owner=logged_in_owner, name="Import Salon"))


def upload(client, business, data: bytes, filename="contacts.csv"):
    return client.post(f"/businesses/{business.slug}/contacts/import",
                       data={"file": (io.BytesIO(data), filename)}, content_type="multipart/form-data")


def contact_count():
    return db.session.scalar(select(func.count()).select_from(Contact))


def test_import_maps_previews_merges_and_reports_bad_rows(client, business, run_jobs):
    existing = add_contact(business, "Ada Lovelace", phone="+15552011001", notes="met at the fair")
    csv_text = (
        "Full name,Mobile,E-mail,Tags\n"
        "Ada L.,555 201 1001,ada@example.com,vip\n"          # merges into Ada by phone, fills the email
        "Grace Hopper,555 201 1002,grace@example.com,vip;navy\n"
        "Bad Phone,555-CALL-NOW,,\n"                          # row 4: refused
        "Grace again,,GRACE@example.com,newsletter\n"         # merges into the Grace of row 3 by email
        "Alan Turing,+44 20 7946 0958,,\n"
    )
    response = upload(client, business, csv_text.encode())
    assert response.status_code == 302
    review_url = response.headers["Location"]
    page = client.get(review_url).get_data(as_text=True)
    assert 'value="Mobile" selected' in page and 'value="Full name" selected' in page
    assert "contains letters" in page  # the preview shows the bad row before anything is saved
    assert contact_count() == 1

    response = client.post(review_url, data={"map_name": "Full name", "map_phone": "Mobile", "map_email": "E-mail",
                                             "map_tags": "Tags", "action": "start"})
    assert response.status_code == 302
    run_jobs()
    db.session.expire_all()  # the job committed in its own session; read what it wrote
    imp = db.session.scalar(select(ContactImport))
    assert (imp.status, imp.created_count, imp.merged_count) == ("done", 2, 2)
    assert imp.row_errors == [{"row": 4, "errors": [imp.row_errors[0]["errors"][0]]}]
    assert "contains letters" in imp.row_errors[0]["errors"][0]
    db.session.expire_all()
    ada = db.session.get(Contact, existing.id)
    assert (ada.name, ada.email, ada.notes, ada.tag_names) == ("Ada Lovelace", "ada@example.com", "met at the fair", ["vip"])
    grace = db.session.scalar(select(Contact).where(Contact.phone == "+15552011002"))
    assert grace.email == "grace@example.com" and grace.tag_names == ["navy", "newsletter", "vip"]
    assert grace.source == "import" and grace.sync_state == "pending"
    assert contact_count() == 3
    assert db.session.get(JobRun, imp.job_run_id).status == "succeeded"
    done = client.get(review_url + "/progress", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "2 added" in done and "2 merged" in done and "1 row skipped" in done and "every 1s" not in done


def test_progress_fragment_polls_while_running(client, business):
    response = upload(client, business, b"Name,Phone\nAda,5552011001\n")
    review_url = response.headers["Location"]
    client.post(review_url, data={"map_name": "Name", "map_phone": "Phone", "action": "start"})
    fragment = client.get(review_url + "/progress", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert 'hx-trigger="every 1s"' in fragment and "<html" not in fragment
    assert "<html" in client.get(review_url + "/progress").get_data(as_text=True)


def test_latin1_file_is_read_with_a_warning(client, business, run_jobs):
    response = upload(client, business, "Name,Phone\nJosé Müller,5552011001\n".encode("latin-1"))
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "not UTF-8" in page and "José Müller" in page


@pytest.mark.parametrize("data, message", [
    (b"", "The file is empty"),
    (b"Name,Phone\n", "no contacts below it"),
    (b'Name,Phone\n"Ada,5552011001\n', "not valid CSV"),
    (b"Name,Phone\nAda,555,extra,values\n", "unquoted comma"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00", "binary data"),
])
def test_malformed_files_get_a_clear_error_and_nothing_is_saved(client, business, data, message):
    response = upload(client, business, data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(ContactImport)) == 0


def test_a_20_mb_file_is_refused_with_a_clear_message(client, business):
    big = b"Name,Phone\n" + b"Someone,5552011001\n" * (20 * 1024 * 1024 // 19)
    response = upload(client, business, big)
    assert response.status_code == 413
    assert "larger than 5 MB" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(ContactImport)) == 0


def test_mapping_without_name_phone_or_email_is_refused(client, business):
    response = upload(client, business, b"Name,Phone,Notes\nAda,5552011001,hi\n")
    review_url = response.headers["Location"]
    response = client.post(review_url, data={"map_notes": "Notes", "action": "start"})
    assert response.status_code == 422 and "name, phone or email" in response.get_data(as_text=True)
    assert db.session.scalar(select(ContactImport)).status == "uploaded"


def test_import_over_the_contact_limit_saves_nothing(client, factories, logged_in_owner, run_jobs):
    business = give_package(factories.business(owner=logged_in_owner), "ai_receptionist")
    db.session.add_all([Contact(business_id=business.id, name=f"C{i}") for i in range(499)])
    db.session.commit()
    response = upload(client, business, b"Name\nOne\nTwo\n")
    client.post(response.headers["Location"], data={"map_name": "Name", "action": "start"})
    run_jobs()
    imp = db.session.scalar(select(ContactImport))
    assert imp.status == "failed" and "up to 500 contacts" in imp.error
    assert contact_count() == 499
    assert db.session.scalar(select(func.count()).select_from(ContactTag)) == 0


def test_custom_field_columns_are_typed(client, factories, logged_in_owner, run_jobs):
    business = give_package(factories.business(owner=logged_in_owner, name="Suite Import"), "ai_business_suite")
    client.post(f"/businesses/{business.slug}/contacts/fields", data={"label": "Visits", "field_type": "number"})
    response = upload(client, business, b"Name,Visits\nAda,3\nBob,lots\n")
    review_url = response.headers["Location"]
    client.post(review_url, data={"map_name": "Name", "map_cf_visits": "Visits", "action": "start"})
    run_jobs()
    imp = db.session.scalar(select(ContactImport))
    assert imp.created_count == 1 and imp.row_errors[0]["row"] == 3 and "not a number" in imp.row_errors[0]["errors"][0]
    assert db.session.scalar(select(Contact)).custom_fields == {"visits": 3}


def test_another_owner_cannot_see_an_import(client, auth, business, factories):
    response = upload(client, business, b"Name\nAda\n")
    review_url = response.headers["Location"]
    auth.logout()
    auth.login(factories.user().email)
    assert client.get(review_url).status_code == 404
    assert client.post(review_url, data={"action": "start"}).status_code == 404
    assert client.get(review_url + "/progress").status_code == 404
