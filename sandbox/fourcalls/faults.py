"""Fault injection for /api/coordinator requests: latency, errors, 429 bursts, drops.

Faults normally strike before the request is processed. With phase "after" the
request is processed and committed first and the failure replaces its response,
which is what makes a client's Idempotency-Key retries matter.
"""
from __future__ import annotations

import random
import socket
import threading
from dataclasses import dataclass

from .errors import ApiError

_INJECTED_ERRORS = (
    (500, "internal", "Injected fault: internal error."),
    (502, "unavailable", "Injected fault: bad gateway."),
    (503, "unavailable", "Injected fault: service unavailable."),
)


@dataclass
class FaultPlan:
    latency_seconds: float = 0.0
    rate_limited_for: int | None = None  # Retry-After seconds when this request gets a 429
    error: ApiError | None = None
    drop: bool = False
    after_handler: bool = False

    @property
    def strikes(self) -> bool:
        return self.error is not None or self.drop


def _fraction(payload: dict, name: str) -> float:
    value = payload.get(name, 0) or 0
    if not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise ApiError("validation_error", f"{name} must be a number from 0 to 1.",
                       {"fields": {name: "must be a number from 0 to 1"}})
    return float(value)


def _whole(payload: dict, name: str, minimum: int = 0) -> int:
    value = payload.get(name, minimum) or minimum
    if not isinstance(value, int) or value < minimum:
        raise ApiError("validation_error", f"{name} must be an integer >= {minimum}.",
                       {"fields": {name: f"must be an integer >= {minimum}"}})
    return value


class FaultInjector:
    def __init__(self, options, seed: int | None = None):
        self._lock = threading.Lock()
        self._random = random.Random(seed)
        self._defaults = {
            "error_rate": options.error_rate,
            "latency_ms": options.latency_ms,
            "rate_limit_burst": {"every": options.rate_limit_every,
                                 "length": options.rate_limit_length,
                                 "retry_after": options.rate_limit_retry_after},
            "drop_rate": options.drop_rate,
            "phase": "before",
        }
        self._config = dict(self._defaults)
        self._request_count = 0

    def snapshot(self) -> dict:
        with self._lock:
            return {**self._config, "rate_limit_burst": dict(self._config["rate_limit_burst"])}

    def configure(self, payload: dict) -> dict:
        """Replace the whole fault configuration (omitted faults are off)."""
        if not isinstance(payload, dict):
            raise ApiError("validation_error", "Expected a JSON object.")
        burst = payload.get("rate_limit_burst") or {}
        if not isinstance(burst, dict):
            raise ApiError("validation_error", "rate_limit_burst must be an object.")
        every = _whole(burst, "every")
        length = _whole(burst, "length")
        latency = payload.get("latency_ms", 0) or 0
        if not isinstance(latency, (int, float)) or latency < 0:
            raise ApiError("validation_error", "latency_ms must be >= 0.")
        phase = payload.get("phase", "before")
        if phase not in ("before", "after"):
            raise ApiError("validation_error", "phase must be before or after.")
        config = {
            "error_rate": _fraction(payload, "error_rate"),
            "latency_ms": float(latency),
            "rate_limit_burst": {"every": every, "length": min(length, every),
                                 "retry_after": _whole(burst, "retry_after", 1)},
            "drop_rate": _fraction(payload, "drop_rate"),
            "phase": phase,
        }
        with self._lock:
            self._config = config
            self._request_count = 0
        return self.snapshot()

    def clear(self) -> dict:
        return self.configure({})

    def plan(self) -> FaultPlan:
        with self._lock:
            config = self._config
            self._request_count += 1
            plan = FaultPlan(latency_seconds=config["latency_ms"] / 1000.0,
                             after_handler=config["phase"] == "after")
            burst = config["rate_limit_burst"]
            if burst["every"] and burst["length"]:
                # The last `length` requests of every `every` are refused.
                position = (self._request_count - 1) % burst["every"]
                if position >= burst["every"] - burst["length"]:
                    plan.rate_limited_for = burst["retry_after"]
                    return plan
            if config["drop_rate"] and self._random.random() < config["drop_rate"]:
                plan.drop = True
            elif config["error_rate"] and self._random.random() < config["error_rate"]:
                status, kind, message = self._random.choice(_INJECTED_ERRORS)
                headers = {"Retry-After": "1"} if status == 503 else {}
                plan.error = ApiError(kind, message, {"injected": True}, status=status,
                                      headers=headers)
            return plan


def rate_limited_error(retry_after: int) -> ApiError:
    return ApiError("rate_limited", "Too many requests; retry later.",
                    {"retry_after": retry_after}, headers={"Retry-After": str(retry_after)})


def drop_connection(environ: dict) -> None:
    """Close the client's socket so it sees the connection end without a response."""
    connection = environ.get("werkzeug.socket")
    if connection is None:
        return
    try:
        connection.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
