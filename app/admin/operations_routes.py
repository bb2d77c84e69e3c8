"""Console operations pages: integration health (retry, replay), margin and
cost settings, rollout stage and waitlist, and the admin audit log."""
from __future__ import annotations

import uuid
from datetime import timedelta

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from app.admin import console, health, margin, settings
from app.admin.metrics.periods import add_months, current_month, operator_zone, parse_month
from app.admin.routes import bp
from app.audit import services as audit
from app.extensions import db
from app.models import AuditEntry, AuditScope, Business
from app.packages.catalog import PACKAGES, PACKAGES_BY_SLUG
from app.rollout import services as rollout
from app.timezones import local_midnight, to_local

AUDIT_PAGE_SIZE = 100


def _reason() -> str | None:
    return (request.form.get("reason") or "").strip()[:500] or None


# ---------------------------------------------------------------- health

@bp.get("/health")
def health_page():
    kind = request.args.get("kind") or None
    source = request.args.get("source") or None
    rows = health.business_health(limit=2000)
    rows.sort(key=lambda r: (not r.lagging, -(r.error_rate or 0), r.business.name))
    return render_template(
        "admin/health.html", jobs=health.failed_jobs(kind), events=health.failed_webhooks(source),
        businesses=rows, kind=kind, source=source, retryable=health.RETRYABLE_KINDS,
        lag_limit_minutes=int(health.SYNC_LAG_LIMIT.total_seconds() // 60))


@bp.post("/health/jobs/<uuid:run_id>/retry")
def retry_job(run_id: uuid.UUID):
    try:
        run = health.retry_job(run_id, actor=current_user)
        flash(f"Retry of {run.kind} queued; its result shows below once it has run.", "success")
    except health.HealthError as error:
        flash(str(error), "error")
    return redirect(url_for("admin.health_page"), 303)


@bp.post("/health/jobs/retry-kind")
def retry_kind():
    kind = request.form.get("kind", "")
    try:
        count = health.retry_kind(kind, actor=current_user)
        flash(f"{count} failed {kind} job{'s' if count != 1 else ''} queued again.", "success")
    except health.HealthError as error:
        flash(str(error), "error")
    return redirect(url_for("admin.health_page"), 303)


@bp.post("/health/webhooks/<uuid:event_id>/replay")
def replay_webhook(event_id: uuid.UUID):
    try:
        event, queued = health.replay_webhook(event_id, actor=current_user, reason=_reason())
    except health.HealthError as error:
        flash(str(error), "error")
        return redirect(url_for("admin.health_page"), 303)
    if queued:
        flash(f"Replay of {event.source} {event.event_type} queued.", "success")
    else:
        flash(f"{event.source} {event.event_type} was already applied: nothing changed.", "info")
    return redirect(request.form.get("next") if (request.form.get("next") or "").startswith("/admin/")
                    else url_for("admin.health_page"), 303)


# ---------------------------------------------------------------- margin

@bp.get("/margin")
def margin_page():
    this_month = current_month()
    raw = request.args.get("month")
    month = parse_month(raw) if raw else this_month
    errors = {}
    if month is None or month > this_month:
        errors["month"] = "Month: use the form YYYY-MM, this month or earlier."
        month = this_month
    package = request.args.get("package") or None
    if package and package not in PACKAGES_BY_SLUG:
        errors["package"] = "Unknown package: choose one from the list."
        package = None
    report = margin.margin_report(month, package)
    if request.args.get("format") == "csv" and not errors:
        return console.csv_response(f"margin-{month:%Y%m}.csv", [{
            "business": r.name, "package": r.package, "revenue": float(r.revenue),
            "inbound_minutes": float(r.inbound_minutes), "outbound_minutes": float(r.outbound_minutes),
            "messages": r.messages, "provider_cost": float(r.cost), "margin": float(r.margin),
            "margin_percent": None if r.margin_percent is None else float(r.margin_percent),
            "below_floor": "yes" if r.below_floor else "no"} for r in report.rows])
    return _margin_template(report, month, package, errors, _plain(settings.costs()), {})


def _plain(values: dict) -> dict[str, str]:
    return {name: format(value.normalize(), "f") for name, value in values.items()}


def _margin_template(report, month, package, errors, cost_values, cost_errors, status=None):
    months = [add_months(current_month(), -i) for i in range(0, 18)]
    return render_template("admin/margin.html", report=report, month=month, package=package, errors=errors,
                           packages=PACKAGES, months=months, cost_values=cost_values, cost_errors=cost_errors,
                           cost_fields=settings.COST_FIELDS, package_name=console.package_name), \
        status or (422 if errors else 200)


@bp.post("/settings/costs")
def save_costs():
    try:
        values = settings.parse_costs(request.form)
    except settings.SettingError as error:
        month = current_month()
        typed = {name: request.form.get(name, "") for name in settings.COST_FIELDS}
        return _margin_template(margin.margin_report(month), month, None, {}, typed, error.errors, 422)
    settings.save_costs(values, actor=current_user, reason=_reason())
    flash("Costs and margin floor saved.", "success")
    return redirect(url_for("admin.margin_page"), 303)


# ---------------------------------------------------------------- rollout

@bp.get("/rollout")
def rollout_page():
    return _rollout_template({}, None)


def _rollout_template(errors, typed, status=200):
    state = settings.rollout()
    return render_template("admin/rollout.html", state=state, stages=rollout.STAGES, errors=errors,
                           typed=typed, allow_slugs=rollout.allow_list_slugs(state), waitlist=rollout.waitlist(),
                           active_count=rollout.active_package_count()), status


@bp.post("/rollout")
def save_rollout():
    try:
        value = rollout.parse_stage(request.form)
    except rollout.RolloutError as error:
        return _rollout_template(error.errors, request.form, 422)
    rollout.set_stage(value, actor=current_user, reason=_reason())
    flash(f"Rollout stage: {value['stage']}.", "success")
    return redirect(url_for("admin.rollout_page"), 303)


@bp.post("/rollout/waitlist/<uuid:entry_id>/invite")
def invite(entry_id: uuid.UUID):
    try:
        entry = rollout.invite(entry_id, actor=current_user, reason=_reason())
        flash(f"{entry.business.name} is invited; the owner is told in the app and by email.", "success")
    except rollout.RolloutError as error:
        flash(str(error), "error")
    return redirect(url_for("admin.rollout_page"), 303)


# ---------------------------------------------------------------- audit log

def _audit_filters(args):
    errors, zone = {}, operator_zone()
    since = until = None
    for name in ("from", "to"):
        raw = (args.get(name) or "").strip()
        if not raw:
            continue
        try:
            from datetime import date

            day = date.fromisoformat(raw)
        except ValueError:
            errors[name] = "Use the form YYYY-MM-DD."
            continue
        if name == "from":
            since = local_midnight(zone, day)
        else:
            until = local_midnight(zone, day + timedelta(days=1))
    if since and until and since >= until:
        errors["to"] = "The end date is before the start date."
        since = until = None
    business_id = None
    if args.get("business"):
        business_id = db.session.scalar(select(Business.id).where(Business.slug == args["business"].strip()))
        if business_id is None:
            errors["business"] = "No business with that address."
    stmt = audit.query(scope=AuditScope.ADMIN, business_id=business_id,
                       action_prefix=(args.get("action") or "").strip() or None,
                       actor_label=(args.get("actor") or "").strip().lower() or None,
                       since=None if errors else since, until=None if errors else until)
    return stmt, errors


@bp.get("/audit")
def audit_page():
    stmt, errors = _audit_filters(request.args)
    if request.args.get("format") == "csv" and not errors:
        zone = operator_zone()
        entries = db.session.scalars(stmt.limit(100_000)).all()
        return console.csv_response("admin-audit-log.csv", [{
            "at": to_local(e.created_at, zone).isoformat(), "actor": e.actor_label, "action": e.action,
            "target_type": e.target_type, "target": e.target_label, "target_id": e.target_id,
            "before": _summary(e.before), "after": _summary(e.after), "reason": e.reason} for e in entries])
    page = max(1, request.args.get("page", 1, type=int))
    entries = db.session.scalars(stmt.limit(AUDIT_PAGE_SIZE + 1).offset((page - 1) * AUDIT_PAGE_SIZE)).all()
    actions = sorted(set(db.session.scalars(select(AuditEntry.action).where(AuditEntry.scope == AuditScope.ADMIN)
                                            .distinct())))
    return render_template("admin/audit.html", entries=entries[:AUDIT_PAGE_SIZE], has_more=len(entries) > AUDIT_PAGE_SIZE,
                           page=page, errors=errors, args=request.args, actions=actions, summary=_summary,
                           zone=operator_zone()), (422 if errors else 200)


def _summary(values: dict | None) -> str:
    if not values:
        return ""
    return ", ".join(f"{key}: {value}" for key, value in values.items())


