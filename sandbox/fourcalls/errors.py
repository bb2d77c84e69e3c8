"""The single error shape every API failure uses."""
from __future__ import annotations

from flask import g, jsonify

STATUS_BY_TYPE = {
    "unauthorized": 401,
    "forbidden": 403,
    "not_found": 404,
    "validation_error": 422,
    "conflict": 409,
    "rate_limited": 429,
    "unavailable": 503,
    "internal": 500,
}


class ApiError(Exception):
    def __init__(self, error_type: str, message: str, details: dict | None = None,
                 status: int | None = None, headers: dict | None = None):
        super().__init__(message)
        self.error_type = error_type
        self.message = message
        self.details = details or {}
        self.status = status or STATUS_BY_TYPE[error_type]
        self.headers = headers or {}

    def payload(self) -> dict:
        body = {"type": self.error_type, "message": self.message, "details": self.details}
        request_id = getattr(g, "request_id", None)
        if request_id:
            body["request_id"] = request_id
        return {"error": body}

    def response(self):
        response = jsonify(self.payload())
        response.status_code = self.status
        response.headers.update(self.headers)
        return response


def not_found(what: str = "resource") -> ApiError:
    return ApiError("not_found", f"No such {what}.")


def invalid(fields: dict[str, str], message: str = "The request is invalid.", **details) -> ApiError:
    return ApiError("validation_error", message, {"fields": fields, **details})


def conflict(message: str, **details) -> ApiError:
    return ApiError("conflict", message, details)
