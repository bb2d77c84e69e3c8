"""The knowledge base against a real 4calls sandbox over HTTP: uploads and their
guardrails, the push and removal jobs (with faults), live status, the test
console, package gating and ownership."""
from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from app.encryption import encrypt
from app.extensions import db
from app.fourcalls import platform_client
from app.assistant.connection import organization_client
from app.models import Coordinator, FourCallsIntegration, IntegrationStatus, JobRun, KnowledgeSource
from app.packages import catalog
from sandbox.fourcalls.testing import running_fourcalls
from tests.chat_helpers import sse_events
from tests.knowledge_helpers import docx_bytes, encrypted_pdf_bytes, pdf_bytes
from tests.sync_helpers import activate

PARKING = "Parking is free in the garage behind the salon on Elm Street. We validate tickets at the desk."


@pytest.fixture(scope="module")
def fourcalls(tmp_path_factory):
    with running_fourcalls(tmp_path_factory.mktemp("fourcalls-knowledge")) as sandbox:
        yield sandbox


@pytest.fixture
def enterprise(app, fourcalls, factories, auth):
    """An AI Enterprise business with a 4calls organization and one live assistant, its owner logged in."""
    app.config.update(FOURCALLS_API_URL=fourcalls.url, FOURCALLS_MAX_ATTEMPTS=1)
    owner = factories.user()
    business = factories.business(owner=owner, name="Knowing Salon")
    client = platform_client()
    organization = client.create_organization({"name": business.name, "timezone": business.timezone})
    remote = client.create_coordinator(organization["id"], {"name": "Ava", "role": "receptionist"})
    db.session.add(FourCallsIntegration(
        business_id=business.id, organization_id=organization["id"], api_key=encrypt(organization["api_key"]),
        service_package="ai_enterprise", status=IntegrationStatus.ACTIVE))
    db.session.add(Coordinator(business_id=business.id, role="receptionist", name="Ava", status="active",
                               fourcalls_id=remote["id"], synced_version=1))
    db.session.commit()
    db.session.refresh(business)
    auth.login(owner.email)
    yield business
    fourcalls.clear_faults()


def _base(business) -> str:
    return f"/businesses/{business.slug}/assistant/knowledge"


def _upload(client, business, name, data, **fields):
    import io

    return client.post(f"{_base(business)}/documents", data={"file": (io.BytesIO(data), name), **fields},
                       content_type="multipart/form-data")


def _sources(business) -> list[KnowledgeSource]:
    db.session.expire_all()
    return list(db.session.scalars(select(KnowledgeSource).where(KnowledgeSource.business_id == business.id)))


def _remote(business) -> list[dict]:
    client = organization_client(business)
    return list(client.list_knowledge_sources(client.organization_id))


