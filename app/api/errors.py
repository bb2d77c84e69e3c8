"""JSON errors with stable codes: integrators branch on `error.code`,
never on the message."""
from __future__ import annotations

from flask import jsonify

# code -> HTTP status. Codes are part of the API contract (docs/api.md, the OpenAPI document).
ERROR_CODES = {
    "invalid_json": 400,
    "invalid_parameter": 400,
    "invalid_cursor": 400,
    "unauthorized": 401,
    "insufficient_scope": 403,
    "feature_not_included": 403,
    "not_found": 404,
    "method_not_allowed": 405,
    "conflict": 409,
    "validation_failed": 422,
    "limit_reached": 422,
    "rate_limited": 429,
    "internal_error": 500,
}


class ApiError(Exception):
    def __init__(self, code: str, message: str, fields: dict | None = None):
        super().__init__(message)
        self.code, self.message, self.fields = code, message, fields

    @property
    def status(self) -> int:
        return ERROR_CODES[self.code]


def error_response(code: str, message: str, fields: dict | None = None, headers: dict | None = None):
    body = {"error": {"code": code, "message": message}}
    if fields:
        body["error"]["fields"] = fields
    response = jsonify(body)
    response.status_code = ERROR_CODES[code]
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response
