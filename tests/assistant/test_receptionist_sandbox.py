"""Issue 13 against the 4calls sandbox over HTTP: roles, voices, call-handling
rules, forwarding, messages taken, notifications (once, even when 4calls
delivers the webhook twice), and what happens when 4calls refuses a change."""
from __future__ import annotations

import hashlib
import hmac
import json
import time

import pytest
from sqlalchemy import func, select

from app.assistant.voices import clear_cache
from app.extensions import db
from app.assistant import provisioning
from app.models import CallHandling, Coordinator, Notification, OutboundEmail, TakenMessage
from app.models.calls import Call

pytestmark = pytest.mark.integration

HTMX = {"HX-Request": "true"}
SECRET = "fc_whsec_sandbox"  # TestingConfig.FOURCALLS_WEBHOOK_SECRET


@pytest.fixture(autouse=True)
def fresh_voice_cache():
    clear_cache()
    yield
    clear_cache()


def live(business) -> list[Coordinator]:
    db.session.expire_all()
    return list(db.session.scalars(select(Coordinator).where(
        Coordinator.business_id == business.id, Coordinator.status == "active").order_by(Coordinator.position)))


def provisioned(business, run_jobs, package="ai_business_suite"):
    provisioning.activate_package(business, package, "test")
    run_jobs()
    return live(business)


def remote(fourcalls, path):
    return fourcalls.client().get(path).json()


def handling_form(**overrides) -> dict:
    data = {"inbound_coordinator_id": "", "widget_coordinator_id": "", "campaign_coordinator_id": "",
            "business_hours_action": "book", "after_hours_action": "take_message", "forwarding_enabled": "y",
            "forwarding_number": "(512) 555-0142", "urgent_words": "flood\nburst pipe, no heat",
            "forwarding_start": "00:00", "forwarding_end": "00:00"}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def coordinator_form(coordinator, **overrides) -> dict:
    data = {"name": coordinator.name, "role": coordinator.role, "voice": coordinator.voice, "pace": coordinator.pace,
            "languages": list(coordinator.languages), "languages_shown": "1", "greeting": coordinator.greeting or "",
            "persona": coordinator.persona or "", "script": coordinator.script or "", "goals": coordinator.goals or ""}
    data.update(overrides)
    return data