def test_upload_is_pushed_to_4calls_and_becomes_ready(client, enterprise, run_jobs):
    response = _upload(client, enterprise, "visitor-guide.pdf", pdf_bytes("Visitor guide.", PARKING))
    assert response.status_code == 302
    [source] = _sources(enterprise)
    assert (source.kind, source.file_type, source.status) == ("document", "pdf", "processing")
    assert "Parking is free in the garage" in source.body

    # While processing, the list polls itself; the fragment comes alone for htmx.
    fragment = client.get(f"{_base(enterprise)}/sources", headers={"HX-Request": "true"})
    assert "HX-Request" in fragment.headers["Vary"]
    html = fragment.get_data(as_text=True)
    assert html.lstrip().startswith('<div id="knowledge-sources"') and 'hx-trigger="every 1s"' in html

    run_jobs()
    [source] = _sources(enterprise)
    assert source.status == "ready" and source.fourcalls_id
    [remote] = _remote(enterprise)
    assert (remote["id"], remote["external_id"], remote["title"]) == (source.fourcalls_id, str(source.id), "visitor-guide.pdf")
    chunks = organization_client(enterprise).get_knowledge_source(remote["id"])["chunks"]
    assert any("Parking is free" in chunk["text"] for chunk in chunks)
    run = db.session.scalar(select(JobRun).where(JobRun.kind == "knowledge_push"))
    assert run.status == "succeeded"

    html = client.get(f"{_base(enterprise)}/sources", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "hx-trigger" not in html and 'data-status="ready"' in html
    # The same URL without htmx is the whole page.
    assert "Test your assistant" in client.get(f"{_base(enterprise)}/sources").get_data(as_text=True)


@pytest.mark.parametrize("name, data, message", [
    ("locked.pdf", encrypted_pdf_bytes("Members only prices."), "password-protected"),
    ("photo.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "cannot be used"),
    ("empty.txt", b"", "empty"),
    ("blank.md", b"\n\n   \n", "No text could be found"),
])
def test_refused_files_show_a_field_error_and_store_nothing(client, enterprise, run_jobs, name, data, message):
    response = _upload(client, enterprise, name, data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert _sources(enterprise) == []
    run_jobs()
    assert _remote(enterprise) == []


def test_a_file_over_ten_megabytes_is_refused(client, enterprise):
    response = _upload(client, enterprise, "huge.txt", b"word " * (2 * 1024 * 1024 + 100))
    assert response.status_code in (413, 422)
    assert "at most 10 MB" in response.get_data(as_text=True)
    assert _sources(enterprise) == []


def test_uploading_the_same_file_again_is_detected(client, enterprise):
    data = docx_bytes("Cancellation policy", "Cancel 24 hours ahead or pay a $20 fee.")
    assert _upload(client, enterprise, "policy.docx", data).status_code == 302
    again = _upload(client, enterprise, "policy-copy.docx", data)
    assert again.status_code == 422
    assert "already in your knowledge base as \u201cpolicy.docx\u201d" in again.get_data(as_text=True)
    assert len(_sources(enterprise)) == 1


def test_package_limits_on_sources_and_size(client, enterprise, monkeypatch):
    monkeypatch.setitem(catalog.KNOWLEDGE_LIMITS, "ai_enterprise",
                        catalog.KnowledgeLimits(max_sources=2, max_total_bytes=300))
    assert client.post(f"{_base(enterprise)}/pages", data={"title": "Parking", "text": PARKING}).status_code == 302
    too_big = client.post(f"{_base(enterprise)}/pages", data={"title": "Long", "text": "x " * 200})
    assert too_big.status_code == 422 and "past its" in too_big.get_data(as_text=True)
    assert client.post(f"{_base(enterprise)}/qa", data={"question": "Kids?", "answer": "Yes."}).status_code == 302
    third = client.post(f"{_base(enterprise)}/qa", data={"question": "Dogs?", "answer": "No."})
    assert third.status_code == 422 and "up to 2 sources" in third.get_data(as_text=True)
    assert len(_sources(enterprise)) == 2


def test_empty_page_and_qa_fields_are_field_errors(client, enterprise):
    page = client.post(f"{_base(enterprise)}/pages", data={"title": "", "text": ""})
    assert page.status_code == 422 and "Give the page a title." in page.get_data(as_text=True)
    qa = client.post(f"{_base(enterprise)}/qa", data={"question": "Open late?", "answer": "  "})
    assert qa.status_code == 422 and "Write the answer." in qa.get_data(as_text=True)
    wrong = client.post(f"{_base(enterprise)}/qa", data={"question": "Q?", "answer": "A.",
                                                         "coordinator_id": str(uuid.uuid4())})
    assert wrong.status_code == 422 and "Choose one of your assistants" in wrong.get_data(as_text=True)
    assert _sources(enterprise) == []


def test_the_console_streams_an_answer_with_its_sources(client, enterprise, run_jobs):
    client.post(f"{_base(enterprise)}/pages", data={"title": "Getting here", "text": PARKING})
    client.post(f"{_base(enterprise)}/qa", data={"question": "Do you cut children's hair?",
                                                 "answer": "Yes, kids' cuts are $18 for under twelves."})
    run_jobs()
    assistant = db.session.scalar(select(Coordinator).where(Coordinator.business_id == enterprise.id))
    response = client.post(f"{_base(enterprise)}/test", data={"ask": "Where do I park?",
                                                              "coordinator_id": str(assistant.id)},
                           headers={"Accept": "text/event-stream"})
    assert response.status_code == 200 and response.mimetype == "text/event-stream"
    events = sse_events(response.get_data(as_text=True))
    assert [name for name, _ in events].count("token") > 3
    assert "Parking is free in the garage" in "".join(d["text"] for n, d in events if n == "token")
    sources_html = next(d["html"] for n, d in events if n == "sources")
    assert "Getting here" in sources_html and "children" not in sources_html
    assert events[-1] == ("done", {"answered": True})

    # Without JavaScript the form posts normally and the whole answer is in the page.
    page = client.post(f"{_base(enterprise)}/test", data={"ask": "Do you cut hair for children?",
                                                          "coordinator_id": str(assistant.id)})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "kids&#39; cuts are $18" in html and "Do you cut children&#39;s hair?" in html

    blank = client.post(f"{_base(enterprise)}/test", data={"ask": "", "coordinator_id": str(assistant.id)},
                        headers={"Accept": "text/event-stream"})
    assert blank.status_code == 422 and sse_events(blank.get_data(as_text=True))[0][0] == "error"


def test_removing_a_source_removes_it_from_4calls(client, enterprise, run_jobs):
    client.post(f"{_base(enterprise)}/pages", data={"title": "Getting here", "text": PARKING})
    run_jobs()
    [source] = _sources(enterprise)
    assert len(_remote(enterprise)) == 1
    response = client.post(f"{_base(enterprise)}/sources/{source.id}/remove")
    assert response.status_code == 303
    assert _sources(enterprise)[0].status == "removing"
    run_jobs()
    assert _sources(enterprise) == [] and _remote(enterprise) == []


def test_a_removal_that_cannot_reach_4calls_says_so_and_can_be_asked_again(client, enterprise, run_jobs, fourcalls):
    client.post(f"{_base(enterprise)}/pages", data={"title": "Getting here", "text": PARKING})
    run_jobs()
    [source] = _sources(enterprise)
    fourcalls.set_faults(error_rate=1.0)
    client.post(f"{_base(enterprise)}/sources/{source.id}/remove")
    run_jobs()
    [source] = _sources(enterprise)
    assert source.status == "removing" and "Not removed yet" in source.status_reason and not source.in_progress
    html = client.get(f"{_base(enterprise)}/sources", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "hx-trigger" not in html and "Not removed yet" in html and ">Remove</button>" in html
    fourcalls.clear_faults()
    assert len(_remote(enterprise)) == 1  # still answered from at 4calls until the removal gets through
    client.post(f"{_base(enterprise)}/sources/{source.id}/remove")
    run_jobs()
    assert _sources(enterprise) == [] and _remote(enterprise) == []


def test_a_push_cut_off_by_faults_retries_then_fails_and_a_retry_adopts_the_stored_copy(client, enterprise, run_jobs,
                                                                                        fourcalls):
    client.post(f"{_base(enterprise)}/pages", data={"title": "Getting here", "text": PARKING})
    # Every response is lost after 4calls has done the work: the create lands, its answer does not.
    fourcalls.set_faults(error_rate=1.0, phase="after")
    run_jobs()
    [source] = _sources(enterprise)
    assert source.status == "failed" and source.push_attempts == 4
    assert "temporarily unavailable" in source.status_reason
    page = client.get(_base(enterprise)).get_data(as_text=True)
    assert "temporarily unavailable" in page and "Try again" in page

    fourcalls.clear_faults()
    assert client.post(f"{_base(enterprise)}/sources/{source.id}/retry").status_code == 303
    run_jobs()
    [source] = _sources(enterprise)
    remote = _remote(enterprise)
    assert source.status == "ready" and [r["id"] for r in remote] == [source.fourcalls_id]


def test_a_source_for_one_assistant_is_pushed_for_that_assistant(client, enterprise, run_jobs):
    assistant = db.session.scalar(select(Coordinator).where(Coordinator.business_id == enterprise.id))
    client.post(f"{_base(enterprise)}/qa", data={"question": "Is there wifi?", "answer": "Yes, SalonGuest.",
                                                 "coordinator_id": str(assistant.id)})
    run_jobs()
    [remote] = _remote(enterprise)
    assert remote["coordinator_id"] == assistant.fourcalls_id and remote["kind"] == "qa"


@pytest.mark.parametrize("package", [None, "ai_receptionist", "ai_sales", "ai_business_suite"])
def test_lower_packages_see_the_offer_and_cannot_add(client, factories, auth, package):
    owner = factories.user()
    business = factories.business(owner=owner)
    if package:
        activate(business, package=package)
    auth.login(owner.email)
    page = client.get(_base(business))
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'data-upsell="custom_ai_training"' in html and "AI Enterprise" in html
    refused = client.post(f"{_base(business)}/pages", data={"title": "T", "text": "Some text here."})
    assert refused.status_code == 403
    assert client.post(f"{_base(business)}/test", data={"ask": "Hi?"}).status_code == 403
    assert _sources(business) == []


def test_enterprise_gets_the_knowledge_page(client, enterprise):
    html = client.get(_base(enterprise)).get_data(as_text=True)
    assert "data-upsell" not in html and "Upload a document" in html and "Test your assistant" in html
    assert "0 of 200" in html


def test_another_owner_gets_404_on_every_knowledge_url(client, enterprise, factories, auth):
    client.post(f"{_base(enterprise)}/pages", data={"title": "Getting here", "text": PARKING})
    [source] = _sources(enterprise)
    stranger = factories.user()
    activate(factories.business(owner=stranger), package="ai_enterprise")
    auth.logout()
    auth.login(stranger.email)
    base = _base(enterprise)
    for method, path in [("GET", base), ("GET", f"{base}/sources"), ("POST", f"{base}/documents"),
                         ("POST", f"{base}/pages"), ("POST", f"{base}/qa"), ("POST", f"{base}/test"),
                         ("GET", f"{base}/sources/{source.id}"), ("POST", f"{base}/sources/{source.id}/remove"),
                         ("POST", f"{base}/sources/{source.id}/retry")]:
        assert client.open(path, method=method).status_code == 404, (method, path)
    assert _sources(enterprise)[0].status == "processing"


def test_a_source_id_of_another_business_is_404_to_its_owner_too(client, enterprise, factories):
    other = factories.business(owner=factories.user())
    foreign = KnowledgeSource(business_id=other.id, kind="page", title="Theirs", body="Their text here.", size_bytes=16,
                              content_hash="f" * 64, chunk_count=1, status="ready")
    db.session.add(foreign)
    db.session.commit()
    assert client.get(f"{_base(enterprise)}/sources/{foreign.id}").status_code == 404
    assert client.post(f"{_base(enterprise)}/sources/{foreign.id}/remove").status_code == 404


def _drop_queued_jobs(app) -> None:
    queue = app.extensions["job_queue"]
    if hasattr(queue, "pending"):
        queue.clear()
    else:
        queue.queue.empty()


def test_a_downgrade_pauses_the_knowledge_and_an_upgrade_brings_it_back(app, client, enterprise, run_jobs):
    from app.assistant import provisioning
    from app.knowledge.services import queue_reconcile
    from tests.sync_helpers import queued_job_ids

    client.post(f"{_base(enterprise)}/pages", data={"title": "Getting here", "text": PARKING})
    run_jobs()
    assert [s.status for s in _sources(enterprise)] == ["ready"] and len(_remote(enterprise)) == 1
    # Every assistant sync (package change, suspension, resumption) queues the reconciliation.
    provisioning.change_package(enterprise, "ai_business_suite")
    assert f"knowledge-reconcile:{enterprise.id}" in queued_job_ids(app)
    _drop_queued_jobs(app)  # the assistant sync itself is not under test here

    enterprise.integration.status = IntegrationStatus.ACTIVE
    db.session.commit()
    queue_reconcile(enterprise.id)
    run_jobs()
    [source] = _sources(enterprise)
    assert (source.status, source.fourcalls_id) == ("paused", None)
    assert _remote(enterprise) == []  # the assistants stop answering from it
    html = client.get(_base(enterprise)).get_data(as_text=True)
    assert 'data-upsell="custom_ai_training"' in html and "Your 1 knowledge source is kept" in html

    enterprise.integration.service_package = "ai_enterprise"
    db.session.commit()
    queue_reconcile(enterprise.id)
    run_jobs()
    [source] = _sources(enterprise)
    assert source.status == "ready" and [r["id"] for r in _remote(enterprise)] == [source.fourcalls_id]
