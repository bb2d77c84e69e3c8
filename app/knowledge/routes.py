"""Knowledge (Custom AI training, AI Enterprise), in the assistant area:
documents, pages and Q&A pairs the assistants answer from, their live status,
and a console to test what the assistant learned. Lower packages see what
they would get and an upgrade offer."""
from __future__ import annotations

import uuid
from functools import wraps

from flask import (Blueprint, Response, abort, flash, make_response, redirect, render_template, request,
                   stream_with_context, url_for)
from flask_login import current_user, login_required
from werkzeug.exceptions import RequestEntityTooLarge

from app.knowledge import console, services
from app.knowledge.extraction import MAX_DOCUMENT_BYTES
from app.knowledge.forms import ConfirmForm, DocumentForm, PageForm, QAForm, TestForm
from app.models import KnowledgeKind, KnowledgeStatus
from app.packages.offers import feature_label, smallest_package_with
from app.web import is_htmx, owned_business_or_404

bp = Blueprint("knowledge", __name__, url_prefix="/businesses/<slug>/assistant/knowledge")

# Room for the multipart envelope and the other fields around a 10 MB document.
_UPLOAD_REQUEST_BYTES = MAX_DOCUMENT_BYTES + 256 * 1024


def _upsell(business, status=200):
    kept, _ = services.usage(business)  # sources paused by a downgrade are kept for an upgrade
    return render_template("knowledge/upsell.html", business=business, feature=feature_label(services.FEATURE),
                           offer=smallest_package_with(services.FEATURE), kept=kept), status


def gated(view):
    """The business as the view's first argument when its package includes custom AI
    training; the upgrade offer otherwise (403 for anything that would change something)."""
    @wraps(view)
    def wrapper(slug, **kwargs):
        business = owned_business_or_404(slug)
        if not services.enabled_for(business):
            return _upsell(business, 200 if request.method == "GET" else 403)
        return view(business, **kwargs)

    return wrapper


def _source_or_404(business, source_id: uuid.UUID):
    source = services.get_source(business, source_id)
    if source is None:
        abort(404)
    return source


def _forms(business, **given):
    assistants = services.assistants_of(business)
    forms = {"document_form": DocumentForm(formdata=None), "page_form": PageForm(formdata=None),
             "qa_form": QAForm(formdata=None), "test_form": TestForm(formdata=None)}
    forms.update(given)
    for form in forms.values():
        form.set_assistants(assistants)
    return forms, assistants


def _page(business, status=200, open_tab="document", answer=None, **given):
    forms, assistants = _forms(business, **given)
    count, used = services.usage(business)
    return render_template("knowledge/index.html", business=business, sources=services.sources_of(business),
                           limits=services.limits_for(business), source_count=count, used_bytes=used,
                           assistants=assistants, confirm=ConfirmForm(), open_tab=open_tab, answer=answer,
                           kind_labels=KnowledgeKind.LABELS, status_labels=KnowledgeStatus.LABELS, **forms), status


def _apply_errors(form, error: services.KnowledgeError) -> None:
    for name, message in error.errors.items():
        getattr(form, name).errors = list(getattr(form, name).errors) + [message]


@bp.get("")
@login_required
@gated
def index(business):
    return _page(business)


@bp.get("/sources")
@login_required
@gated
def sources(business):
    """The source list; polls itself every second while a source is processing."""
    if is_htmx():
        response = make_response(render_template(
            "knowledge/_sources.html", business=business, sources=services.sources_of(business),
            confirm=ConfirmForm(), kind_labels=KnowledgeKind.LABELS, status_labels=KnowledgeStatus.LABELS))
    else:
        response = make_response(_page(business))
    response.headers["Vary"] = "HX-Request"
    return response


