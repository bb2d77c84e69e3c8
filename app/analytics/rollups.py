"""Per-business call rollups on the business's local days and hours.

Why: 90 days of a 200k-call business is ~50k rows to aggregate per page
view; the rollups hold a few thousand. They are kept current by the call
upserts (`app.crm_sync.upserts`, which both the sync and the webhooks use): the
batch's stored rows are read before the upsert and again after it, and the
difference is added to the rollups with INSERT ... ON CONFLICT DO UPDATE
(calls = calls + delta). `rebuild` recounts a business from its calls table,
idempotently; it runs when the business's zone changed and as a command
(`flask analytics rebuild-rollups`).

The difference is held per transaction (`session.info`) and written once,
just before the transaction commits: a sync commits several pages at once,
and its pages share most of their rollup rows (one row per local day and
topic, say, for hundreds of calls), so each row is written once per commit
instead of once per page. A rollback drops it with the calls it counted; an
upsert inside a savepoint writes its increments at once, inside the savepoint.
If writing them fails, the transaction refuses to commit until rolled back.

The dashboard can read `CallDailyRollup` too: every figure it shows is a sum
over its dimensions.
"""
from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import date
from types import SimpleNamespace
from typing import Iterable

from sqlalchemy import delete, event, select, text
from sqlalchemy.orm import Session

from app.extensions import db
from app.jobs.after_commit import forget_with_the_transaction
from app.models import Business, Call, CallDailyRollup, CallHourlyRollup, CallRollupState, CallTopicRollup
from app.models.base import utcnow
from app.crm_sync.bulk import add_to_counters, dialect_insert, in_list
from app.timezones import zone_of

# The call columns a rollup depends on; a change in any of them moves the call.
CALL_COLUMNS = (Call.remote_id, Call.started_at, Call.direction, Call.status, Call.outcome,
                 Call.coordinator_remote_id, Call.campaign_remote_id, Call.topic, Call.duration_seconds,
                 Call.appointment_remote_id)
DAILY_MEASURES = ("calls", "talk_seconds", "bookings", "leads")
ROLLUP_MODELS = (CallDailyRollup, CallHourlyRollup, CallTopicRollup)


def contribution(zone, row) -> tuple:
    """(daily key, daily measures, hourly key, weekday, topic key or None) of one call row."""
    local = row.started_at.astimezone(zone)
    day = local.date()
    answered = row.status == "answered"
    daily_key = (day, row.direction, row.status, row.outcome or "", row.coordinator_remote_id or "",
                 row.campaign_remote_id or "")
    measures = (
        1,
        int(row.duration_seconds or 0) if answered else 0,
        1 if (row.appointment_remote_id or row.outcome == "booked") else 0,
        1 if row.outcome == "lead" else 0,
    )
    topic_key = (day, row.topic[:80]) if row.topic else None
    return daily_key, measures, (day, local.hour, row.direction), local.isoweekday(), topic_key


