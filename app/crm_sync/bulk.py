"""The batched INSERT ... ON CONFLICT behind app/crm_sync/upserts.py, for
SQLite and PostgreSQL alike."""
from __future__ import annotations

import json
import os
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Iterable

from sqlalchemy import and_, any_, bindparam, func, literal_column, or_, select

from app.extensions import db
from app.models import SyncState

# Rows per statement: one 4calls page (500) per batch, well under SQLite's
# limit on bound parameters (32,766 since 3.32).
BATCH_SIZE = 500


@dataclass
class ApplyResult:
    """What an apply did; `inserted_ids` are the 4calls ids of new local rows."""

    received: int = 0
    inserted: int = 0
    updated: int = 0
    skipped: int = 0
    inserted_ids: list[str] = field(default_factory=list)
    written_ids: list[str] = field(default_factory=list)  # inserted or updated
    latest_updated_at: datetime | None = None
    # {4calls id: local row id} of every row of the last batch, stored or new:
    # the batch's hooks use it instead of reading the rows again.
    local_ids: dict = field(default_factory=dict)
    # The values of the rows this apply inserted, exactly as stored: what a
    # new row sets off reads them here instead of reading the rows back.
    inserted_rows: list[dict] = field(default_factory=list)
    # {4calls id: row} of the batch's rows stored before the write, with the
    # columns the caller asked for (upsert's `read_stored`).
    stored_before: dict = field(default_factory=dict)

    def add(self, other: "ApplyResult") -> None:
        self.add_counts(other)
        self.inserted_ids.extend(other.inserted_ids)
        self.written_ids.extend(other.written_ids)
        self.inserted_rows.extend(other.inserted_rows)

    def add_counts(self, other: "ApplyResult") -> None:
        """Add only the counts and the newest stamp: a sync's running total
        across pages, which must not hold every page's rows (an initial sync
        of a large account would keep them all alive to the end)."""
        self.received += other.received
        self.inserted += other.inserted
        self.updated += other.updated
        self.skipped += other.skipped
        if other.latest_updated_at and (not self.latest_updated_at or other.latest_updated_at > self.latest_updated_at):
            self.latest_updated_at = other.latest_updated_at

    def as_counts(self) -> dict:
        return {"received": self.received, "inserted": self.inserted, "updated": self.updated, "skipped": self.skipped}



def batches(rows: Iterable[dict]):
    batch: dict[str, dict] = {}
    for row in rows:
        if not isinstance(row, dict) or not row.get("id"):
            continue
        # The same row twice in one statement is an error on PostgreSQL: keep the newest.
        previous = batch.get(row["id"])
        if previous is None or (row.get("updated_at") or "") >= (previous.get("updated_at") or ""):
            batch[row["id"]] = row
        if len(batch) >= BATCH_SIZE:
            yield list(batch.values())
            batch = {}
    if batch:
        yield list(batch.values())


def dialect_insert(model):
    """INSERT for the session's database, with ON CONFLICT support."""
    if db.session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(model.__table__)


def _is_newer(incoming: datetime | None, stored: datetime | None) -> bool:
    # The same rule as the upsert's WHERE clause below.
    return stored is None or (incoming is not None and stored < incoming)


def in_list(column, values):
    """`column IN values` for a batch-sized list, as one bound parameter:
    SQLAlchemy renders an IN list anew for every execution (500 placeholders,
    several ms of CPU per statement on a sync page). PostgreSQL gets
    `= ANY(array)`, SQLite `IN (SELECT value FROM json_each(json list))`."""
    values = list(values)
    if db.session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import ARRAY

        return column == any_(bindparam(None, values, type_=ARRAY(column.type)))
    return column.in_(select(literal_column("value")).select_from(func.json_each(json.dumps(values))))


def new_row_ids(count: int) -> list[uuid.UUID]:
    """`count` version-4 UUIDs from one read of the OS's random source: a
    uuid4() each is one getrandom() call, a GIL release the page-fetching
    thread takes, and was 15 % of a sync's time on SQLite."""
    random = os.urandom(16 * count)
    return [uuid.UUID(bytes=random[start:start + 16], version=4) for start in range(0, 16 * count, 16)]