@bp.post("/documents")
@login_required
@gated
def upload(business):
    request.max_content_length = _UPLOAD_REQUEST_BYTES
    try:
        form = DocumentForm()
        submitted = form.validate_on_submit()
    except RequestEntityTooLarge:
        form = DocumentForm(formdata=None)
        form.file.errors = [f"Documents can be at most {MAX_DOCUMENT_BYTES // (1024 * 1024)} MB; this one is larger."]
        return _page(business, 413, document_form=form)
    if submitted:
        upload_file = form.file.data
        if not upload_file or not getattr(upload_file, "filename", ""):
            form.file.errors = ["Choose a document to upload."]
        else:
            try:
                source = services.add_document(business, current_user, upload_file.filename,
                                               upload_file.read(MAX_DOCUMENT_BYTES + 1), form.coordinator_id.data)
            except services.KnowledgeError as exc:
                _apply_errors(form, exc)
            else:
                flash(f"\u201c{source.title}\u201d was added. The assistant can use it once it shows Ready.", "success")
                return redirect(url_for("knowledge.index", slug=business.slug))
    return _page(business, 422, document_form=form)


@bp.post("/pages")
@login_required
@gated
def add_page(business):
    form = PageForm()
    if form.validate_on_submit():
        try:
            source = services.add_page(business, current_user, form.title.data, form.text.data, form.coordinator_id.data)
        except services.KnowledgeError as exc:
            _apply_errors(form, exc)
        else:
            flash(f"The page \u201c{source.title}\u201d was added.", "success")
            return redirect(url_for("knowledge.index", slug=business.slug))
    return _page(business, 422, open_tab="page", page_form=form)


@bp.post("/qa")
@login_required
@gated
def add_qa(business):
    form = QAForm()
    if form.validate_on_submit():
        try:
            services.add_qa(business, current_user, form.question.data, form.answer.data, form.coordinator_id.data)
        except services.KnowledgeError as exc:
            _apply_errors(form, exc)
        else:
            flash("The question and answer were added.", "success")
            return redirect(url_for("knowledge.index", slug=business.slug))
    return _page(business, 422, open_tab="qa", qa_form=form)


@bp.get("/sources/<uuid:source_id>")
@login_required
@gated
def source_detail(business, source_id: uuid.UUID):
    source = _source_or_404(business, source_id)
    return render_template("knowledge/source.html", business=business, source=source, confirm=ConfirmForm(),
                           kind_labels=KnowledgeKind.LABELS, status_labels=KnowledgeStatus.LABELS)


@bp.post("/sources/<uuid:source_id>/remove")
@login_required
@gated
def remove(business, source_id: uuid.UUID):
    source = _source_or_404(business, source_id)
    # A removal stuck on an unreachable 4calls (its reason shown) may be asked for again.
    if ConfirmForm().validate_on_submit() and (source.status != KnowledgeStatus.REMOVING or source.status_reason):
        services.remove(source)
        flash(f"\u201c{source.title}\u201d is being removed; the assistant no longer answers from it.", "success")
    return redirect(url_for("knowledge.index", slug=business.slug), 303)


@bp.post("/sources/<uuid:source_id>/retry")
@login_required
@gated
def retry(business, source_id: uuid.UUID):
    source = _source_or_404(business, source_id)
    if ConfirmForm().validate_on_submit():
        services.retry(source)
    return redirect(url_for("knowledge.index", slug=business.slug), 303)


def _wants_stream() -> bool:
    return "text/event-stream" in request.headers.get("Accept", "")


@bp.post("/test")
@login_required
@gated
def test(business):
    """Ask the assistant; streamed to the console script, or a whole page without it."""
    assistants = services.assistants_of(business)
    form = TestForm()
    form.set_assistants(assistants)
    coordinator = next((a for a in assistants if str(a.id) == form.coordinator_id.data), None)
    if form.validate_on_submit() and coordinator is None:
        form.coordinator_id.errors = ["Choose one of your assistants."]
    if not form.errors and form.is_submitted() and coordinator is not None:
        question = form.ask.data.strip()
        if _wants_stream():
            return Response(stream_with_context(console.events(business, coordinator, question)),
                            mimetype="text/event-stream", headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
        return _page(business, test_form=form, open_tab="test", answer=console.collect(business, coordinator, question))
    if _wants_stream():
        message = "; ".join(e for errors in form.errors.values() for e in errors) or "Type a question."
        return Response(console.sse("error", {"message": message}), status=422, mimetype="text/event-stream")
    return _page(business, 422, test_form=form, open_tab="test")
