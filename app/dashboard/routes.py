"""Dashboard pages and partials. Everything is read from the local tables."""
from __future__ import annotations

import uuid
from dataclasses import dataclass

from flask import (
    Blueprint,
    abort,
    current_app,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required

from app.dashboard import live_feed, services
from app.dashboard.kept import KeptPieces
from app.crm_sync import services as sync
from app.usage import notices as usage_notices
from app.usage import services as usage
from app.web import is_htmx, owned_business_or_404

bp = Blueprint("dashboard", __name__, url_prefix="/businesses/<slug>/dashboard")


def _figures_context(business, kept: KeptPieces):
    """The figures that move with the live feed: meters, assistants, last synced."""
    facts = _kept_sync_facts(business, kept)
    coordinators = kept.value("live-coordinators", lambda: services.live_coordinators(business))
    return {
        "meters": _kept_meters(business, kept)[1],
        "assistant": services.assistant_status(business, coordinators),
        "running": facts["running"],
        "last_synced_at": facts["last_synced_at"],
    }


@dataclass(frozen=True)
class _ShownRun:
    """What the sync card shows of the latest sync run: plain values, which
    may be kept between requests (an ORM row may not)."""
    status: str
    progress: int
    counts: dict | None
    error: str | None


@dataclass(frozen=True)
class _ShownNotice:
    """What the dashboard shows of a usage notice, besides its text."""
    id: uuid.UUID
    threshold: int


def _sync_facts(business):
    """Read once per view: the figures and the sync card both show them."""
    run = sync.latest_sync_run(business)
    last_synced_at, error = sync.sync_cursor_facts(business)
    shown = _ShownRun(run.status, run.progress, dict(run.counts) if run.counts else None, run.error) if run else None
    return {"run": shown, "running": sync.unfinished(run) is not None, "last_synced_at": last_synced_at,
            "sync_error": error}


def _kept_sync_facts(business, kept: KeptPieces):
    # Kept under the business's mark: writes to its sync runs and cursors move it (live_feed.py).
    return kept.value("sync-facts", lambda: _sync_facts(business))


def _kept_meters(business, kept: KeptPieces):
    """The current period and its meters, kept under the business's mark (writes
    to its usage rows move it: live_feed.py) and never past the period's end."""
    return kept.value("usage-meters", lambda: usage.current_usage(business),
                      until=lambda found: found[0].end if found[0] else None)


def _kept_notices(business, kept: KeptPieces):
    """The open usage notices of the current period, with their text, kept likewise."""
    period, _meters = _kept_meters(business, kept)

    def notices():
        return [(_ShownNotice(notice.id, notice.threshold), usage_notices.notice_text(business, notice))
                for notice in usage_notices.open_notices(business, period)]

    return kept.value("usage-notices", notices, until=lambda _found: period.end if period else None)


def _content_hash(calls, figures) -> str:
    return services.feed_version(calls, extra=services.figures_fingerprint(**figures))


def _recent_calls(business, kept: KeptPieces):
    return kept.value("recent-calls", lambda: services.recent_calls(business))


def _call_pieces(business, kept: KeptPieces, calls, *, oob: bool) -> dict:
    """The recent calls' rows, and the statistics and chart (out of band in
    the live feed's answer), drawn once per business change mark."""
    def figures():
        stats, chart = services.cached_call_statistics(business, kept.mark)
        return {"business": business, "stats": stats, "chart": chart, "oob": oob}

    # Keyed by the rows drawn too: the poll's hash is worked out from `calls`,
    # so the rows sent with a token must be those very calls.
    return {"recent_call_rows": kept.rendered("dashboard/_recent_call_rows.html",
                                              lambda: {"business": business, "calls": calls},
                                              variant=services.feed_version(calls)),
            "call_figures": kept.rendered("dashboard/_call_figures.html", figures, variant=":oob" if oob else "")}


def _feed_context(business, kept: KeptPieces):
    """What the live feed shows, and the token its next poll sends back. The
    mark is read before the rows, so a change committed in between shows on
    the next poll instead of being hidden under the new mark."""
    calls = _recent_calls(business, kept)
    figures = _figures_context(business, kept)
    content_hash = _content_hash(calls, figures)
    version = live_feed.issue(business, current_user.get_id(), kept.mark, content_hash)
    return {"calls": calls, "version": version, "content_hash": content_hash, "kept": kept,
            **_call_pieces(business, kept, calls, oob=False), **figures}


def _sync_context(business, sync_facts=None):
    facts = sync_facts or _sync_facts(business)
    return {
        "run": facts["run"],
        "running": facts["running"],
        "last_synced_at": facts["last_synced_at"],
        "sync_error": facts["sync_error"],
        "can_sync": sync.can_sync(business),
    }


@bp.get("")
@login_required
def index(slug):
    business = owned_business_or_404(slug)
    kept = KeptPieces(business)
    context = {**_feed_context(business, kept), **_sync_context(business, _kept_sync_facts(business, kept))}
    return render_template(
        "dashboard/index.html",
        business=business,
        appointments_list=kept.rendered(
            "dashboard/_todays_appointments.html",
            lambda: {"business": business, "appointments": services.todays_appointments(business)}),
        notices=_kept_notices(business, kept),
        leads_panel=kept.rendered("leads/_dashboard_panel.html", lambda: {"business": business}),
        **context,
    )


@bp.get("/live")
@login_required
def live(slug):
    """Polled every 2 s by the open dashboard: 204 while nothing changed, else
    the recent calls (and, out of band, the statistics, usage meters,
    assistants and "last synced"). Most "nothing new" polls never get here:
    `live_feed.NothingNewFastPath` answers them from the business's change
    mark. This full view checks ownership, and answers 204 itself only when
    what it would render is what the client has and its token stays valid."""
    business = owned_business_or_404(slug)
    mark = live_feed.current_mark(business.id)
    seen = live_feed.read_token(current_app, request.args.get("v", ""), fresh=mark is not None)
    kept = KeptPieces(business, mark)
    calls = _recent_calls(business, kept)
    figures = _figures_context(business, kept)
    content_hash = _content_hash(calls, figures)
    # Without a mark (no Redis, or Redis down) the hash alone says "unchanged".
    if seen is not None and seen[0] == str(business.id) and seen[4] == content_hash and mark in (None, seen[3]):
        response = make_response("", 204)
    else:
        response = make_response(render_template(
            "dashboard/_live.html", business=business, calls=calls, **_call_pieces(business, kept, calls, oob=True),
            version=live_feed.issue(business, current_user.get_id(), mark, content_hash), **figures))
    response.headers["Vary"] = "HX-Request, Cookie"
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/sync")
@login_required
def sync_now(slug):
    business = owned_business_or_404(slug)
    if not sync.can_sync(business):
        abort(409, "This business has no active AI assistant to sync with.")
    sync.request_sync(business, track=True)
    if not is_htmx():
        return redirect(url_for("dashboard.index", slug=slug))
    return render_template("dashboard/_sync.html", business=business, **_sync_context(business))


@bp.get("/sync")
@login_required
def sync_status(slug):
    business = owned_business_or_404(slug)
    if not is_htmx():
        return redirect(url_for("dashboard.index", slug=slug))
    response = make_response(render_template("dashboard/_sync.html", business=business, **_sync_context(business)))
    response.headers["Vary"] = "HX-Request"
    return response


@bp.post("/notices/<uuid:notice_id>/dismiss")
@login_required
def dismiss_notice(slug, notice_id: uuid.UUID):
    business = owned_business_or_404(slug)
    if not usage_notices.dismiss_notice(business, notice_id):
        abort(404)
    if is_htmx():
        return ""
    return redirect(url_for("dashboard.index", slug=slug))
