"""The dashboard's live poll, made cheap: a per-business change mark in Redis.

Every open dashboard polls `/businesses/<slug>/dashboard/live?v=<token>` every
2 s. Almost every poll finds nothing new, so that answer must cost almost
nothing:

* Whatever the feed shows that moves by itself (calls, usage meters) marks
  its business as changed when its transaction commits: `changed(business_id)`
  queues the mark on the session, and the after-commit hook writes a fresh,
  never-repeating value to Redis (`live-feed:<business id>`). Marking after
  the commit matters: a poll that read the mark before the commit could
  otherwise render the old rows under the new mark and miss the call.
* The full view (`dashboard.live`, with the ownership check) hands out a
  signed token: business, slug, the login session it was issued to, the
  mark it saw, and the hash of what it rendered. The token is signed with
  SECRET_KEY and is fresh for FRESH_SECONDS.
* `NothingNewFastPath` wraps the WSGI app and answers 204 before Flask does
  any work when the token is fresh, was issued to the login session in the
  request's (signed) session cookie, names the business of the URL, and the
  business's mark in Redis is still the one the token saw: one Redis GET.
  Anything else (stale token, another mark, no cookie, Redis down) falls
  through to the full view, which checks ownership and role as every page.

Why this is safe: a 204 carries no data, only "nothing changed since the
view you were shown", and it is given only to the login session that was
shown that view, by the app's own ownership check, at most FRESH_SECONDS ago.
A session ended (log out, removed from the team) gets 204s for at most that
long, then the full view refuses it.

Why FRESH_SECONDS: figures that change without a mark (assistant status,
"last synced 3 minutes ago") are refreshed by the full view once a token is
stale, at most once a minute per open dashboard (1 poll in 30).

Without Redis (REDIS_URL unset: development, SQLite tests) there is no
shared mark, so there is no fast path: every poll takes the full view, which
still answers 204 when its hash is unchanged.
"""
from __future__ import annotations

import logging
import uuid
from http.cookies import CookieError, SimpleCookie
from urllib.parse import parse_qs

from flask import current_app
from itsdangerous import BadSignature, TimestampSigner, URLSafeTimedSerializer
from redis.exceptions import RedisError
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import ObjectDeletedError

from app import clock
from app.jobs.after_commit import forget_with_the_transaction

log = logging.getLogger(__name__)

FRESH_SECONDS = 60
# What a failing Redis raises (redis-py's errors; socket errors are OSErrors).
REDIS_FAILURES = (RedisError, OSError)
_PENDING = "live_feed_changed"
_KEY = "live-feed:{}"
# Moved by a write to the marked tables (below) that names no single business
# (a bulk update by contact ids, say): every business's mark includes it.
_ALL_KEY = "live-feed:all"
ALL_BUSINESSES = "*"
# An execution option for a write that changes nothing any page shows: no mark.
# A usage period's rows created at their starting values (app/usage/services.py):
# a view that kept the old period's meters lets them go at that period's end
# (app/dashboard/routes.py), and a view of the new period computes these values.
SHOWN_UNCHANGED = "live_feed_shown_unchanged"
_SALT = "dashboard-live-feed"


class _ClockSigner(TimestampSigner):
    """Token ages follow the app's clock, so tests can age them without sleeping."""

    def get_timestamp(self) -> int:
        return int(clock.utcnow().timestamp())


def _serializer(app) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(app.secret_key, salt=_SALT, signer=_ClockSigner)


class MarkStore:
    """The change marks in Redis. Every method swallows Redis errors: the
    caller then takes the full (correct, slower) path."""

    def __init__(self, redis):
        self.redis = redis

    def read(self, business_id) -> str | None:
        own, everyone = self.redis.mget(_KEY.format(business_id), _ALL_KEY)
        return f"{(own or b'').decode()}.{(everyone or b'').decode()}"

    def mark(self, business_ids) -> None:
        with self.redis.pipeline(transaction=False) as pipe:
            for business_id in business_ids:
                key = _ALL_KEY if business_id == ALL_BUSINESSES else _KEY.format(business_id)
                pipe.set(key, uuid.uuid4().hex[:16])
            pipe.execute()


def store(app=None) -> MarkStore | None:
    app = app or current_app
    return app.extensions.get("live_feed")


def init_app(app) -> None:
    if app.config.get("REDIS_URL"):
        from redis import Redis

        app.extensions["live_feed"] = MarkStore(Redis.from_url(
            app.config["REDIS_URL"], socket_timeout=0.5, socket_connect_timeout=0.5))
    app.extensions["live_feed_serializer"] = _serializer(app)
    app.wsgi_app = NothingNewFastPath(app.wsgi_app, app)


# --- marks ---------------------------------------------------------------------

def changed(business_id, session=None) -> None:
    """Mark the business's live feed as changed when this transaction commits."""
    from app.extensions import db

    (session or db.session()).info.setdefault(_PENDING, set()).add(str(business_id))


