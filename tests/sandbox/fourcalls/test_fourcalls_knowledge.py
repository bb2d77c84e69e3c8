"""Coordinator knowledge (issue 19): sources as chunks, retrieval by TF-IDF,
answers in the knowledge test, chat and generated calls. Every response is
checked against the contract by the `api` fixture's clients."""
from __future__ import annotations

from fourcalls_helpers import next_weekday, parse_sse

PARKING = ("Visitor guide. Parking is free in the garage behind the clinic on Elm Street; "
           "take a ticket and we validate it at the front desk. The entrance is on the north side.")
INSURANCE = "We accept Delta Dental, Cigna and Aetna insurance plans. Bring your insurance card to your first visit."


def _source(client, org_id, external_id, chunks, **fields):
    body = {"external_id": external_id, "title": fields.pop("title", external_id), "kind": fields.pop("kind", "document"),
            "chunks": chunks, **fields}
    return client.post(f"/organizations/{org_id}/knowledge-sources", json=body)


def _ask(client, coordinator_id, question):
    with client.stream("POST", f"/coordinators/{coordinator_id}/knowledge-test", json={"question": question}) as stream:
        assert stream.status_code == 200
        return parse_sse(stream.read().decode())


def test_sources_are_created_listed_read_and_deleted(api):
    org, client = api.create_org()
    created = _source(client, org["id"], "doc-1", [{"text": PARKING}, {"text": INSURANCE}], title="Visitor guide",
                      content_hash="abc123")
    assert created.status_code == 201, created.text
    source = created.json()
    assert (source["chunk_count"], source["characters"]) == (2, len(PARKING) + len(INSURANCE))
    assert source["coordinator_id"] is None and source["content_hash"] == "abc123"

    listed = client.get(f"/organizations/{org['id']}/knowledge-sources", params={"external_id": "doc-1"}).json()
    assert [s["id"] for s in listed["data"]] == [source["id"]]
    assert "chunks" not in listed["data"][0]
    full = client.get(f"/knowledge-sources/{source['id']}").json()
    assert [c["text"] for c in full["chunks"]] == [PARKING, INSURANCE]

    again = _source(client, org["id"], "doc-1", [{"text": "other"}])
    assert again.status_code == 409 and again.json()["error"]["details"]["existing_id"] == source["id"]

    assert client.delete(f"/knowledge-sources/{source['id']}").json() == {"id": source["id"], "deleted": True}
    assert client.delete(f"/knowledge-sources/{source['id']}").status_code == 404
    assert client.get(f"/organizations/{org['id']}/knowledge-sources").json()["data"] == []


def test_invalid_sources_are_refused_with_field_errors(api):
    org, client = api.create_org()
    empty = _source(client, org["id"], "x", [])
    assert empty.status_code == 422 and "chunks" in empty.json()["error"]["details"]["fields"]
    long_chunk = _source(client, org["id"], "y", [{"text": "w" * 4001}])
    assert long_chunk.status_code == 422
    stranger, _ = api.create_org()
    foreign = api.create_coordinator(api.client(stranger["api_key"]), stranger["id"])
    wrong = _source(client, org["id"], "z", [{"text": "hello"}], coordinator_id=foreign["id"])
    assert wrong.json()["error"]["details"]["fields"] == {"coordinator_id": "no such coordinator in this organization"}


def test_another_organization_cannot_see_or_delete_a_source(api):
    org, client = api.create_org()
    source = _source(client, org["id"], "private", [{"text": INSURANCE}]).json()
    other, other_client = api.create_org()
    assert other_client.get(f"/knowledge-sources/{source['id']}").status_code == 404
    assert other_client.delete(f"/knowledge-sources/{source['id']}").status_code == 404
    assert other_client.get(f"/organizations/{org['id']}/knowledge-sources").status_code == 404
    assert client.get(f"/knowledge-sources/{source['id']}").status_code == 200


