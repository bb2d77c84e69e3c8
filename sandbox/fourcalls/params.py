"""Reading request bodies and query parameters, failing with 422 details."""
from __future__ import annotations

from datetime import datetime, tzinfo

from flask import Response, request

from .contract import validate_body
from .errors import invalid
from .runtime import runtime
from .storage import InvalidCursor, decode_cursor
from .timeutil import format_ts, parse_ts

DEFAULT_LIMIT = 50
MAX_LIMIT = 500


def json_body(schema_name: str | None = None, allow_empty: bool = False) -> dict:
    raw = request.get_data(cache=True)
    if not raw.strip():
        if allow_empty:
            body = {}
        else:
            raise invalid({"body": "a JSON object is required"})
    else:
        body = request.get_json(silent=True, force=True)
        if body is None:
            raise invalid({"body": "must be valid JSON"})
    if not isinstance(body, dict):
        raise invalid({"body": "must be a JSON object"})
    return validate_body(schema_name, body) if schema_name else body


def timestamp_arg(name: str, zone: tzinfo | None = None) -> datetime | None:
    value = request.args.get(name)
    if value in (None, ""):
        return None
    try:
        return parse_ts(value, zone)
    except ValueError:
        raise invalid({name: "must be an ISO 8601 date or date-time"}) from None


def parse_body_ts(value: str, field: str, zone: tzinfo | None = None) -> datetime:
    try:
        return parse_ts(value, zone)
    except (ValueError, TypeError):
        raise invalid({field: "must be an ISO 8601 date-time"}) from None


def bool_arg(name: str) -> bool:
    value = (request.args.get(name) or "false").lower()
    if value not in ("true", "false", "1", "0"):
        raise invalid({name: "must be true or false"})
    return value in ("true", "1")


def page_args(zone: tzinfo | None = None) -> tuple[int, str | None, str | None]:
    """(limit, cursor, updated_since as wire timestamp) from the query string."""
    raw_limit = request.args.get("limit", str(DEFAULT_LIMIT))
    try:
        limit = int(raw_limit)
    except ValueError:
        limit = -1
    if not 1 <= limit <= MAX_LIMIT:
        raise invalid({"limit": f"must be an integer from 1 to {MAX_LIMIT}"})
    cursor = request.args.get("cursor") or None
    if cursor:
        try:
            decode_cursor(cursor, 2)
        except InvalidCursor:
            raise invalid({"cursor": "is not a cursor this API issued"}) from None
    since = timestamp_arg("updated_since", zone)
    return limit, cursor, format_ts(since) if since else None


def list_response(kind: str, where: list[str], params: list, limit: int, cursor: str | None,
                  updated_since: str | None) -> Response:
    body = runtime().store.page(kind, where, params, limit, cursor, updated_since)
    return Response(body, mimetype="application/json")
