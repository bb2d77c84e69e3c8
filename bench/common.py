"""What the page benches share: the app on a scratch database, latency and SQL
statements per request, and the same-run baselines they are printed beside.

The database is a fresh SQLite file, or BENCH_DATABASE_URL (a scratch
PostgreSQL database: it is wiped unless --reuse finds the data of an earlier
run of the same bench). Figures are printed, never asserted: on a shared
machine they are indicative, so every table carries a baseline measured in
the same run (a trivial page of the same app, through the same session and
middleware) to read them against.
"""
from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

# Signed in, renders the full layout, reads nothing but the session's user.
TRIVIAL_PAGE = "/help"


def chunks(rows, size=5000):
    for start in range(0, len(rows), size):
        yield rows[start:start + size]


def add_common_arguments(parser: argparse.ArgumentParser, requests: int) -> None:
    parser.add_argument("--requests", type=int, default=requests, help="timed requests per row")
    parser.add_argument("--reuse", action="store_true",
                        help="keep the data an earlier run of this bench left in BENCH_DATABASE_URL")
    parser.add_argument("--profile", metavar="URL", help="print a cProfile of one request to URL and stop")


def bench_app(reuse: bool = False, marker=None):
    """(app, fresh): the app on the bench database; `fresh` when the data must be built.
    With `reuse`, `marker()` (run in an app context) says whether the earlier data is there."""
    from app import create_app
    from app.config import TestingConfig
    from app.extensions import db

    logging.disable(logging.WARNING)
    url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=url, JOB_BACKEND="eager", WTF_CSRF_ENABLED=False)
    with app.app_context():
        if reuse and marker is not None:
            try:
                if marker():
                    return app, False
            except Exception:  # no tables yet
                db.session.rollback()
        db.drop_all()
        db.create_all()
        from app.packages.services import sync_catalog

        sync_catalog()
    return app, True


def analyze(db) -> None:
    """As autovacuum would after a bulk load."""
    if db.engine.dialect.name == "postgresql":
        with db.engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")


def percentiles(timings: list[float]) -> tuple[float, float]:
    ordered = sorted(timings)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]


@contextmanager
def counting_statements(engine=None):
    """Counts the SQL statements sent while the block runs (a list, for its length);
    without `engine`, the app context's."""
    from sqlalchemy import event

    from app.extensions import db

    statements: list[str] = []

    def listener(_conn, _cursor, statement, *_args):
        statements.append(statement)

    engine = engine or db.engine
    event.listen(engine, "before_cursor_execute", listener)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", listener)


def measure(app, client, url: str, requests: int, headers=None) -> tuple[float, float, int, int]:
    """p50 and p95 in ms and the fewest and most SQL statements of `requests` GETs (after one warm-up)."""
    from app.extensions import db

    with app.app_context():
        engine = db.engine  # the request pushes its own context, as in production
    client.get(url, headers=headers or {})  # warm-up: first visits create rows and fill caches
    timings, counts = [], []
    for _ in range(requests):
        with counting_statements(engine) as statements:
            started = time.perf_counter()
            response = client.get(url, headers=headers or {})
            timings.append((time.perf_counter() - started) * 1000)
            counts.append(len(statements))
        assert response.status_code in (200, 204), (url, response.status_code)
    return (*percentiles(timings), min(counts), max(counts))


def timed(function, repeats: int) -> tuple[float, float, int]:
    """p50, p95 (ms) and statements of the last run, for a function run in an app context."""
    function()
    timings, count = [], 0
    for _ in range(repeats):
        with counting_statements() as statements:
            started = time.perf_counter()
            function()
            timings.append((time.perf_counter() - started) * 1000)
            count = len(statements)
    return (*percentiles(timings), count)


def statements_label(low: int, high: int) -> str:
    return str(low) if low == high else f"{low}-{high}"


def print_pages(app, client, pages: list[tuple], requests: int, width: int = 34) -> None:
    """pages: (label, url, headers or None); the trivial page goes first as the baseline."""
    print(f"\n{'request':{width}} {'p50 ms':>8} {'p95 ms':>8} {'SQL/request':>12}")
    for label, url, headers in [("baseline: trivial page (/help)", TRIVIAL_PAGE, None)] + pages:
        p50, p95, low, high = measure(app, client, url, requests, headers)
        print(f"{label:{width}} {p50:8.1f} {p95:8.1f} {statements_label(low, high):>12}")


def profile(client, url: str, top: int = 30) -> None:
    """One request under cProfile, heaviest cumulative first: where per-request work goes."""
    import cProfile
    import pstats

    client.get(url)
    profiler = cProfile.Profile()
    profiler.enable()
    response = client.get(url)
    profiler.disable()
    print(f"GET {url} -> {response.status_code}")
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(top)
