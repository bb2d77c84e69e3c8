"""On PostgreSQL, a transaction that only read ends with COMMIT, not ROLLBACK.

Why: psycopg forgets every statement it has prepared on the connection at each
ROLLBACK (a rollback may have undone a table the statements depend on), and
every request ends its session with one. So no statement ever stayed prepared:
PostgreSQL parsed and planned each page's statements afresh on every request,
most of the database's CPU per page (the business statement's planning alone
was 0.7 ms). psycopg keeps them across a COMMIT, and for a transaction that
ran nothing but SELECTs a COMMIT leaves the database exactly as a ROLLBACK
does: nothing was written, and locks and the snapshot end either way.

How: each statement is checked as it goes out. Only a SELECT that SQLAlchemy
built (`select(...)`, compiled) and whose SQL begins with SELECT and holds no
";" counts as a read. Anything else marks the transaction as one that wrote,
and that transaction is rolled back as before: INSERT, UPDATE, DELETE, a WITH
(it may hold one), SAVEPOINT, DDL, and every text() the app wrote, whatever
it says (`SELECT set_config(...)` or `SELECT 1; INSERT ...` would write).
Just before SQLAlchemy rolls back a transaction that was never marked, and is
in a sound state (not failed), the connection commits instead; psycopg's
ROLLBACK then finds no transaction and sends nothing. A select() calling a
function that writes would be committed here: the app has none -- keep it so.
"""
from __future__ import annotations

import logging
import re

from sqlalchemy import event
from sqlalchemy.sql import Select
from sqlalchemy.sql.selectable import CompoundSelect

log = logging.getLogger(__name__)

_WROTE = "transaction_wrote"  # key in the pooled DBAPI connection's `info`
_BEGINS_WITH_SELECT = re.compile(r"\s*SELECT\b", re.IGNORECASE).match


def reads_only(statement: str, compiled=None) -> bool:
    """Whether a statement can only read: a select() SQLAlchemy compiled
    (`compiled`, the execution context's), whose SQL is one SELECT."""
    return (compiled is not None and isinstance(compiled.statement, (Select, CompoundSelect))
            and _BEGINS_WITH_SELECT(statement) is not None and ";" not in statement)


def end_reads_with_commit(engine) -> None:
    """Install the listeners on a psycopg engine (a no-op on other drivers)."""
    if engine.dialect.driver != "psycopg":
        return

    @event.listens_for(engine, "begin")
    def _nothing_written_yet(connection):
        connection.info[_WROTE] = False

    @event.listens_for(engine, "before_cursor_execute")
    def _note_a_write(connection, cursor, statement, parameters, context, executemany):
        if not reads_only(statement, getattr(context, "compiled", None)):
            connection.info[_WROTE] = True

    @event.listens_for(engine, "rollback")
    def _commit_what_only_read(connection):
        if connection.closed or connection.invalidated:
            return
        # Unknown (a transaction begun before these listeners) counts as written.
        if connection.info.get(_WROTE, True):
            return
        from psycopg.pq import TransactionStatus

        dbapi_connection = connection.connection.dbapi_connection
        if dbapi_connection is None or dbapi_connection.info.transaction_status != TransactionStatus.INTRANS:
            return  # idle (nothing to end) or failed: the rollback handles both
        try:
            dbapi_connection.commit()
        except Exception:  # a broken connection, a serialization failure: the rollback, next, deals with it
            log.warning("committing a read-only transaction failed; rolling it back", exc_info=True)
