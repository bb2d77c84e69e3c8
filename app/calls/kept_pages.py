"""The call log's results (the count and the rows) and its assistant filter,
read once per change of the business's calls and kept per process for at most
a minute.

A view of a large business's log runs its two heaviest statements (the page
of calls and the capped count) and draws 25 rows: over a third of the page's
CPU and most of the database's. Between two calls of a business the answer
does not change, so it is kept:

* under the business's live-feed change mark (app/dashboard/live_feed.py),
  which any write to the business's calls, contacts or assistants
  (coordinators) moves when it commits
  (the session hooks there), so the first view after a write renders afresh,
  in every process;
* with everything else the fragment shows in the key: the business's slug,
  time zone and local day, and the query string (filters, page cursor);
* for at most KEPT_SECONDS, which bounds what a change that moved no mark
  (Redis failing as the write committed) can hide, as for the dashboard's
  figures.

Without Redis there is no shared mark and nothing is kept: every view renders.
The route checks ownership and role before it asks; the fragments hold no
per-user content (no forms, no CSRF tokens, no names of the viewer).
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from flask import current_app, render_template, request
from markupsafe import Markup

from app import clock
from app.dashboard import live_feed
from app.timezones import local_today

KEPT_SECONDS = 60
_MAX_ENTRIES = 512
_EXTENSION = "kept_call_pages"


class KeptPages:
    """What the call log keeps for one business, for one request: the mark is
    read once (one Redis round trip) however many pieces are asked for."""

    def __init__(self, business):
        self.business = business
        self.mark = live_feed.current_mark(business.id)

    def rendered(self, template: str, context: Callable[[], dict]) -> Markup:
        """`template` rendered with `context()`, or the copy kept for this
        business state and query; `context` (the statements) runs only when it must."""
        return self.value(template, lambda: Markup(render_template(template, **context())), by_query=True)

    def value(self, kind: str, compute: Callable, by_query: bool = False):
        """`compute()`, or what it gave for this business state (and, `by_query`,
        this query string) within the last KEPT_SECONDS."""
        if self.mark is None:
            return compute()
        business = self.business
        key = (kind, business.id, business.slug, business.timezone, local_today(business), self.mark,
               tuple(sorted(request.args.items(multi=True))) if by_query else None)
        store = current_app.extensions.setdefault(_EXTENSION, {})
        now = clock.utcnow()
        found = store.get(key)
        if found is not None and found[1] > now:
            return found[0]
        value = compute()
        if len(store) >= _MAX_ENTRIES:
            store.clear()  # marks moved on: most entries are dead; the live ones compute again once
        store[key] = (value, now + timedelta(seconds=KEPT_SECONDS))
        return value