def upsert(model, values: list[dict], updated_columns: tuple[str, ...], *, protect_pending: bool,
           read_stored: tuple = ()) -> ApplyResult:
    """Insert new rows, then update existing ones that are older than the
    incoming version (and, with protect_pending, not waiting to be pushed).

    One indexed read first sorts the batch, so an unchanged row costs no
    write and is not even sent back; the statements' own conditions still
    decide when a concurrent writer got there in between. `read_stored`:
    more columns that read fetches (`result.stored_before`), for a caller
    that needs the old versions of the rows it is about to overwrite."""
    result = ApplyResult(received=len(values))
    stamps = [v["remote_updated_at"] for v in values if v["remote_updated_at"]]
    result.latest_updated_at = max(stamps) if stamps else None
    if not values:
        return result
    keys = ["business_id", "remote_id"]
    table = model.__table__
    columns = [table.c.remote_id, table.c.remote_updated_at, table.c.id]
    if protect_pending:
        columns.append(table.c.sync_state)
    columns += [table.c[column.key] for column in read_stored if column.key not in {c.key for c in columns}]
    stored = {
        row.remote_id: row
        for row in db.session.execute(
            select(*columns).where(table.c.business_id == values[0]["business_id"],
                                   in_list(table.c.remote_id, [v["remote_id"] for v in values]))
        )
    }
    result.stored_before = stored
    result.local_ids = {remote_id: row.id for remote_id, row in stored.items()}
    fresh = [v for v in values if v["remote_id"] not in stored]
    changed = [
        v for v in values
        if v["remote_id"] in stored
        and _is_newer(v["remote_updated_at"], stored[v["remote_id"]].remote_updated_at)
        and not (protect_pending and stored[v["remote_id"]].sync_state == SyncState.PENDING)
    ]
    inserted: set[str] = set()
    if fresh:
        # A plain executemany without RETURNING: with RETURNING, SQLAlchemy
        # sends one huge multi-row VALUES statement, 2-3x slower on
        # PostgreSQL than psycopg's pipelined executemany. Which rows this
        # statement inserted is then read back: a row carrying the id we
        # generated is ours; another id means a concurrent writer (a webhook
        # racing the sync) inserted it first, and ON CONFLICT waited for it.
        db.session.execute(dialect_insert(model).on_conflict_do_nothing(index_elements=keys), fresh)
        ours = {v["remote_id"]: v["id"] for v in fresh}
        stored_now = dict(db.session.execute(
            select(table.c.remote_id, table.c.id).where(table.c.business_id == values[0]["business_id"],
                                                        in_list(table.c.remote_id, ours))
        ).all())
        result.local_ids.update(stored_now)
        inserted = {remote_id for remote_id, row_id in stored_now.items() if ours[remote_id] == row_id}
        changed += [v for v in fresh if v["remote_id"] not in inserted]  # lost a race: now an update
    result.inserted = len(inserted)
    result.inserted_rows = [v for v in fresh if v["remote_id"] in inserted]
    result.inserted_ids = [v["remote_id"] for v in result.inserted_rows]
    updated: set[str] = set()
    if changed:
        statement = dialect_insert(model)
        newer = or_(table.c.remote_updated_at.is_(None), table.c.remote_updated_at < statement.excluded.remote_updated_at)
        condition = and_(newer, table.c.sync_state != SyncState.PENDING) if protect_pending else newer
        statement = statement.on_conflict_do_update(
            index_elements=keys,
            set_={name: statement.excluded[name] for name in updated_columns},
            where=condition,
        ).returning(table.c.remote_id)
        updated = set(db.session.execute(statement, changed).scalars())
    result.updated = len(updated)
    result.skipped = len(values) - result.inserted - result.updated
    result.written_ids = [v["remote_id"] for v in changed if v["remote_id"] in updated] + result.inserted_ids
    return result


def add_to_counters(model, rows: list[dict], measures: tuple[str, ...]) -> None:
    """INSERT rows, or add their `measures` to the row already under the same
    primary key: the rollups' `calls = calls + excluded.calls`, many rows at once.

    Sent at the driver level: SQLAlchemy's per-row parameter handling cost
    more than the database's work for these narrow rows (a sync batch writes
    two to three counter rows per call). On PostgreSQL the whole list goes in
    one statement as arrays (unnest); on SQLite as one executemany. Values go
    through each column type's own bind processing, as SQLAlchemy would."""
    if not rows:
        return
    session = db.session
    connection = session.connection()
    dialect = connection.dialect
    table = model.__table__
    columns = list(table.columns)
    names = [column.name for column in columns]
    processors = [column.type.dialect_impl(dialect).bind_processor(dialect) for column in columns]
    keys = ", ".join(column.name for column in table.primary_key.columns)
    increments = ", ".join(f"{name} = {table.name}.{name} + excluded.{name}" for name in measures)
    conflict = f"ON CONFLICT ({keys}) DO UPDATE SET {increments}"
    tuples = [
        tuple(process(row[name]) if process else row[name] for name, process in zip(names, processors))
        for row in rows
    ]
    if dialect.name == "postgresql":
        arrays = ", ".join(f"%s::{column.type.compile(dialect)}[]" for column in columns)
        sql = f"INSERT INTO {table.name} ({', '.join(names)}) SELECT * FROM unnest({arrays}) {conflict}"
        connection.exec_driver_sql(sql, tuple(list(values) for values in zip(*tuples)))
    else:
        placeholders = ", ".join("?" for _ in names)
        sql = f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({placeholders}) {conflict}"
        connection.exec_driver_sql(sql, tuples)
