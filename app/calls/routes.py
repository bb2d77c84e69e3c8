"""Call log pages. Filters live in the URL, so every view can be linked to."""
from __future__ import annotations

import uuid

from flask import Blueprint, Response, abort, render_template, request, stream_with_context
from flask_login import login_required

from app.calls import services
from app.dashboard.kept import KeptPieces
from app.timezones import local_today
from app.audit.exports import record_export
from app.web import fragment_or_page, owned_business_or_404

bp = Blueprint("calls", __name__, url_prefix="/businesses/<slug>/calls")


@bp.get("")
@login_required
def index(slug):
    business = owned_business_or_404(slug)
    filters = services.parse_filters(request.args)
    before = request.args.get("before")

    def listing() -> dict:  # the log's statements: skipped while a kept copy is current
        return dict(business=business, filters=filters, before=before,
                    page=services.list_calls(business, filters, before=before))

    kept = KeptPieces(business)
    if request.args.get("more") and request.headers.get("HX-Request"):
        # "Show more": only the next rows, appended under the ones shown.
        return kept.rendered("calls/_rows.html", listing, by_query=True)
    results = kept.rendered("calls/_results.html", listing, by_query=True)

    def page() -> dict:  # the full page around the results (not read for an htmx fragment)
        return dict(business=business, filters=filters, results=results,
                    coordinators=kept.value("coordinators", lambda: services.coordinator_choices(business)),
                    directions=services.DIRECTIONS, statuses=services.STATUSES, outcomes=services.OUTCOMES)

    response = fragment_or_page("calls/index.html", results, page)
    if filters.errors:
        response.status_code = 422
    return response


@bp.get("/export.csv")
@login_required
def export(slug):
    business = owned_business_or_404(slug)
    filters = services.parse_filters(request.args)
    if filters.errors:
        abort(422, "; ".join(f"{name}: {message}" for name, message in filters.errors.items()))
    filename = f"calls-{business.slug}-{local_today(business):%Y%m%d}.csv"
    record_export(business, "calls", {k: v for k, v in request.args.items() if v})
    return Response(
        stream_with_context(services.export_rows(business, filters)),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )


@bp.get("/<uuid:call_id>")
@login_required
def detail(slug, call_id: uuid.UUID):
    business = owned_business_or_404(slug)
    call = services.get_call_or_none(business, call_id)
    if call is None:
        abort(404)
    return render_template(
        "calls/detail.html", business=business, call=call,
        appointment=services.appointment_for(business, call),
        coordinator_name=services.coordinator_name(business, call),
    )
