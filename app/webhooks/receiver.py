"""The 4calls receiver: one function from a delivery to its answer, used by
the Flask route and by the WSGI fast path in front of the app.

Issue 17 asks for 1,000 unique events/s on two gunicorn workers, about a
third of what a hello-world Flask app answers there. Flask's request hooks
(CSRF, Flask-Limiter, Flask-Login, the NUL guard, the session, security
headers) cost more than the work itself, and a webhook needs none of them:
`FourCallsFastPath` answers POST /webhooks/fourcalls from the WSGI environ,
with the same answers as the route (the tests go through it, as deliveries
do), and hands anything it cannot read (no Content-Length, a body over
MAX_CONTENT_LENGTH) or any exception to the Flask app untouched.
"""
from __future__ import annotations

import io
import json
import logging

from flask import Flask, current_app

from app.validation import nul_field_names, nul_refusal, strict_json_loads
from app.webhooks.handoff import announce_stored_event
from app.webhooks.rate_limit import over_rate_limit
from app.webhooks.services import InvalidSignature, accept_fourcalls_event, verify_fourcalls_signature

log = logging.getLogger(__name__)

PATH = "/webhooks/fourcalls"


def receive_fourcalls(raw: bytes, signature: str | None, address: str | None) -> tuple[int, dict]:
    """(status, JSON body) for one delivery: rate limit, signature, event
    shape, then store once and hand over (app/webhooks/handoff.py)."""
    config = current_app.config
    if over_rate_limit("webhooks.fourcalls", config["WEBHOOK_RATE_LIMIT"], address):
        return _refusal(429, "too many requests")
    try:
        verify_fourcalls_signature(signature, raw, config["FOURCALLS_WEBHOOK_SECRET"])
    except InvalidSignature as exc:
        return _refusal(400, str(exc))
    try:
        event = strict_json_loads(raw)
    except ValueError:
        return _refusal(400, "body is not JSON")
    if not isinstance(event, dict) or not isinstance(event.get("id"), str) or not isinstance(event.get("type"), str):
        return _refusal(400, "event must be a JSON object with string id and type")
    nul = nul_field_names(event)
    if nul:  # PostgreSQL stores no NUL in text or JSON
        return _refusal(422, nul_refusal(nul))
    organization_id = event.get("organization_id") if isinstance(event.get("organization_id"), str) else None
    if accept_fourcalls_event(event["id"], event["type"], event, organization_id, _text(raw)) is None:
        return 200, {"received": True, "duplicate": True}
    announce_stored_event("fourcalls")
    return 200, {"received": True}


def _text(raw: bytes) -> str | None:
    """The body as stored (jsonb reads it again), when it is UTF-8; JSON may also come as UTF-16 or 32."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _refusal(status: int, message: str) -> tuple[int, dict]:
    return status, {"error": {"status": status, "message": message}}


_REASONS = {200: "200 OK", 400: "400 BAD REQUEST", 422: "422 UNPROCESSABLE ENTITY", 429: "429 TOO MANY REQUESTS"}
# What app/security_headers.py adds to a JSON answer.
_HEADERS = [
    ("Content-Type", "application/json"),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "strict-origin-when-cross-origin"),
    ("X-Frame-Options", "DENY"),
]


class FourCallsFastPath:
    """WSGI middleware answering 4calls deliveries (see the module's docstring)."""

    def __init__(self, wsgi_app, app: Flask):
        self.wsgi_app = wsgi_app
        self.app = app

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO") != PATH or environ.get("REQUEST_METHOD") != "POST":
            return self.wsgi_app(environ, start_response)
        try:
            length = int(environ.get("CONTENT_LENGTH") or -1)
        except ValueError:
            length = -1
        if length < 0 or length > (self.app.config.get("MAX_CONTENT_LENGTH") or 0):
            return self.wsgi_app(environ, start_response)
        raw = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(raw)  # for the app, should it answer after all
        try:
            with self.app.app_context():
                status, body = receive_fourcalls(raw, environ.get("HTTP_X_FOURCALLS_SIGNATURE"),
                                                 environ.get("REMOTE_ADDR"))
        except Exception:  # the app answers (and logs) as for any request
            log.exception("4calls fast path failed; the app answers instead")
            return self.wsgi_app(environ, start_response)
        payload = json.dumps(body, separators=(",", ":")).encode() + b"\n"
        headers = _HEADERS + [("Content-Length", str(len(payload)))]
        if self.app.config.get("HSTS_SECONDS"):
            headers.append(("Strict-Transport-Security",
                            f"max-age={self.app.config['HSTS_SECONDS']}; includeSubDomains"))
        start_response(_REASONS[status], headers)
        return [payload]


def init_app(app: Flask) -> None:
    app.wsgi_app = FourCallsFastPath(app.wsgi_app, app)
