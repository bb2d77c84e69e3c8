"""Flask application factory and the per-request pipeline:
request id → faults → authentication → idempotency → handler → (late faults) → log.
"""
from __future__ import annotations

import logging
import random
import secrets
import time

from flask import Flask, Response, g, request
from werkzeug.exceptions import HTTPException

from . import (admin, appointments, call_handling, calls, campaigns, chat, contacts, coordinators, dials, idempotency,
               lead_analysis, leads, messages, organizations, realtime, replies, test_calls, voices)
from .auth import authenticate
from .errors import ApiError
from .faults import FaultInjector, drop_connection, rate_limited_error
from .options import SandboxOptions
from .runtime import SandboxRuntime, runtime
from .storage import Store

API_PREFIX = "/api/coordinator"
API_BLUEPRINTS = (organizations, coordinators, contacts, calls, appointments, messages, leads, realtime,
                  chat, campaigns, dials,  # per-target campaign dials (issue 14)
                  lead_analysis,  # lead qualification (issue 15)
                  voices, call_handling, test_calls)  # receptionist setup (issue 13)
from . import insights  # noqa: E402  (AI customer insights, issue 18)
API_BLUEPRINTS += (insights,)
from . import knowledge  # noqa: E402  (coordinator knowledge, issue 19)
API_BLUEPRINTS += (knowledge,)

log = logging.getLogger("fourcalls.sandbox")


def create_sandbox_app(data_path: str, options: SandboxOptions | None = None) -> Flask:
    options = options or SandboxOptions()
    app = Flask(__name__)
    app.json.sort_keys = False
    app.extensions["fourcalls"] = SandboxRuntime(
        options=options, store=Store(data_path), faults=FaultInjector(options, options.seed),
        rng=random.Random(options.seed))
    for module in API_BLUEPRINTS:
        app.register_blueprint(module.bp, url_prefix=API_PREFIX)
    app.register_blueprint(admin.bp)
    app.register_blueprint(replies.bp)
    app.register_blueprint(dials.admin_bp)
    app.before_request(_before_request)
    app.after_request(_after_request)
    app.teardown_request(_teardown_request)
    app.register_error_handler(ApiError, lambda error: error.response())
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected_error)
    return app


def _is_api() -> bool:
    return request.path == API_PREFIX or request.path.startswith(API_PREFIX + "/")


def _before_request():
    g.request_id = "req_" + secrets.token_hex(8)
    g.started = time.monotonic()
    if not _is_api():
        return None
    plan = runtime().faults.plan()
    g.fault_plan = plan
    if plan.latency_seconds:
        time.sleep(plan.latency_seconds)
    if plan.rate_limited_for is not None:
        g.fault_note = "rate_limited"
        return rate_limited_error(plan.rate_limited_for).response()
    if plan.strikes and not plan.after_handler:
        return _strike(plan)
    g.principal = authenticate(request.headers.get("Authorization"))
    if request.endpoint != "chat.chat":
        return idempotency.begin(g.principal.scope)
    return None


def _strike(plan) -> Response:
    """The injected failure: a dropped socket or an error response."""
    if plan.drop:
        g.fault_note = "dropped"
        drop_connection(request.environ)
        return Response(b"", status=500)
    g.fault_note = f"injected {plan.error.status}"
    return plan.error.response()


def _after_request(response: Response) -> Response:
    if _is_api():
        idempotency.finish(response)
        plan = g.get("fault_plan")
        if plan and plan.after_handler and plan.strikes and not g.get("fault_note") and not response.is_streamed:
            response = _strike(plan)
    response.headers["X-Request-Id"] = g.get("request_id", "")
    _log_request(response)
    return response


def _teardown_request(_exc):
    if g.get("idempotency_reservation"):
        idempotency.abandon()


def _log_request(response: Response) -> None:
    if not runtime().options.log_requests:
        return
    elapsed = (time.monotonic() - g.get("started", time.monotonic())) * 1000
    principal = g.get("principal")
    who = "-" if principal is None else ("platform" if principal.is_platform else principal.organization_id)
    notes = " ".join(filter(None, (g.get("fault_note"),
                                   "replayed" if g.get("idempotency_replayed") else None)))
    log.info("%s %s %s %d %.1fms %s %s", g.get("request_id"), request.method, request.path,
             response.status_code, elapsed, who, notes)


def _http_error(error: HTTPException):
    kinds = {404: "not_found", 405: "validation_error", 400: "validation_error", 413: "validation_error"}
    kind = kinds.get(error.code, "internal")
    message = "No such endpoint." if error.code == 404 else error.description
    return ApiError(kind, message, {"http_status": error.code}, status=error.code).response()


def _unexpected_error(error: Exception):
    log.exception("unhandled error")
    return ApiError("internal", "Unexpected server error.", {"exception": type(error).__name__}).response()