def signed(body: bytes) -> dict:
    timestamp = int(time.time())
    digest = hmac.new(SECRET.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return {"Content-Type": "application/json", "X-FourCalls-Signature": f"t={timestamp},v1={digest}"}


# ---------------------------------------------------------------- roles and voices


def test_suite_owner_sets_coordinator_two_to_support_with_a_voice(client, logged_in_owner, factories, fourcalls, run_jobs):
    business = factories.business(owner=logged_in_owner, name="Role Plumbing", category="Plumbing")
    first, second = provisioned(business, run_jobs)
    assert (first.role, second.role) == ("receptionist", "sales")
    base = f"/businesses/{business.slug}/assistant/coordinators/{second.id}"

    edit = client.get(f"{base}/edit", headers=HTMX)
    assert b'name="role"' in edit.data and b">Booking<" in edit.data and b"Play sample" in edit.data
    saved = client.post(base, headers=HTMX, data=coordinator_form(
        second, role="support", voice="atlas", pace="slow", languages=["en", "es"]))
    assert saved.status_code == 200, saved.data
    run_jobs()
    [first_after, second_after] = live(business)
    assert second_after.id == second.id and second_after.role == "support" and second_after.slot == "sales"
    # The role's default texts replaced the untouched sales defaults; the name follows the role.
    assert "support" in second_after.script.lower() and second_after.goals.startswith("Solve existing customers")
    coordinator = remote(fourcalls, f"/coordinators/{second.fourcalls_id}")
    assert (coordinator["role"], coordinator["voice"], coordinator["pace"], coordinator["languages"]) == (
        "support", "atlas", "slow", ["en", "es"])
    # A later sync keeps the same coordinator (the plan matches the package seat, not the role).
    provisioning.request_push(business)
    run_jobs()
    assert [c.id for c in live(business)] == [first.id, second.id]

    sample = client.get(f"/businesses/{business.slug}/assistant/voices/atlas/sample")
    assert sample.status_code == 200 and sample.mimetype == "audio/wav" and sample.data[:4] == b"RIFF"
    assert client.get(f"/businesses/{business.slug}/assistant/voices/nobody/sample").status_code == 404


def test_bad_coordinator_input_is_refused_and_nothing_is_pushed(client, logged_in_owner, factories, fourcalls, run_jobs):
    business = factories.business(owner=logged_in_owner, name="Fixed Role Salon")
    [coordinator] = provisioned(business, run_jobs, package="ai_receptionist")
    base = f"/businesses/{business.slug}/assistant/coordinators/{coordinator.id}"
    for change, message in ((dict(role="sales"), b"does not allow this role"),
                            (dict(voice="robot"), b"Choose a voice from the list"),
                            (dict(languages=[], languages_shown="1"), b"at least one language")):
        response = client.post(base, headers=HTMX, data=coordinator_form(coordinator, **change))
        assert response.status_code == 422 and message in response.data, change
    assert live(business)[0].version == coordinator.version
    assert remote(fourcalls, f"/coordinators/{coordinator.fourcalls_id}")["role"] == "receptionist"


def test_reset_brings_back_the_role_defaults(client, logged_in_owner, factories, fourcalls, run_jobs):
    business = factories.business(owner=logged_in_owner, name="Reset Dental", category="Dental clinic")
    [coordinator] = provisioned(business, run_jobs, package="ai_receptionist")
    base = f"/businesses/{business.slug}/assistant/coordinators/{coordinator.id}"
    client.post(base, headers=HTMX, data=coordinator_form(coordinator, greeting="Yo.", goals="Whatever"))
    assert live(business)[0].greeting == "Yo."
    client.post(f"{base}/reset", headers=HTMX)
    run_jobs()
    [after] = live(business)
    assert after.greeting.startswith("Thank you for calling Reset Dental") and after.goals != "Whatever"
    assert remote(fourcalls, f"/coordinators/{after.fourcalls_id}")["greeting"] == after.greeting


# ---------------------------------------------------------------- call handling, forwarding, messages


def test_bad_call_handling_input_gets_field_errors_and_nothing_is_pushed(client, logged_in_owner, factories, fourcalls, run_jobs):
    business = factories.business(owner=logged_in_owner, name="Strict Heating", category="Heating")
    provisioned(business, run_jobs)
    url = f"/businesses/{business.slug}/assistant/call-handling"
    for change, message in ((dict(forwarding_number="call me"), b"not a phone number"),
                            (dict(urgent_words=" , "), b"at least one urgent word"),
                            (dict(urgent_words=""), b"at least one urgent word"),
                            (dict(forwarding_number=""), b"Enter the number calls are forwarded to"),
                            (dict(forwarding_start="8am"), b"24-hour time"),
                            (dict(inbound_coordinator_id="not-mine"), b"Choose one of your assistants")):
        response = client.post(url, data=handling_form(**change))
        assert response.status_code == 422 and message in response.data, change
    assert db.session.scalar(select(func.count()).select_from(CallHandling)) == 0
    org = provisioning.integration_for(business).organization_id
    assert remote(fourcalls, f"/organizations/{org}/call-handling")["forwarding"]["enabled"] is False


def test_urgent_words_in_forwarding_hours_forward_the_call(client, logged_in_owner, factories, fourcalls, run_jobs):
    business = factories.business(owner=logged_in_owner, name="Burst Pipe Plumbing", category="Plumbing")
    first, second = provisioned(business, run_jobs)
    url = f"/businesses/{business.slug}/assistant/call-handling"
    page = client.get(url)
    assert b"burst pipe" in page.data  # trade defaults
    response = client.post(url, data=handling_form(inbound_coordinator_id=str(second.id),
                                                   widget_coordinator_id=str(second.id),
                                                   forwarding_start="08:00", forwarding_end="17:30"))
    assert response.status_code == 302
    run_jobs()
    org = provisioning.integration_for(business).organization_id
    rules = remote(fourcalls, f"/organizations/{org}/call-handling")
    assert rules["widget_coordinator_id"] == second.fourcalls_id
    # The widget's coordinator is the one the chat uses.
    assert provisioning.integration_for(business).coordinator_id == second.fourcalls_id
    assert rules["forwarding"] == {"enabled": True, "number": "+15125550142", "urgent_words": ["flood", "burst pipe", "no heat"],
                                   "start": "08:00", "end": "17:30"}
    assert rules["inbound_coordinator_id"] == second.fourcalls_id

    result = client.post(f"/businesses/{business.slug}/assistant/test-call", headers=HTMX,
                         data={"caller_says": "Help, a burst pipe is flooding the kitchen!", "when": "business_hours"})
    assert result.status_code == 200 and b'data-call-status="forwarded"' in result.data
    call = db.session.scalar(select(Call).where(Call.business_id == business.id))
    assert call.status == "forwarded" and call.forwarded_to == "+15125550142" and call.forward_answered is True
    assert "burst pipe" in call.forward_reason and call.coordinator_remote_id == second.fourcalls_id and call.is_test
    [notification] = db.session.scalars(select(Notification)).all()
    assert notification.kind == "urgent_call" and notification.urgent
    log = client.get(f"/businesses/{business.slug}/calls")
    assert b"Forwarded" in log.data and b"burst pipe" in log.data

    # The same words after hours (18:00, outside forwarding hours): an urgent message for a call back.
    after = client.post(f"/businesses/{business.slug}/assistant/test-call", headers=HTMX,
                        data={"caller_says": "We have no heat at all!", "when": "after_hours"})
    assert b'data-call-status="answered"' in after.data and b"closed right now" in after.data
    message = db.session.scalar(select(TakenMessage).where(TakenMessage.text == "We have no heat at all!"))
    assert message.urgency == "urgent" and message.callback_requested


def test_after_hours_call_takes_a_message_inbox_and_one_email_even_when_the_webhook_comes_twice(
        client, logged_in_owner, factories, fourcalls, run_jobs):
    business = factories.business(owner=logged_in_owner, name="Night Dental", category="Dental")
    provisioned(business, run_jobs, package="ai_receptionist")
    client.post(f"/businesses/{business.slug}/assistant/call-handling",
                data=handling_form(forwarding_enabled=None, urgent_words="pain"))
    run_jobs()
    org = provisioning.integration_for(business).organization_id
    call = fourcalls.client(fourcalls.platform_key).post(f"/organizations/{org}/test-calls", json={
        "caller_says": "Please ask the dentist to call me about my crown.",
        "at": _after_hours(business).isoformat()}).json()
    assert call["outcome"] == "message" and call["message_taken"]["urgency"] == "normal"

    event = {"id": "evt_night_1", "type": "call.completed", "created": int(time.time()), "organization_id": org,
             "data": {"object": call}}
    body = json.dumps(event).encode()
    assert client.post("/webhooks/fourcalls", data=body, headers=signed(body)).status_code == 200
    assert client.post("/webhooks/fourcalls", data=body, headers=signed(body)).status_code == 200
    # 4calls may also send the same call under a new event id: still one message.
    again = json.dumps({**event, "id": "evt_night_2"}).encode()
    assert client.post("/webhooks/fourcalls", data=again, headers=signed(again)).status_code == 200
    run_jobs()

    [message] = db.session.scalars(select(TakenMessage).where(TakenMessage.business_id == business.id)).all()
    assert message.text == "Please ask the dentist to call me about my crown." and message.callback_requested
    inbox = client.get(f"/businesses/{business.slug}/messages-taken")
    assert b"call me about my crown" in inbox.data and b'data-count="unread"' in inbox.data
    emails = db.session.scalars(select(OutboundEmail).where(OutboundEmail.template == "notifications/event")).all()
    assert len(emails) == 1 and emails[0].to_address == logged_in_owner.email and emails[0].status == "sent"
    assert "New message from Test caller" in emails[0].subject

    handled = client.post(f"/businesses/{business.slug}/messages-taken/{message.id}/handled", headers=HTMX,
                          data={"handled": "1"})
    assert handled.status_code == 200 and b"Handled" in handled.data
    db.session.expire_all()
    assert db.session.get(TakenMessage, message.id).handled_at is not None


def _after_hours(business):
    from app.assistant.test_calls import simulated_moment

    return simulated_moment(business, "after_hours")


# ---------------------------------------------------------------- 4calls refuses


def test_when_4calls_refuses_the_previous_settings_stay_live_and_the_page_says_what(
        client, logged_in_owner, factories, fourcalls, run_jobs):
    business = factories.business(owner=logged_in_owner, name="Refused Roofing", category="Roofing")
    first, second = provisioned(business, run_jobs)
    # A voice 4calls has since withdrawn (our form only offers the catalogue).
    row = db.session.get(Coordinator, first.id)
    row.voice, row.version = "withdrawn", row.version + 1
    db.session.commit()
    # Rules naming a coordinator 4calls retired meanwhile.
    client.post(f"/businesses/{business.slug}/assistant/call-handling", data=handling_form())
    run_jobs()
    fourcalls.client().delete(f"/coordinators/{second.fourcalls_id}")
    handling = db.session.scalar(select(CallHandling))
    handling.inbound_coordinator_id, handling.version = second.id, handling.version + 1
    db.session.commit()
    provisioning.request_push(business)
    run_jobs()

    db.session.expire_all()
    first = db.session.get(Coordinator, first.id)
    assert first.refused and "voice" in first.last_error
    assert remote(fourcalls, f"/coordinators/{first.fourcalls_id}")["voice"] == "aria"
    page = client.get(f"/businesses/{business.slug}/assistant")
    assert b"did not apply your last change" in page.data and b"Not applied: voice" in page.data
    rules_page = client.get(f"/businesses/{business.slug}/assistant/call-handling")
    assert rules_page.status_code == 200
    handling = db.session.scalar(select(CallHandling))
    org = provisioning.integration_for(business).organization_id
    # 4calls refused the rules naming its retired coordinator: the earlier rules stay in force.
    assert handling.refused and "inbound coordinator id" in handling.last_error
    assert b"previous rules are still live" in rules_page.data and b"Not applied: who answers calls" in rules_page.data
    assert remote(fourcalls, f"/organizations/{org}/call-handling")["inbound_coordinator_id"] is None
    assert remote(fourcalls, f"/organizations/{org}/call-handling")["forwarding"]["enabled"] is True
    # The other coordinator's edits were not blocked by the refusals.
    assert remote(fourcalls, f"/coordinators/{second.fourcalls_id}")["status"] == "retired"


def test_another_owner_gets_404_on_coordinator_and_voice_urls(client, auth, logged_in_owner, factories, fourcalls, run_jobs):
    business = factories.business(owner=logged_in_owner, name="Private Receptionist")
    [coordinator] = provisioned(business, run_jobs, package="ai_receptionist")
    auth.logout()
    intruder = factories.user()
    auth.login(intruder.email)
    own = factories.business(owner=intruder, name="Intruder Receptionist")
    for slug in (business.slug, own.slug):
        assert client.post(f"/businesses/{slug}/assistant/coordinators/{coordinator.id}/reset").status_code == 404
    assert client.get(f"/businesses/{business.slug}/assistant/voices/aria/sample").status_code == 404
    assert client.post(f"/businesses/{business.slug}/assistant/test-call", data={"caller_says": "hi"}).status_code == 404


def test_when_4calls_is_down_the_form_keeps_the_current_voice_and_samples_answer_503(
        client, logged_in_owner, factories, fourcalls, run_jobs):
    business = factories.business(owner=logged_in_owner, name="Offline Voices")
    [coordinator] = provisioned(business, run_jobs, package="ai_receptionist")
    fourcalls.set_faults(error_rate=1.0)
    try:
        base = f"/businesses/{business.slug}/assistant/coordinators/{coordinator.id}"
        edit = client.get(f"{base}/edit", headers=HTMX)
        assert edit.status_code == 200 and b'value="aria"' in edit.data and b'value="atlas"' not in edit.data
        saved = client.post(base, headers=HTMX, data=coordinator_form(coordinator, greeting="Hello offline"))
        assert saved.status_code == 200 and b"Pending sync" in saved.data
        assert client.get(f"/businesses/{business.slug}/assistant/voices/aria/sample").status_code == 503
        failed = client.post(f"/businesses/{business.slug}/assistant/test-call", headers=HTMX,
                             data={"caller_says": "Hello?", "when": "now"})
        assert failed.status_code == 200 and b"The test call did not go through" in failed.data
    finally:
        fourcalls.clear_faults()
