"""psycopg cursors whose `description` is built only when it is read.

psycopg's `Cursor.description` makes a `Column` object for every column of the
result each time it is read (a name decoded, a type looked up). SQLAlchemy
reads it after every statement, but once a compiled statement has cached its
result metadata it only checks that it is not None. A business page's
statement returns about 60 columns: that was 60 objects a request nobody used.

`LazyDescriptionCursor.description` answers the None check at once and builds
the columns on the first read of an item. They are built from the result the
statement returned (held by the description itself), so a description read
after the cursor ran another statement still describes its own.
"""
from __future__ import annotations

from collections.abc import Sequence

import psycopg
from psycopg import pq
from psycopg._column import Column

_RESULTS_WITH_ROWS = (pq.ExecStatus.TUPLES_OK, pq.ExecStatus.SINGLE_TUPLE, pq.ExecStatus.TUPLES_CHUNK)


class _ResultOf:
    """What `Column` reads of its cursor, fixed at the statement that made the result."""

    __slots__ = ("pgresult", "_encoding", "adapters")

    def __init__(self, cursor: psycopg.Cursor, result: pq.abc.PGresult):
        self.pgresult, self._encoding, self.adapters = result, cursor._encoding, cursor.adapters


class _Description(Sequence):
    __slots__ = ("_result", "_length", "_columns")

    def __init__(self, cursor: psycopg.Cursor, result: pq.abc.PGresult):
        self._result = _ResultOf(cursor, result)
        self._length = result.nfields
        self._columns: list[Column] | None = None

    def __len__(self) -> int:
        return self._length

    def __getitem__(self, index):
        if self._columns is None:
            self._columns = [Column(self._result, number) for number in range(self._length)]
        return self._columns[index]


class LazyDescriptionCursor(psycopg.Cursor):
    @property
    def description(self) -> Sequence[Column] | None:
        # The same test as psycopg's own: columns, or a result that said it has rows.
        result = self.pgresult
        if result and (result.nfields or result.status in _RESULTS_WITH_ROWS):
            return _Description(self, result)
        return None


def use_lazy_descriptions(engine) -> None:
    """Every connection the engine opens makes LazyDescriptionCursors."""
    from sqlalchemy import event

    @event.listens_for(engine, "connect")
    def _set_cursor_factory(dbapi_connection, _record) -> None:
        dbapi_connection.cursor_factory = LazyDescriptionCursor
