"""Injected latency, errors, rate limits and dropped connections for /v1 calls."""

from __future__ import annotations

import random
import socket
import threading
import time
from typing import Optional

from .config import FaultSettings
from .errors import StripeApiError, api_error, invalid_request, rate_limited

FIELDS = {"error_rate": float, "latency_ms": int, "rate_limit_every": int, "drop_rate": float,
          "fail_next": int, "drop_next": int}


class DropConnection(Exception):
    """Raised to make the server close the socket without answering."""


class FaultInjector:
    def __init__(self, settings: FaultSettings):
        self._settings = settings
        self._lock = threading.Lock()
        self._counter = 0
        self._random = random.Random()

    def snapshot(self) -> dict:
        with self._lock:
            return self._settings.as_dict()

    def update(self, values: dict) -> dict:
        with self._lock:
            for name, value in values.items():
                if name not in FIELDS:
                    raise invalid_request(f"Unknown fault setting: {name}", name)
                try:
                    converted = FIELDS[name](value)
                except (TypeError, ValueError):
                    raise invalid_request(f"Invalid value for {name}: {value!r}", name)
                if converted < 0 or (FIELDS[name] is float and converted > 1):
                    raise invalid_request(f"Out of range value for {name}: {value!r}", name)
                setattr(self._settings, name, converted)
            self._counter = 0
            return self._settings.as_dict()

    def clear(self) -> dict:
        with self._lock:
            for name in FIELDS:
                setattr(self._settings, name, FIELDS[name](0))
            self._counter = 0
            return self._settings.as_dict()

    def before_request(self) -> Optional[StripeApiError]:
        """Sleeps for latency, then returns the error to answer with, if any."""
        with self._lock:
            settings = self._settings
            self._counter += 1
            latency = settings.latency_ms
            drop = False
            error: Optional[StripeApiError] = None
            if settings.drop_next > 0:
                settings.drop_next -= 1
                drop = True
            elif settings.drop_rate and self._random.random() < settings.drop_rate:
                drop = True
            elif settings.rate_limit_every and self._counter % settings.rate_limit_every == 0:
                error = rate_limited()
            elif settings.fail_next > 0:
                settings.fail_next -= 1
                error = api_error()
            elif settings.error_rate and self._random.random() < settings.error_rate:
                error = api_error()
        if latency:
            time.sleep(latency / 1000.0)
        if drop:
            raise DropConnection()
        return error


def drop_connection(environ: dict) -> None:
    """Half-closes the client socket; werkzeug then treats the reply as a dropped connection."""
    sock = environ.get("werkzeug.socket")
    if sock is None:
        return
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
