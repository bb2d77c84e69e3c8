"""Pooled PostgreSQL connections are pinged before use only after sitting idle.

SQLAlchemy's `pool_pre_ping` sends a SELECT 1 at every checkout: under load
that was one round trip in four of a business page (the others: its one
statement, Redis's change mark, the COMMIT), for connections handed back a
few milliseconds earlier. A connection checked in less than
DATABASE_PING_AFTER_IDLE_SECONDS ago is used as it is; one idle for longer may
have outlived a PostgreSQL restart, and is pinged as pre-ping did: a dead one
is discarded with every other pooled connection, and the request gets a new one.
The pool hands out the connection checked in last (`pool_use_lifo`), so under
light load the busy few skip the ping and the rest idle until pinged.

What this gives up: a restart in the last second before a checkout fails that
one request (a disconnect error: 503 with Retry-After), and SQLAlchemy then
invalidates every connection the pool held, which the next checkouts replace.
The server was down within that second, and a request during the outage fails
either way. (tests/drills/test_postgres_restart.py covers both cases.)
"""
from __future__ import annotations

import time

from sqlalchemy import event, exc

_CHECKED_IN_AT = "idle_ping_checked_in_at"
_now = time.monotonic  # its own name, so tests move this clock alone


def ping_connections_left_idle(engine, idle_seconds: float) -> None:
    """Check each connection at checkout if it sat in the pool for `idle_seconds` or more."""
    dialect = engine.dialect

    @event.listens_for(engine, "connect")
    def _just_connected(_dbapi_connection, record) -> None:
        record.info[_CHECKED_IN_AT] = _now()

    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_connection, record) -> None:
        record.info[_CHECKED_IN_AT] = _now()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_connection, record, _proxy) -> None:
        checked_in_at = record.info.get(_CHECKED_IN_AT)
        if checked_in_at is not None and _now() - checked_in_at < idle_seconds:
            return
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as error:
            if dialect.is_disconnect(error, dbapi_connection, None):
                # As pre-ping did: the pool drops this connection and every other it holds
                # (a restart killed them all), and reconnects this one for the request.
                raise exc.InvalidatePoolError("the connection died while idle") from error
            raise