class Tally:
    """Signed sums per rollup key: +1 for a call's new version, -1 for its old one."""

    def __init__(self, zone):
        self.zone = zone
        self.daily: dict[tuple, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
        self.hourly: dict[tuple, int] = defaultdict(int)
        self.topics: dict[tuple, int] = defaultdict(int)
        self.weekdays: dict[date, int] = {}
        self.removals = False  # only a removed version can leave a rollup row at zero

    def add(self, row, sign: int = 1) -> None:
        self.removals = self.removals or sign < 0
        daily_key, measures, hourly_key, weekday, topic_key = contribution(self.zone, row)
        sums = self.daily[daily_key]
        for index, value in enumerate(measures):
            sums[index] += sign * value
        self.hourly[hourly_key] += sign
        if topic_key:
            self.topics[topic_key] += sign
        self.weekdays[hourly_key[0]] = weekday

    def days(self) -> set[date]:
        return {key[0] for key in self.daily} | {key[0] for key in self.hourly} | {key[0] for key in self.topics}


def _state(business: Business, *, lock: bool) -> CallRollupState | None:
    query = select(CallRollupState).where(CallRollupState.business_id == business.id)
    if lock:
        query = query.with_for_update()
    return db.session.scalar(query)


def _stored_rows(business: Business, remote_ids: Iterable[str]) -> list:
    ids = list(remote_ids)
    if not ids:
        return []
    return db.session.execute(
        select(*CALL_COLUMNS).where(Call.business_id == business.id, in_list(Call.remote_id, ids))
    ).all()


def before_call_upsert(business: Business) -> tuple:
    """The call columns the upsert must read from the batch's stored rows (the
    versions the rollups count now, passed to `after_call_upsert`), or () when
    the rollups were never built: the first analytics visit (or the command)
    builds them from scratch. The state row is locked first, so a concurrent
    rebuild or batch waits (PostgreSQL)."""
    if _state(business, lock=True) is not None:
        return CALL_COLUMNS
    _hold_off_rebuilds(business)  # these calls get no tally: a first build must wait and count them
    return ()


def _hold_off_rebuilds(business: Business) -> None:
    """PostgreSQL: a per-business advisory lock held to the end of the
    transaction, taken by every rebuild and by call upserts that find no
    rollups. Without it, a first build committing while a sync's transaction
    is still open would recount without that transaction's calls, and those
    calls, written without a tally, would never be counted. (SQLite has one
    writer at a time.)"""
    if db.session.get_bind().dialect.name == "postgresql":
        key = int.from_bytes(business.id.bytes[:8], "big", signed=True)
        db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def after_call_upsert(business: Business, before: dict | None, written_ids: list[str],
                      written_values: dict[str, dict] | None = None) -> None:
    """Add the difference between the written calls' new and old versions.

    `written_values` ({remote_id: column values}) saves reading the new
    versions back when the caller wrote every rollup column from them."""
    if written_ids:
        from app.dashboard.live_feed import changed

        changed(business.id)  # open dashboards show the calls on their next poll
    if before is None or not written_ids:
        return
    # A savepoint's rollback would not drop a held tally: inside one, it is written now.
    in_savepoint = db.session().in_nested_transaction()
    pending = {} if in_savepoint else db.session.info.setdefault(_PENDING_KEY, {})
    tally = pending.get(business.id)
    if tally is None:
        # The zone cannot change before this transaction ends: the state row is locked.
        tally = pending[business.id] = Tally(zone_of(_state(business, lock=False).timezone))
    for remote_id in written_ids:
        old = before.get(remote_id)
        if old is not None:
            tally.add(old, -1)
    if written_values is None:
        new_versions = _stored_rows(business, written_ids)
    else:
        new_versions = [SimpleNamespace(**written_values[remote_id]) for remote_id in written_ids]
    for row in new_versions:
        tally.add(row, +1)
    if in_savepoint:
        apply_tally(business.id, tally, incremental=True)


_PENDING_KEY = "call_rollups_pending"  # session.info: {business id: Tally} not yet written
_FAILED_KEY = "call_rollups_failed"  # set when writing them failed: no commit until a rollback


class PendingRollupsFailed(RuntimeError):
    """The transaction's rollup increments could not be written; roll it back."""


@event.listens_for(Session, "before_commit")
def _write_pending(session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint's release (SQLAlchemy calls this hook for those too): wait for the real commit
    if session.info.get(_FAILED_KEY):
        # A caller caught the failure below and committed again: the calls would
        # go in without their increments (or with half of them, on SQLite).
        raise PendingRollupsFailed("the call rollups of this transaction were not written; roll it back")
    try:
        for business_id, tally in session.info.pop(_PENDING_KEY, {}).items():
            apply_tally(business_id, tally, incremental=True)
    except Exception:
        session.info[_FAILED_KEY] = True
        raise


forget_with_the_transaction(_PENDING_KEY, _FAILED_KEY)


def apply_tally(business_id: uuid.UUID, tally: Tally, *, incremental: bool) -> None:
    daily = [
        {"business_id": business_id, "local_day": key[0], "direction": key[1], "status": key[2], "outcome": key[3],
         "coordinator_remote_id": key[4], "campaign_remote_id": key[5], **dict(zip(DAILY_MEASURES, sums))}
        for key, sums in tally.daily.items() if any(sums)
    ]
    hourly = [
        {"business_id": business_id, "local_day": key[0], "hour": key[1], "direction": key[2],
         "weekday": tally.weekdays[key[0]], "calls": count}
        for key, count in tally.hourly.items() if count
    ]
    topics = [{"business_id": business_id, "local_day": key[0], "topic": key[1], "calls": count}
              for key, count in tally.topics.items() if count]
    if daily:
        _write(CallDailyRollup, daily, DAILY_MEASURES, incremental)
    if hourly:
        _write(CallHourlyRollup, hourly, ("calls",), incremental)
    if topics:
        _write(CallTopicRollup, topics, ("calls",), incremental)
    if incremental and tally.removals and (daily or hourly or topics):
        days = sorted(tally.days())
        for model in ROLLUP_MODELS:
            db.session.execute(delete(model).where(model.business_id == business_id, model.local_day.in_(days),
                                                   model.calls <= 0))


def _write(model, rows: list[dict], measures: tuple[str, ...], incremental: bool) -> None:
    if incremental:
        add_to_counters(model, rows, measures)
        return
    statement = dialect_insert(model)
    for start in range(0, len(rows), 500):
        db.session.execute(statement, rows[start:start + 500])


def recount(business: Business) -> Tally:
    """The rollups as a full recount of the calls table would have them."""
    tally = Tally(zone_of(business))
    rows = db.session.execute(
        select(*CALL_COLUMNS).where(Call.business_id == business.id).execution_options(yield_per=5000)
    )
    for row in rows:
        tally.add(row)
    return tally


def rebuild(business: Business) -> int:
    """Recount every rollup row of the business in the business's current zone.
    Idempotent; runs in the caller's transaction. Returns the calls counted."""
    _hold_off_rebuilds(business)
    state = _state(business, lock=True)
    if state is None:
        db.session.execute(dialect_insert(CallRollupState).values(
            business_id=business.id, timezone=business.timezone or "UTC").on_conflict_do_nothing(
            index_elements=["business_id"]))
        state = _state(business, lock=True)
    db.session.info.get(_PENDING_KEY, {}).pop(business.id, None)  # the recount includes those calls
    for model in ROLLUP_MODELS:
        db.session.execute(delete(model).where(model.business_id == business.id))
    tally = recount(business)
    apply_tally(business.id, tally, incremental=False)
    state.timezone = business.timezone or "UTC"
    state.rebuilt_at = utcnow()
    return sum(sums[0] for sums in tally.daily.values())


def is_current(business: Business) -> bool:
    """Whether the rollups exist and were counted in the business's zone."""
    state = _state(business, lock=False)
    return state is not None and state.timezone == (business.timezone or "UTC")


def stored(business: Business) -> tuple[dict, dict, dict]:
    """The rollup tables of a business as {key: measures}, for comparing with `recount`."""
    daily = {
        (r.local_day, r.direction, r.status, r.outcome, r.coordinator_remote_id, r.campaign_remote_id):
            [r.calls, r.talk_seconds, r.bookings, r.leads]
        for r in db.session.scalars(select(CallDailyRollup).where(CallDailyRollup.business_id == business.id))
    }
    hourly = {
        (r.local_day, r.hour, r.direction): r.calls
        for r in db.session.scalars(select(CallHourlyRollup).where(CallHourlyRollup.business_id == business.id))
    }
    topics = {
        (r.local_day, r.topic): r.calls
        for r in db.session.scalars(select(CallTopicRollup).where(CallTopicRollup.business_id == business.id))
    }
    return daily, hourly, topics


# A business this small is recounted inside the request that finds its rollups
# missing (well under a second); a larger one gets a job and a progress note.
INLINE_REBUILD_LIMIT = 20_000


def ensure_current(business: Business) -> bool:
    """True when the rollups can be read now; otherwise a rebuild is queued."""
    if is_current(business):
        return True
    from sqlalchemy import func

    calls = db.session.scalar(select(func.count()).select_from(Call).where(Call.business_id == business.id))
    if calls <= INLINE_REBUILD_LIMIT:
        rebuild(business)
        db.session.commit()
        return True
    from app.jobs import enqueue

    enqueue("app.analytics.jobs.rebuild_rollups_job", str(business.id), job_id=f"rollups:{business.id}")
    return False
