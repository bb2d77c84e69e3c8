"""The /v1 wire protocol: API key, Stripe-Version, idempotency, fault injection, JSON replies."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import threading
from typing import Optional

from flask import Blueprint, Flask, Response, current_app, g, request

from . import events
from .config import MODELLED_API_VERSION
from .errors import StripeApiError, authentication_failed, idempotency_error, invalid_request, unrecognized_url
from .faults import DropConnection, drop_connection
from .ids import new_id
from .params import parse_pairs
from .services import Sandbox

v1 = Blueprint("stripe_v1", __name__, url_prefix="/v1")

_VERSION_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}(\.[a-z]+)?$")
_in_flight: set[tuple[str, str]] = set()
_in_flight_lock = threading.Lock()


def sandbox() -> Sandbox:
    return current_app.extensions["stripe_sandbox"]


def params() -> dict:
    return g.stripe_params


def json_response(body: dict, status: int = 200, headers: Optional[dict] = None) -> Response:
    response = Response(json.dumps(body, indent=2), status=status, mimetype="application/json")
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def error_response(error: StripeApiError) -> Response:
    request_id = getattr(g, "stripe_request_id", None)
    headers = dict(error.extra_headers)
    if error.status >= 500:
        # Tells stripe-python (and any Stripe client) a retry is safe.
        headers.setdefault("Stripe-Should-Retry", "true")
    return json_response(error.body(request_id), error.status, headers)


def _is_api_path() -> bool:
    return request.path == "/v1" or request.path.startswith("/v1/")


def _api_key_from_headers() -> Optional[str]:
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        return header[len("Bearer "):].strip()
    if header.startswith("Basic "):
        try:
            decoded = base64.b64decode(header[len("Basic "):]).decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            return ""
        return decoded.split(":", 1)[0]
    return None


def _authenticate(expected: str) -> None:
    key = _api_key_from_headers()
    if not key:
        raise authentication_failed(
            "You did not provide an API key. You need to provide your API key in the Authorization header, "
            "using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See https://stripe.com/docs/api#"
            "authentication for details, or we can help at https://support.stripe.com/.")
    if key != expected:
        masked = key[:8] + "*" * max(0, len(key) - 12) + key[-4:] if len(key) > 12 else key
        raise authentication_failed(f"Invalid API Key provided: {masked}")


def _request_pairs() -> list[tuple[str, str]]:
    pairs = list(request.args.items(multi=True))
    if request.method == "POST":
        pairs += list(request.form.items(multi=True))
    return pairs


def _fingerprint(pairs: list[tuple[str, str]]) -> str:
    canonical = json.dumps([request.method, request.path, sorted(pairs)])
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _before_api_request() -> Optional[Response]:
    if not _is_api_path():
        return None
    sb = sandbox()
    g.stripe_request_id = new_id("req")
    try:
        injected = sb.faults.before_request()
    except DropConnection:
        drop_connection(request.environ)
        return Response("", status=500)
    if injected is not None:
        return error_response(injected)
    _authenticate(sb.config.api_key)
    version = request.headers.get("Stripe-Version")
    if version and not _VERSION_PATTERN.match(version):
        raise invalid_request(f"Invalid Stripe API version: {version}", code="api_version_invalid")
    pairs = _request_pairs()
    g.stripe_params = parse_pairs(pairs)
    idempotency_key = request.headers.get("Idempotency-Key") if request.method == "POST" else None
    g.stripe_idempotency = None
    if idempotency_key:
        if len(idempotency_key) > 255:
            raise invalid_request("Idempotency keys may be at most 255 characters long.", "Idempotency-Key")
        replay = _replay_or_claim(sb, idempotency_key, _fingerprint(pairs))
        if replay is not None:
            return replay
    g.stripe_event_context = events.api_request(g.stripe_request_id, idempotency_key)
    g.stripe_event_context.__enter__()
    return None


def _replay_or_claim(sb: Sandbox, key: str, fingerprint: str) -> Optional[Response]:
    api_key = sb.config.api_key
    with _in_flight_lock:
        stored = sb.store.idempotent_response(api_key, key)
        if stored is not None:
            if stored["fingerprint"] != fingerprint:
                raise idempotency_error(
                    "Keys for idempotent requests can only be used with the same parameters they were first "
                    f"used with. Try using a key other than '{key}' if you meant to execute a different request.")
            return json_response(json.loads(stored["body"]), stored["status"],
                                 {"Idempotent-Replayed": "true", "Idempotency-Key": key})
        if (api_key, key) in _in_flight:
            raise idempotency_error(
                "There is currently another in-progress request using this Idempotent Key (that probably means "
                f"you submitted twice, and the other request is still going through): {key}. Please try again "
                "later.", status=409)
        _in_flight.add((api_key, key))
    g.stripe_idempotency = (api_key, key, fingerprint)
    return None


def _after_api_request(response: Response) -> Response:
    if not _is_api_path():
        return response
    request_id = getattr(g, "stripe_request_id", None)
    if request_id:
        response.headers["Request-Id"] = request_id
    response.headers["Stripe-Version"] = request.headers.get("Stripe-Version") or MODELLED_API_VERSION
    claim = getattr(g, "stripe_idempotency", None)
    if claim is not None:
        api_key, key, fingerprint = claim
        response.headers["Idempotency-Key"] = key
        # Stripe keeps results once the endpoint ran; server errors stay retryable.
        if response.status_code < 500:
            sandbox().store.remember_response(api_key, key, fingerprint, response.status_code,
                                              response.get_data(as_text=True))
    return response


def _teardown_api_request(_error) -> None:
    claim = g.pop("stripe_idempotency", None)
    if claim is not None:
        with _in_flight_lock:
            _in_flight.discard((claim[0], claim[1]))
    context = g.pop("stripe_event_context", None)
    if context is not None:
        context.__exit__(None, None, None)


def install(app: Flask) -> None:
    app.before_request(_before_api_request)
    app.after_request(_after_api_request)
    app.teardown_request(_teardown_api_request)

    @app.errorhandler(StripeApiError)
    def _stripe_error(error: StripeApiError):
        return error_response(error)

    @app.errorhandler(404)
    def _not_found(error):
        if _is_api_path():
            return error_response(unrecognized_url(request.method, request.path))
        return error

    @app.errorhandler(405)
    def _method_not_allowed(error):
        if _is_api_path():
            return error_response(unrecognized_url(request.method, request.path))
        return error

    @app.errorhandler(500)
    def _server_error(error):
        if _is_api_path():
            return error_response(StripeApiError(500, "api_error", "An unknown error occurred"))
        return error
