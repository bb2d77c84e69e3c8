"""The dashboard load for a long time, counting gunicorn worker restarts (a
worker killed by SIGSEGV is restarted by the arbiter, and wrk alone would not
notice). Ends with exit status 1 when any worker was restarted.

    BENCH_DATABASE_URL=... BENCH_REDIS_URL=... \\
        .venv/bin/python bench/soak.py [--minutes 10] [--reuse-data] [--workers 2 --threads 4]
        [--worker-class gthread] [--preload]

Same data and settings as bench/http_load.py (the Procfile's gthread worker,
2 workers x 4 threads, wrk -c 16), one wrk run per --interval seconds so the
restarts are printed as they happen, with the reasons gunicorn logged.
--preload and --worker-class sync try the other configurations the SIGSEGV
investigation compares (see the Procfile and gunicorn.conf.py).
"""
from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.http_load import (  # noqa: E402
    Gunicorn, app_environment, log_in, parse_gunicorn_bench_arguments, prepare_database, wrk)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--interval", type=int, default=30, help="seconds per wrk run between restart checks")
    parser.add_argument("--calls", type=int, default=200_000)
    parser.add_argument("--worker-class", default="gthread")
    parser.add_argument("--preload", action="store_true", help="load the app in the arbiter before forking")
    args, database_url, redis_url = parse_gunicorn_bench_arguments(parser)
    email, large = prepare_database(database_url, args.calls, args.reuse_data)
    log_dir = Path(tempfile.mkdtemp(prefix="soak-"))
    extra = ["--preload"] if args.preload else []
    app = Gunicorn("wsgi:app", args.workers, args.threads, app_environment(database_url, redis_url), log_dir, "app",
                   worker_class=args.worker_class, extra=extra)
    print(f"soak: {args.minutes:g} min of the dashboard, gunicorn {args.worker_class} {args.workers} workers x "
          f"{args.threads} threads{' --preload' if args.preload else ''}, wrk -c {args.connections}; log {app.log}")
    try:
        browser, _ = log_in(app.url, email)
        url = f"{app.url}/businesses/{large}/dashboard"
        deadline = time.monotonic() + args.minutes * 60
        total_requests = 0.0
        seen = 0
        while time.monotonic() < deadline:
            seconds = max(1, min(args.interval, int(deadline - time.monotonic())))
            rate, errors = wrk(url, seconds, args.connections, browser)
            total_requests += rate * seconds
            booted, reasons = app.worker_restarts()
            restarts = max(0, booted - args.workers)
            print(f"  {time.strftime('%H:%M:%S')} {rate:8,.0f} req/s  errors {errors:6}  worker restarts so far: {restarts}",
                  flush=True)
            for line in reasons[seen:]:
                print("    " + line)
            seen = len(reasons)
        booted, reasons = app.worker_restarts()
        restarts = max(0, booted - args.workers)
        crashed = [line for line in reasons if re.search(r"SIGSEGV|signal 11", line)]
        print(f"\nsoak done: about {total_requests:,.0f} dashboard requests; worker restarts: {restarts}"
              f" ({len(crashed)} by SIGSEGV)")
    finally:
        app.stop()
    sys.exit(1 if restarts else 0)


if __name__ == "__main__":
    main()