@event.listens_for(Session, "after_commit")
def _write_marks(session) -> None:
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    try:
        marks = store()
    except RuntimeError:  # no app context: nobody can be polling this app
        return
    if marks is None:
        return
    try:
        marks.mark(pending)
    except REDIS_FAILURES as exc:  # Redis down: polls fall back to the full view within FRESH_SECONDS
        log.warning("live feed mark not written (%s)", type(exc).__name__)


# A savepoint rolled back (a lost insert race in a sync batch, say) keeps the
# transaction's marks: a mark too many costs one recompute; one too few hides a change.
forget_with_the_transaction(_PENDING)


# What the kept pieces of pages show (app/dashboard/kept.py): the calls, their
# callers' contact names, the assistants (coordinators), today's appointments,
# the dashboard's leads panel (leads, missed-call texts, held messages) and
# whether its owner prompts are due (waitlist, ratings, subscription history).
# Any write to these marks its business, so nothing kept under the mark
# outlives a change it shows.
_MARKED_TABLES = frozenset({"calls", "contacts", "fourcalls_coordinators", "appointments", "leads",
                            "missed_call_texts", "contact_messages",
                            # the dashboard's owner prompts (app/satisfaction/routes.py: owner_prompts)
                            "rollout_waitlist", "satisfaction_ratings", "subscription_history"})


@event.listens_for(Session, "after_flush")
def _mark_flushed_calls_and_contacts(session, _flush_context) -> None:
    dirty = session.dirty  # a property that builds a new set on each read
    for instance in (*session.new, *dirty, *session.deleted):
        if getattr(instance, "__tablename__", None) in _MARKED_TABLES:
            # Read without loading: an attribute expired here would emit SQL mid-flush.
            changed(instance.__dict__.get("business_id") or ALL_BUSINESSES, session)
            if instance in dirty and inspect(instance).attrs.business_id.history.added:
                # Moved between businesses (the one it left is not known once expired): all see it.
                changed(ALL_BUSINESSES, session)


# The dashboard's status rows, also kept under the mark (app/dashboard/routes.py):
# the usage meters and notices, the sync runs and cursors. Jobs write them
# between commits, when a row's business_id is often expired; it is read before
# the flush (a SELECT for each such row) instead of marking every business,
# which these frequent writes would do all day. Rows of no business (a global
# job's run) mark nothing, and of the job runs only the CRM sync's, the one the
# sync card shows: a campaign's or a push's runs would move the mark for nothing.
_MARKED_STATUS_TABLES = frozenset({"alphasite_ai_service_usage", "usage_notices", "job_runs", "sync_cursors"})


def _shown_on_the_dashboard(row) -> bool:
    if row.__tablename__ != "job_runs":
        return True
    from app.crm_sync.services import JOB_KIND

    return row.kind == JOB_KIND


@event.listens_for(Session, "before_flush")
def _mark_flushed_status_rows(session, _flush_context, _instances) -> None:
    dirty = session.dirty  # a property that builds a new set on each read
    for row in (*session.new, *dirty, *session.deleted):
        if getattr(row, "__tablename__", None) not in _MARKED_STATUS_TABLES:
            continue
        if row in dirty and not session.is_modified(row):  # `dirty` holds rows set to what they were too
            continue
        try:
            # Loaded here if expired: before the flush, SQL may run.
            business_id = row.business_id if _shown_on_the_dashboard(row) else None
        except ObjectDeletedError:  # gone meanwhile: whose it was is not known
            business_id = ALL_BUSINESSES
        if business_id is not None:
            changed(business_id, session)


@event.listens_for(Session, "do_orm_execute")
def _mark_bulk_writes_to_calls_and_contacts(execute_state) -> None:
    """INSERT / UPDATE / DELETE statements run through the session (bulk
    upserts, merges, imports, erasure): the business named by their rows or
    their WHERE clause, else every business."""
    if not (execute_state.is_insert or execute_state.is_update or execute_state.is_delete):
        return
    if execute_state.execution_options.get(SHOWN_UNCHANGED):
        return
    table = getattr(getattr(execute_state.statement, "table", None), "name", None)
    if table not in _MARKED_TABLES and table not in _MARKED_STATUS_TABLES:
        return
    for business_id in _businesses_written(execute_state.statement, execute_state.parameters, table):
        changed(business_id, execute_state.session)


def _business_ids_set_by_values(statement) -> list:
    """The business_id a statement's .values() writes (None where it is not a
    plain value), one per row of a multi-row .values([...]) too."""
    named = [getattr(value, "value", None) for column, value in (getattr(statement, "_values", None) or {}).items()
             if getattr(column, "key", column) == "business_id"]
    for rows in getattr(statement, "_multi_values", None) or ():
        named += [_plain_business_id(row) for row in rows]
    return named


