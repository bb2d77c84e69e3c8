"""Voices, call-handling rules, test calls and rule-following generated calls."""
from __future__ import annotations

import io
import wave
from collections import Counter

from fourcalls_helpers import next_weekday

RULES = {"business_hours_action": "book", "after_hours_action": "take_message",
         "forwarding": {"enabled": True, "number": "+15125550142", "urgent_words": ["pain", "swelling"],
                        "start": "08:00", "end": "18:00"}}


def _org_with_coordinator(api, role="receptionist"):
    org, client = api.create_org()  # dental, America/Chicago, open 08:00-18:00 Monday to Saturday
    coordinator = client.post(f"/organizations/{org['id']}/coordinators", json={"name": "Ava", "role": role}).json()
    return org, client, coordinator


def _at(hour: int) -> str:
    return f"{next_weekday(1).isoformat()}T{hour:02d}:30:00"  # a Tuesday, naive = organization time


def test_voice_catalogue_and_playable_samples(api):
    org, client, _ = _org_with_coordinator(api)
    voices = client.get("/voices").json()["data"]
    assert {"aria", "nova", "atlas"} <= {v["id"] for v in voices}
    assert all(v["gender"] and v["accent"] and v["languages"] for v in voices)
    sample = client.get(voices[1]["sample_url"])
    assert sample.status_code == 200 and sample.headers["content-type"] == "audio/wav"
    with wave.open(io.BytesIO(sample.content)) as audio:
        assert audio.getnchannels() == 1 and audio.getsampwidth() == 2
        assert 0.5 < audio.getnframes() / audio.getframerate() < 3
    assert client.get("/voices/nobody/sample").status_code == 404


def test_unknown_voice_language_or_pace_is_refused(api):
    org, client, coordinator = _org_with_coordinator(api)
    for body in ({"voice": "robot"}, {"languages": ["klingon"]}, {"pace": "warp"}, {"languages": []}):
        response = client.put(f"/coordinators/{coordinator['id']}", json=body)
        assert response.status_code == 422, body
    assert client.get(f"/coordinators/{coordinator['id']}").json()["voice"] == "aria"
    updated = client.put(f"/coordinators/{coordinator['id']}", json={"voice": "nova", "languages": ["es", "en"],
                                                                       "pace": "fast", "goals": "Book cleanings"})
    assert updated.json()["voice"] == "nova" and updated.json()["languages"] == ["es", "en"]


def test_refused_call_handling_keeps_the_previous_rules(api):
    org, client, coordinator = _org_with_coordinator(api)
    url = f"/organizations/{org['id']}/call-handling"
    assert client.put(url, json=RULES).status_code == 200
    for bad in ({**RULES, "forwarding": {**RULES["forwarding"], "urgent_words": []}},
                {**RULES, "forwarding": {**RULES["forwarding"], "number": None}},
                {**RULES, "inbound_coordinator_id": "coord_nope"},
                {**RULES, "forwarding": {**RULES["forwarding"], "start": "8am"}},
                {**RULES, "after_hours_action": "forward", "forwarding": {**RULES["forwarding"], "enabled": False, "number": None}}):
        response = client.put(url, json=bad)
        assert response.status_code == 422, bad
    assert client.get(url).json()["forwarding"] == RULES["forwarding"]


def test_urgent_words_in_forwarding_hours_are_forwarded(api):
    org, client, coordinator = _org_with_coordinator(api)
    client.put(f"/organizations/{org['id']}/call-handling", json=RULES)
    call = client.post(f"/organizations/{org['id']}/test-calls",
                       json={"caller_says": "I'm in so much PAIN, my tooth", "at": _at(10)}).json()
    assert call["status"] == "forwarded" and call["outcome"] == "forwarded" and call["test"] is True
    assert call["forwarding"] == {"to": "+15125550142", "reason": "Urgent: the caller mentioned “pain”",
                                  "matched_words": ["pain"], "answered": True}
    assert call["coordinator_id"] == coordinator["id"] and call["message_taken"] is None
    assert "putting you through" in " ".join(turn["text"] for turn in call["transcript"])


def test_after_hours_call_takes_a_message(api):
    org, client, _ = _org_with_coordinator(api)
    client.put(f"/organizations/{org['id']}/call-handling", json=RULES)
    calm = client.post(f"/organizations/{org['id']}/test-calls",
                       json={"caller_says": "Please call me about my bill.", "at": _at(20)}).json()
    assert calm["status"] == "answered" and calm["outcome"] == "message" and calm["forwarding"] is None
    assert calm["message_taken"] == {"caller_name": "Test caller", "caller_number": "+15005550199",
                                     "text": "Please call me about my bill.", "urgency": "normal",
                                     "callback_requested": True}
    # Urgent words outside forwarding hours: an urgent message, not a forward.
    urgent = client.post(f"/organizations/{org['id']}/test-calls",
                         json={"caller_says": "There's swelling in my jaw", "at": _at(20)}).json()
    assert urgent["outcome"] == "message" and urgent["message_taken"]["urgency"] == "urgent"


def test_an_unanswered_forward_becomes_an_urgent_message(api):
    org, client, _ = _org_with_coordinator(api)
    rules = {**RULES, "forwarding": {**RULES["forwarding"], "number": "+15125550000"}}
    client.put(f"/organizations/{org['id']}/call-handling", json=rules)
    call = client.post(f"/organizations/{org['id']}/test-calls", json={"caller_says": "pain!", "at": _at(10)}).json()
    assert call["status"] == "forwarded" and call["forwarding"]["answered"] is False
    assert call["message_taken"]["urgency"] == "urgent"


def test_generated_calls_follow_the_answering_coordinators_role(api, sandbox):
    org, client, receptionist = _org_with_coordinator(api)
    sales = client.post(f"/organizations/{org['id']}/coordinators", json={"name": "Max", "role": "sales"}).json()
    client.put(f"/organizations/{org['id']}/call-handling", json={**RULES, "inbound_coordinator_id": sales["id"],
                                                                   "business_hours_action": "book",
                                                                   "after_hours_action": "book"})
    outcomes = Counter()
    for _ in range(60):
        call = sandbox.generate_call(org["id"], status="answered")
        assert call["coordinator_id"] == sales["id"]
        outcomes[call["outcome"]] += 1
    # A sales coordinator mostly captures leads and books; a receptionist's calls are question-heavy.
    assert outcomes["lead"] + outcomes["booked"] > outcomes["question"] + outcomes["message"]
