"""Where one view's CPU goes: cProfile over N requests of a page, in process,
on the data bench/http_load.py built (run it once first, or with --reuse-data).

    BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/alphasite_bench \\
        .venv/bin/python bench/profile_view.py [--path dashboard] [--requests 200] [--top 30]

--path is relative to /businesses/<large business>/ ("dashboard", "calls",
"calls?status=missed&direction=inbound"), or absolute ("/businesses/mine"). Prints ms per request, SQL
statements per request, and the functions with the most cumulative and own
time. For a live gunicorn worker, `py-spy top --pid <worker pid>` (pip
install py-spy; see requirements-dev.txt) shows the same without cProfile's overhead.
"""
from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.dashboard import PASSWORD  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--path", default="dashboard")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--htmx", action="store_true", help="send HX-Request (fragments)")
    parser.add_argument("--sql", action="store_true", help="also list each statement of one request with its time")
    parser.add_argument("--cpu", action="store_true",
                        help="profile this process's CPU time, not wall time (waits on the database drop out)")
    args = parser.parse_args()

    import logging

    from sqlalchemy import event

    from app import create_app
    from app.config import TestingConfig
    from app.extensions import db

    logging.disable(logging.WARNING)
    url = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/alphasite_bench")
    redis_url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=url, REDIS_URL=redis_url, JOB_BACKEND="eager",
                     WTF_CSRF_ENABLED=False)
    client = app.test_client()
    with app.app_context():
        from app.models import Business

        business = db.session.query(Business).filter_by(slug="bench-business-0").one()
        email = business.owner.email
        db.session.remove()
    assert client.post("/login", data={"email": email, "password": PASSWORD}).status_code in (302, 303)
    # An absolute path ("/businesses/mine") is taken as it is: a page outside the business, for comparison.
    target = args.path if args.path.startswith("/") else f"/businesses/bench-business-0/{args.path}"
    headers = {"HX-Request": "true"} if args.htmx else {}
    for _ in range(5):  # warm-up: templates compiled, pool filled
        assert client.get(target, headers=headers).status_code in (200, 204)
    # CPU of this process per request without the profiler (the database's own CPU is not in it).
    cpu_started, wall_started = time.process_time(), time.perf_counter()
    for _ in range(args.requests):
        client.get(target, headers=headers)
    cpu_ms = (time.process_time() - cpu_started) / args.requests * 1000
    wall_ms = (time.perf_counter() - wall_started) / args.requests * 1000
    print(f"{target}: {cpu_ms:.1f} ms of app CPU, {wall_ms:.1f} ms wall per request (no profiler)")
    with app.app_context():
        engine = db.engine
    statements = []
    listener = lambda *a: statements.append(1)  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    profile = cProfile.Profile(time.process_time) if args.cpu else cProfile.Profile()
    started = time.perf_counter()
    profile.enable()
    for _ in range(args.requests):
        client.get(target, headers=headers)
    profile.disable()
    elapsed = time.perf_counter() - started
    event.remove(engine, "before_cursor_execute", listener)
    # Function calls are counted, not timed: the one figure here this shared machine's load does not move.
    calls = pstats.Stats(profile).total_calls / args.requests
    print(f"{target}: {elapsed / args.requests * 1000:.1f} ms per request (under cProfile),"
          f" {len(statements) / args.requests:.1f} SQL statements and {calls:,.0f} Python function calls per request")
    if args.sql:
        timings = []

        def before(conn, cursor, statement, parameters, context, executemany):
            conn.info["started"] = time.perf_counter()

        def after(conn, cursor, statement, parameters, context, executemany):
            timings.append(((time.perf_counter() - conn.info["started"]) * 1000, " ".join(statement.split())))

        event.listen(engine, "before_cursor_execute", before)
        event.listen(engine, "after_cursor_execute", after)
        client.get(target, headers=headers)
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)
        for elapsed_ms, statement in timings:
            print(f"{elapsed_ms:7.2f} ms  {statement[:150]}  ...{statement[-120:]}")
    if os.environ.get("PROFILE_DUMP"):
        profile.dump_stats(os.environ["PROFILE_DUMP"])
    for order in ("cumulative", "tottime"):
        out = io.StringIO()
        pstats.Stats(profile, stream=out).sort_stats(order).print_stats(args.top)
        print(out.getvalue().split("\n", 6)[-1][:6000])


if __name__ == "__main__":
    main()