def test_the_knowledge_test_answers_from_the_best_matching_source_and_cites_it(api):
    org, client = api.create_org()
    coordinator = api.create_coordinator(client, org["id"])
    guide = _source(client, org["id"], "guide", [{"text": PARKING}], title="Visitor guide").json()
    plans = _source(client, org["id"], "plans", [{"text": INSURANCE}], title="Insurance").json()
    qa = _source(client, org["id"], "qa-1", [{"question": "Do you see children?",
                                                "text": "Yes, Dr. Lee sees children from age three."}],
                 kind="qa", title="Do you see children?").json()

    events = _ask(client, coordinator["id"], "Where can I park my car?")
    answer = "".join(data["text"] for name, data in events if name == "token")
    assert "Parking is free in the garage" in answer and "Delta" not in answer
    sources = next(data["sources"] for name, data in events if name == "sources")
    assert sources[0]["knowledge_source_id"] == guide["id"] and sources[0]["title"] == "Visitor guide"
    assert events[-1] == ("done", {"answered": True})

    events = _ask(client, coordinator["id"], "Which insurance do you take?")
    assert next(d["sources"] for n, d in events if n == "sources")[0]["knowledge_source_id"] == plans["id"]

    events = _ask(client, coordinator["id"], "do you see kids or children?")
    assert "".join(d["text"] for n, d in events if n == "token") == "Yes, Dr. Lee sees children from age three."
    assert next(d["sources"] for n, d in events if n == "sources")[0]["knowledge_source_id"] == qa["id"]

    events = _ask(client, coordinator["id"], "What is the capital of Mongolia?")
    assert next(d["sources"] for n, d in events if n == "sources") == []
    assert events[-1] == ("done", {"answered": False})


def test_a_source_for_one_coordinator_is_not_used_by_another(api):
    org, client = api.create_org()
    first = api.create_coordinator(client, org["id"])
    second = api.create_coordinator(client, org["id"], name="Bo", role="sales")
    _source(client, org["id"], "only-first", [{"text": PARKING}], coordinator_id=first["id"])
    assert next(d for n, d in _ask(client, first["id"], "Is parking free?") if n == "done")["answered"] is True
    assert next(d for n, d in _ask(client, second["id"], "Is parking free?") if n == "done")["answered"] is False
    assert client.get(f"/organizations/{org['id']}/knowledge-sources",
                      params={"coordinator_id": first["id"]}).json()["data"]


def test_chat_answers_from_knowledge_and_names_the_sources(api):
    org, client = api.create_org()
    coordinator = api.create_coordinator(client, org["id"])
    guide = _source(client, org["id"], "guide", [{"text": PARKING}], title="Visitor guide").json()
    with client.stream("POST", f"/coordinators/{coordinator['id']}/chat",
                       json={"message": "Is there parking near the clinic?"}) as stream:
        events = parse_sse(stream.read().decode())
    reply = "".join(d["text"] for n, d in events if n == "token")
    assert "Parking is free in the garage" in reply
    assert events[-1][1]["knowledge_source_ids"] == [guide["id"]]
    # Deleting the source takes effect at once.
    client.delete(f"/knowledge-sources/{guide['id']}")
    with client.stream("POST", f"/coordinators/{coordinator['id']}/chat",
                       json={"message": "Is there parking near the clinic?"}) as stream:
        events = parse_sse(stream.read().decode())
    assert "garage" not in "".join(d["text"] for n, d in events if n == "token")
    assert "knowledge_source_ids" not in events[-1][1]


def test_a_generated_call_answers_the_callers_question_from_knowledge(api, sandbox):
    org, client = api.create_org()
    coordinator = api.create_coordinator(client, org["id"])
    _source(client, org["id"], "plans", [{"text": INSURANCE}], title="Insurance")
    call = client.post(f"/organizations/{org['id']}/test-calls",
                       json={"caller_says": "Do you accept Cigna insurance?",
                             "at": f"{next_weekday(1)}T10:00:00"}).json()  # open hours: no message taking
    assert call["outcome"] == "question" and call["coordinator_id"] == coordinator["id"]
    said = [turn["text"] for turn in call["transcript"]]
    asked = said.index("Do you accept Cigna insurance?")
    assert "Cigna" in said[asked + 1] and "Delta Dental" in said[asked + 1]
    assert "knowledge base" in call["summary"]


def test_generated_question_calls_use_the_qa_pairs(api, sandbox):
    org, client = api.create_org()
    api.create_coordinator(client, org["id"])
    _source(client, org["id"], "qa-wifi", [{"question": "Is there wifi in the waiting room?",
                                             "text": "Yes, the network is ClinicGuest and needs no password."}],
            kind="qa", title="Is there wifi in the waiting room?")
    answers = []
    for _ in range(8):
        call = sandbox.generate_call(org["id"], outcome="question")
        answers += [t["text"] for t in call["transcript"] if t["speaker"] == "assistant"]
    assert "Yes, the network is ClinicGuest and needs no password." in answers
