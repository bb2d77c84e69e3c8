"""The SQL statements an action runs, for tests that count or inspect them."""
from __future__ import annotations

from sqlalchemy import event

from app.extensions import db


def statements_during(action):
    """(what `action()` returned, the SQL text of every statement it ran, in order)."""
    statements = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        result = action()
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    return result, statements
