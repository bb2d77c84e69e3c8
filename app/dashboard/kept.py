"""Pieces of business pages kept per process under the business's change mark,
for at most a minute: the call log's results and assistant filter, the
dashboard's recent calls, statistics, chart, leads panel, today's appointments,
live assistants, usage meters and notices, sync card, and whether its owner
prompts are due.

Reading them costs the heaviest statements of those pages (the log's page of
calls and capped count, the dashboard's recent calls and figures) and drawing
them most of the rest. Between two calls of a business they do not change, so
each is kept:

* under the business's live-feed change mark (app/dashboard/live_feed.py),
  which any write to the tables they show (calls, contacts, coordinators,
  appointments, leads, missed-call texts, messages, the rollout waitlist,
  satisfaction ratings, subscription history, usage rows and notices, sync
  runs and cursors) moves when it commits (the session hooks there), so the
  first view after a write computes afresh, in every process;
* with everything else a piece shows in the key: the mount point, the
  business's slug, time zone, package (as it applies now: none once ended)
  and local day, and for the log the query string (filters, cursor); the
  dashboard's recent-call rows also by the version of the rows they draw;
* for at most KEPT_SECONDS, which bounds what a change that moved no mark
  (Redis failing as the write committed) can hide, and anything a piece shows
  that moves with the clock alone.

Without Redis there is no shared mark and nothing is kept: every view
computes. Routes check ownership and role before they ask; no kept piece
holds per-user content (no forms, no CSRF tokens, no live-poll token).
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from flask import current_app, render_template, request
from markupsafe import Markup

from app import clock
from app.dashboard import live_feed
from app.timezones import local_today
from app.usage.services import package_of

KEPT_SECONDS = 60
_MAX_ENTRIES = 2048
_EXTENSION = "kept_pieces"
_READ_HERE = object()  # no mark passed in: read it


class KeptPieces:
    """What one request keeps for one business: the mark (one Redis round
    trip, or the one the caller already read) and the business's part of the
    key are worked out once, however many pieces are asked for; a piece asked
    for twice is worked out once, with or without a mark."""

    def __init__(self, business, mark=_READ_HERE):
        self.business = business
        self._this_request: dict = {}
        self.mark = live_feed.current_mark(business.id) if mark is _READ_HERE else mark
        if self.mark is not None:
            package = package_of(business)  # None once ended or suspended: the gates change with it
            self._business_key = (request.script_root, business.id, business.slug, business.timezone,
                                  package.slug if package else None, local_today(business), self.mark)

    def rendered(self, template: str, context: Callable[[], dict], *, by_query: bool = False,
                 variant: str = "") -> Markup:
        """`template` rendered with `context()`, or the copy kept for this
        business state (and query); `context` (the statements) runs only when
        it must. `variant` names a different rendering of the same template."""
        return self.value(f"{template}{variant}", lambda: Markup(render_template(template, **context())),
                          by_query=by_query)

    def value(self, kind: str, compute: Callable, by_query: bool = False, until: Callable | None = None):
        """`compute()`, or what it gave for this business state (and, `by_query`,
        this query string) within the last KEPT_SECONDS; `until(value)`, when
        given, is a moment the value stops being true by the clock alone (the
        end of a usage period): it is not kept past it."""
        if kind in self._this_request:
            return self._this_request[kind]
        self._this_request[kind] = value = self._kept_value(kind, compute, by_query, until)
        return value

    def _kept_value(self, kind: str, compute: Callable, by_query: bool, until: Callable | None):
        if self.mark is None:
            return compute()
        key = (kind, *self._business_key, tuple(sorted(request.args.items(multi=True))) if by_query else None)
        store = current_app.extensions.setdefault(_EXTENSION, {})
        now = clock.utcnow()
        found = store.get(key)
        if found is not None and found[1] > now:
            return found[0]
        value = compute()
        if len(store) >= _MAX_ENTRIES:
            _make_room(store, now)
        expires = now + timedelta(seconds=KEPT_SECONDS)
        ends = until(value) if until else None
        store[key] = (value, min(expires, ends) if ends else expires)
        return value


def _make_room(store: dict, now) -> None:
    """Drop what has expired (or was kept under a mark since moved on, which
    expires the same way); if the live entries alone fill it, start afresh."""
    for key, (_value, expires) in list(store.items()):  # a copy: other threads write meanwhile
        if expires <= now:
            store.pop(key, None)
    if len(store) >= _MAX_ENTRIES:
        store.clear()
