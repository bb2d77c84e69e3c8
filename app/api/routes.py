"""The business REST API, /api/v1 (Custom integrations, AI Enterprise).

Bearer tokens only (no cookies, so no CSRF); each request is authenticated,
rate-limited per token and scoped to the token's business before a view
runs. Errors are JSON with stable codes (app/api/errors.py).
"""
from __future__ import annotations

from flask import Blueprint, current_app, g, jsonify, request
from limits import parse_many
from werkzeug.exceptions import HTTPException

from app.api import queries
from app.api.errors import ApiError, error_response
from app.api.serializers import appointment_json, call_json, contact_json, lead_json
from app.api.tokens import authenticate
from app.api import writes
from app.config import BASE_DIR
from app.extensions import csrf, db, limiter
from app.integrations.events import enabled_for
from app.models import Appointment, Business, Call, Contact, Lead
from app.models.base import utcnow

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)

OPENAPI_PATH = BASE_DIR / "docs" / "api-openapi.yaml"
PUBLIC_ENDPOINTS = {"api.openapi_document"}


def _rate_limit_headers(token_id: str):
    """Count this request against the token's limits; (allowed, headers)."""
    items = parse_many(current_app.config.get("API_RATE_LIMIT", "120 per minute;5000 per hour"))
    strategy = limiter.limiter
    allowed, headers = True, {}
    for item in items:
        if not strategy.hit(item, "api-token", token_id):
            allowed = False
            reset, remaining = strategy.get_window_stats(item, "api-token", token_id)
            headers = {"Retry-After": str(max(1, int(reset - utcnow().timestamp()))),
                       "X-RateLimit-Limit": str(item.amount), "X-RateLimit-Remaining": "0"}
            break
    if allowed:
        item = items[0]
        reset, remaining = strategy.get_window_stats(item, "api-token", token_id)
        headers = {"X-RateLimit-Limit": str(item.amount), "X-RateLimit-Remaining": str(remaining)}
    return allowed, headers


@bp.before_request
def authenticate_token():
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    header = request.headers.get("Authorization", "")
    scheme, _, raw = header.partition(" ")
    token = authenticate(raw.strip()) if scheme.lower() == "bearer" else None
    if token is None:
        return error_response("unauthorized", "Send a valid, unrevoked API token as `Authorization: Bearer <token>`.",
                              headers={"WWW-Authenticate": 'Bearer realm="alphasite"'})
    allowed, headers = _rate_limit_headers(str(token.id))
    g.rate_limit_headers = headers
    if not allowed:
        return error_response("rate_limited", "Too many requests for this token; retry after the Retry-After seconds.",
                              headers=headers)
    business = db.session.get(Business, token.business_id)
    if not enabled_for(business):
        return error_response("feature_not_included",
                              "This business's package does not include Custom integrations; upgrade to use the API.")
    if request.method not in ("GET", "HEAD") and not token.can_write:
        return error_response("insufficient_scope", "This token is read only; create a read-and-write token.")
    now = utcnow()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        token.last_used_at = now
        db.session.commit()
    g.api_token, g.api_business = token, business
    return None


@bp.after_request
def add_rate_limit_headers(response):
    for name, value in (getattr(g, "rate_limit_headers", None) or {}).items():
        response.headers.setdefault(name, value)
    return response


@bp.errorhandler(ApiError)
def api_error(exc: ApiError):
    db.session.rollback()
    return error_response(exc.code, exc.message, exc.fields)


@bp.errorhandler(HTTPException)
def http_error(exc: HTTPException):
    code = {404: "not_found", 405: "method_not_allowed", 400: "invalid_json", 413: "validation_failed"}.get(exc.code)
    if code is None:
        code = "internal_error" if exc.code >= 500 else "invalid_parameter"
    return error_response(code, exc.description or exc.name)


def _listing(rows, cursor, serialize):
    return jsonify(data=[serialize(r) for r in rows], next_cursor=cursor, has_more=cursor is not None)


@bp.route("/<path:unknown>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
def unknown_route(unknown):
    """Anything else under /api/v1 answers in the API's error format, not the site's."""
    from werkzeug.exceptions import MethodNotAllowed, NotFound

    adapter = current_app.url_map.bind("")
    for method in ("GET", "POST", "PATCH"):
        try:
            endpoint, _ = adapter.match(request.path, method=method)
        except (NotFound, MethodNotAllowed):
            continue
        if endpoint != "api.unknown_route":
            raise ApiError("method_not_allowed", f"{request.method} is not allowed on {request.path}.")
    raise ApiError("not_found", f"There is no API endpoint at {request.path}.")


@bp.get("/openapi.json")
def openapi_document():
    import yaml

    document = yaml.safe_load(OPENAPI_PATH.read_text())
    document["servers"] = [{"url": current_app.config["PUBLIC_BASE_URL"].rstrip("/") + "/api/v1"}]
    return jsonify(document)


@bp.get("/me")
def me():
    token, business = g.api_token, g.api_business
    return jsonify(business={"id": str(business.id), "slug": business.slug, "name": business.name},
                   token={"id": str(token.id), "name": token.name, "scope": token.scope})


@bp.get("/calls")
def list_calls():
    return _listing(*queries.calls(g.api_business, request.args), call_json)


@bp.get("/calls/<call_id>")
def get_call(call_id):
    return jsonify(call_json(queries.one(Call, g.api_business, call_id)))


@bp.get("/contacts")
def list_contacts():
    return _listing(*queries.contacts(g.api_business, request.args), contact_json)


@bp.get("/contacts/<contact_id>")
def get_contact(contact_id):
    return jsonify(contact_json(queries.one(Contact, g.api_business, contact_id)))


@bp.post("/contacts")
def create_contact():
    contact = writes.create_contact(g.api_business, writes.json_body())
    return jsonify(contact_json(contact)), 201


@bp.patch("/contacts/<contact_id>")
def update_contact(contact_id):
    contact = queries.one(Contact, g.api_business, contact_id)
    contact = writes.update_contact(g.api_business, contact, writes.json_body())
    return jsonify(contact_json(contact))


@bp.get("/appointments")
def list_appointments():
    return _listing(*queries.appointments(g.api_business, request.args), appointment_json)


@bp.get("/appointments/<appointment_id>")
def get_appointment(appointment_id):
    return jsonify(appointment_json(queries.one(Appointment, g.api_business, appointment_id)))


@bp.get("/leads")
def list_leads():
    return _listing(*queries.leads(g.api_business, request.args), lead_json)


@bp.get("/leads/<lead_id>")
def get_lead(lead_id):
    return jsonify(lead_json(queries.one(Lead, g.api_business, lead_id)))


@bp.post("/leads")
def create_lead():
    lead = writes.create_lead(g.api_business, writes.json_body())
    return jsonify(lead_json(lead)), 201