def _plain_business_id(row) -> object:
    """A multi-row insert's row's business_id, or None when it names none (or as SQL)."""
    values = row.items() if isinstance(row, dict) else ()
    value = next((value for column, value in values if getattr(column, "key", column) == "business_id"), None)
    return value if isinstance(value, (uuid.UUID, str)) else None


def _businesses_written(statement, parameters, table: str) -> set:
    if statement.is_insert:
        # Rows as parameters (executemany: the sync's upserts) or in .values().
        rows = parameters if isinstance(parameters, list) else [parameters] if parameters else []
        named = [row.get("business_id") for row in rows if isinstance(row, dict)]
        named += _business_ids_set_by_values(statement)
        return set(named) if named and None not in named else {ALL_BUSINESSES}
    from sqlalchemy.sql import operators

    if _business_ids_set_by_values(statement):
        return {ALL_BUSINESSES}  # rows moved between businesses: both must see it
    # Only "business_id = <value>" ANDed at the top narrows every row written to one business.
    criteria = statement.whereclause
    conjuncts = criteria.clauses if getattr(criteria, "operator", None) is operators.and_ else [criteria]
    for node in conjuncts:
        left, right = getattr(node, "left", None), getattr(node, "right", None)
        if (getattr(node, "operator", None) is operators.eq and getattr(left, "key", None) == "business_id"
                and getattr(getattr(left, "table", None), "name", None) == table
                and getattr(right, "value", None) is not None):
            return {right.value}
    return {ALL_BUSINESSES}


def current_mark(business_id) -> str | None:
    """The business's mark now, or None when there is no shared store (or it is down)."""
    marks = store()
    if marks is None:
        return None
    try:
        return marks.read(business_id)
    except REDIS_FAILURES as exc:
        log.warning("live feed mark not read (%s)", type(exc).__name__)
        return None


# --- tokens --------------------------------------------------------------------

def issue(business, session_id: str, mark: str | None, content_hash: str) -> str:
    payload = [str(business.id), business.slug, session_id, mark, content_hash]
    return current_app.extensions["live_feed_serializer"].dumps(payload)


def read_token(app, token: str, *, fresh: bool) -> list | None:
    """[business id, slug, session id, mark, content hash], or None when the
    token is forged, malformed or (with `fresh`) older than FRESH_SECONDS."""
    if not token:
        return None
    try:
        payload = app.extensions["live_feed_serializer"].loads(token, max_age=FRESH_SECONDS if fresh else None)
    except BadSignature:
        return None
    return payload if isinstance(payload, list) and len(payload) == 5 else None


# --- the fast path -------------------------------------------------------------

_NOTHING_NEW_HEADERS = [
    ("Cache-Control", "no-store"),
    ("Vary", "HX-Request, Cookie"),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "strict-origin-when-cross-origin"),
    ("Content-Length", "0"),
]


class NothingNewFastPath:
    """WSGI middleware: 204 for a fresh token whose business mark is unchanged;
    every other request goes to the Flask app untouched."""

    def __init__(self, wsgi_app, app):
        self.wsgi_app = wsgi_app
        self.app = app

    def __call__(self, environ, start_response):
        if (environ.get("REQUEST_METHOD") == "GET" and environ.get("PATH_INFO", "").endswith("/dashboard/live")
                and self._nothing_new(environ)):
            start_response("204 NO CONTENT", list(_NOTHING_NEW_HEADERS))
            return [b""]
        return self.wsgi_app(environ, start_response)

    def _nothing_new(self, environ) -> bool:
        marks = self.app.extensions.get("live_feed")
        if marks is None:
            return False
        token = parse_qs(environ.get("QUERY_STRING", "")).get("v", [""])[0]
        payload = read_token(self.app, token, fresh=True)
        if payload is None:
            return False
        business_id, slug, session_id, mark, _hash = payload
        if mark is None or environ["PATH_INFO"] != f"/businesses/{slug}/dashboard/live":
            return False
        if session_id is None or self._login_session(environ) != session_id:
            return False
        try:
            return marks.read(business_id) == mark
        except REDIS_FAILURES:  # Redis down: the full view answers
            return False

    def _login_session(self, environ) -> str | None:
        """The Flask-Login id ("<user>:<login session>") in the signed session cookie."""
        raw = environ.get("HTTP_COOKIE")
        if not raw:
            return None
        cookie = SimpleCookie()
        try:
            cookie.load(raw)
        except CookieError:
            return None
        morsel = cookie.get(self.app.config["SESSION_COOKIE_NAME"])
        if morsel is None:
            return None
        serializer = self.app.session_interface.get_signing_serializer(self.app)
        try:
            data = serializer.loads(morsel.value, max_age=int(self.app.permanent_session_lifetime.total_seconds()))
        except BadSignature:
            return None
        return data.get("_user_id") if isinstance(data, dict) else None
