"""Requests per second through gunicorn, as production serves them, beside a
hello-world Flask app on the same gunicorn settings in the same run.

    .venv/bin/python bench/http_load.py [--calls 200000] [--duration 10] [--connections 16] [--runs 3]

Needs wrk (`apt-get install wrk`), PostgreSQL and Redis. BENCH_DATABASE_URL
(default postgresql://postgres@127.0.0.1:5432/alphasite_bench, created and
wiped) and BENCH_REDIS_URL (default redis://127.0.0.1:6379/13) say where.

Builds the data of bench/dashboard.py (1,000 businesses; the large one with
--calls calls), starts gunicorn with the Procfile's worker class (gthread,
--workers x --threads), logs in, and drives each request with wrk:
the dashboard, the call log's first page and a filter, the live poll with
nothing new (204), and a duplicate signed Stripe webhook, each the median
of --runs fresh wrk runs (see wrk_median). Prints req/s, the
share of hello-world, non-2xx answers, the CPU milliseconds each request
cost the gunicorn workers (also as a multiple of hello-world's, the figure to
compare changes by: see CpuMeter) and PostgreSQL, and gunicorn worker restarts (a worker
that died, e.g. by SIGSEGV, is restarted by the arbiter). Figures are
printed, not asserted.
"""
from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.dashboard import PASSWORD, build_data  # noqa: E402
from sandbox.fourcalls.testing import free_port  # noqa: E402

WEBHOOK_SECRET = "whsec_bench_http_load"


def prepare_database(url: str, calls: int, reuse: bool = False) -> tuple[str, str]:
    """(owner email, large business slug).
    With `reuse`, data an earlier run built (same --calls) is kept."""
    import logging

    from app import create_app
    from app.config import TestingConfig
    from app.extensions import db
    from app.models import Business

    logging.disable(logging.WARNING)
    _create_database(url)
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=url, JOB_BACKEND="eager")
    with app.app_context():
        from sqlalchemy import func, select

        from app.models import Call

        large = "bench-business-0"
        business = db.session.query(Business).filter_by(slug=large).one_or_none() if reuse and _has_schema(db) else None
        if business is not None and db.session.scalar(
                select(func.count()).select_from(Call).where(Call.business_id == business.id)) == calls:
            email = business.owner.email
            print(f"reusing the {calls:,} calls built by an earlier run")
        else:
            db.drop_all()
            db.create_all()
            from app.packages.services import sync_catalog

            sync_catalog()
            started = time.perf_counter()
            email, large, _small = build_data(db, calls)
            print(f"built 1,000 businesses and {calls:,} calls (and their rollups) in {time.perf_counter() - started:.0f} s")
        db.session.remove()
        db.engine.dispose()
    _vacuum(url)
    return email, large


def _vacuum(url: str) -> None:
    """VACUUM ANALYZE, as autovacuum does in production after a bulk load (it
    may be off on a shared bench server): without it no page is all-visible,
    so index-only scans fetch every row from the heap and the figures are not
    those of a live database."""
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg", "postgresql"), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


def _has_schema(db) -> bool:
    from sqlalchemy import inspect

    return inspect(db.engine).has_table("businesses")


def _create_database(url: str) -> None:
    import psycopg

    base, _, name = url.rpartition("/")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


class Gunicorn:
    """gunicorn as the Procfile starts it (gunicorn.conf.py is read from the
    repository root), on a free port, logging to `log`."""

    def __init__(self, app_path: str, workers: int, threads: int, env: dict, log_dir: Path, name: str,
                 worker_class: str = "gthread", extra: list[str] | None = None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log_dir / f"{name}.log"
        command = [sys.executable, "-m", "gunicorn", app_path, "--workers", str(workers), "--threads", str(threads),
                   "--worker-class", worker_class, "--bind", f"127.0.0.1:{self.port}", "--error-logfile", str(self.log),
                   "--log-level", "info", *(extra or [])]
        self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self._wait()

    def _wait(self):
        import httpx

        deadline = time.monotonic() + 180  # a loaded machine imports the app slowly
        while time.monotonic() < deadline:
            try:
                httpx.get(self.url + "/", timeout=1)
                return
            except httpx.HTTPError:
                time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not start; see {self.log}")

    def worker_restarts(self) -> tuple[int, list[str]]:
        """Workers booted beyond the first ones, and the lines saying why."""
        text = self.log.read_text(errors="replace")
        booted = len(re.findall(r"Booting worker", text))
        reasons = [line for line in text.splitlines() if re.search(r"SIGSEGV|signal 11|SIGKILL|was sent|exited|Worker timeout", line)]
        return booted, reasons

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()


def app_environment(database_url: str, redis_url: str) -> dict:
    from cryptography.fernet import Fernet

    return dict(os.environ, APP_ENV="development", DATABASE_URL=database_url, REDIS_URL=redis_url,
                JOB_BACKEND="rq", RATELIMIT_STORAGE_URI=redis_url, SECRET_KEY="bench-secret-key",
                ENCRYPTION_KEYS=Fernet.generate_key().decode(), STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET,
                WEBHOOK_RATE_LIMIT="1000000 per minute", LOGIN_RATE_LIMIT="1000 per minute")


def log_in(base_url: str, email: str):
    """(the headers the logged-in browser sends on every request, the logged-in httpx client).

    The headers are its session cookie and its User-Agent. Flask-Login's session
    protection compares each request's User-Agent and address with the login's:
    a request without the login's User-Agent (wrk sends none) is taken for a
    copied cookie, its session marked not fresh and its cookie re-signed and
    re-sent on every answer, a cost no real browser's request pays."""
    import httpx

    client = httpx.Client(base_url=base_url)
    login_page = client.get("/login").text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', login_page).group(1)
    logged_in = client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token})
    assert logged_in.status_code in (302, 303), f"login failed: {logged_in.status_code}"
    cookie = "; ".join(f"{name}={value}" for name, value in client.cookies.items())
    return {"Cookie": cookie, "User-Agent": client.headers["User-Agent"]}, client


def live_poll_url(client, dashboard_url: str) -> str:
    """The live poll exactly as the open dashboard sends it: its signed token
    is fresh for FRESH_SECONDS (then the full view re-issues it), so it is
    read right before the poll is measured."""
    page = client.get(dashboard_url).text
    return dashboard_url + "/live?v=" + re.search(r'dashboard/live\?v=([^"&]+)', page).group(1)


def wrk(url: str, duration: int, connections: int, headers: dict | None = None, lua: Path | None = None) -> tuple[float, int]:
    """(requests per second, non-2xx/3xx answers plus socket errors and timeouts)."""
    # wrk's default 2 s timeout drops slow answers from the count on a loaded
    # machine; 30 s keeps them counted (and a timeout is reported as an error).
    command = ["wrk", "-t", "2", "-c", str(connections), "-d", f"{duration}s", "--timeout", "30s"]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    if lua:
        command += ["-s", str(lua)]
    output = subprocess.run(command + [url], capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    socket = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    return rate, (int(errors.group(1)) if errors else 0) + (sum(map(int, socket.groups())) if socket else 0)


def wrk_median(runs: int, url: str, duration: int, connections: int, headers: dict | None = None,
               lua: Path | None = None, fresh_url=None) -> tuple[float, float, float, int, float]:
    """(median, lowest and highest req/s of `runs` wrk runs, errors of all runs,
    requests answered in all runs).

    Why several runs: wrk opens its connections at once and keeps them, and
    gunicorn's gthread workers race to accept them. In about one run in three
    one worker wins all 16 and the other idles (measured: 0.94 and 0.04 cores),
    which halves that run's rate whatever the code. A median of fresh runs is
    the rate the code gets, not the luck of one accept race."""
    import statistics

    rates, errors = [], 0
    for _ in range(runs):
        rate, failed = wrk(fresh_url() if fresh_url else url, duration, connections, headers, lua)
        rates.append(rate)
        errors += failed
    return statistics.median(rates), min(rates), max(rates), errors, sum(rates) * duration


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process has used so far (Linux /proc); 0 once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


class CpuMeter:
    """CPU per request of the gunicorn workers and of the PostgreSQL server
    over a measurement. The machine's own speed moves from run to run (here
    hello-world cost 0.25 to 0.34 ms of CPU a request), so the app's figure is
    also given as a multiple of hello-world's, measured in the same run: that
    ratio held within a few percent across runs whose req/s moved by a third,
    so it is the figure to compare a change by. The server's figure counts
    all of PostgreSQL on this machine (nothing else uses it during a bench);
    a process started during the measurement (a new connection's backend)
    counts from zero."""

    def __init__(self, gunicorn: "Gunicorn"):
        self.gunicorn = gunicorn

    def _readings(self) -> tuple[dict, dict]:
        def pgrep(*args):
            found = subprocess.run(["pgrep", *args], capture_output=True, text=True).stdout.split()
            return {int(pid): _cpu_seconds(int(pid)) for pid in found}

        return pgrep("-P", str(self.gunicorn.process.pid)), pgrep("-x", "postgres")

    def __enter__(self):
        self.started = self._readings()
        return self

    def __exit__(self, *exc):
        self.used = tuple(sum(seconds - before.get(pid, 0.0) for pid, seconds in now.items())
                          for now, before in zip(self._readings(), self.started))

    def app_ms(self, requests: float) -> float:
        return self.used[0] / requests * 1000 if requests else 0.0

    def per_request_ms(self, requests: float, hello_ms: float | None = None) -> str:
        """"app 12.0 ms (48x hello) + db 4.0 ms": CPU milliseconds a request cost
        the workers (and as a multiple of hello-world's) and the database."""
        if not requests:
            return ""
        app, server = self.app_ms(requests), self.used[1] / requests * 1000
        multiple = f" ({app / hello_ms:.0f}x hello)" if hello_ms else ""
        return f"app {app:5.2f} ms{multiple} + db {server:4.2f} ms"


def signed_stripe_event() -> tuple[str, str]:
    event = {"id": "evt_bench_duplicate", "object": "event", "type": "invoice.paid", "api_version": "2026-10-28",
             "created": int(time.time()), "data": {"object": {"id": "in_bench", "object": "invoice", "customer": "cus_bench", "subscription": None}}}
    payload = json.dumps(event)
    timestamp = int(time.time())
    signature = hmac.new(WEBHOOK_SECRET.encode(), f"{timestamp}.{payload}".encode(), hashlib.sha256).hexdigest()
    return payload, f"t={timestamp},v1={signature}"


def unique_fourcalls_events_script(path: Path, count: int, threads: int = 2) -> None:
    """A wrk script that posts `count` distinct signed 4calls events, each wrk
    thread its own share, so no request is a duplicate of another."""
    from app.config import SANDBOX_DEFAULTS

    secret = os.environ.get("FOURCALLS_WEBHOOK_SECRET") or SANDBOX_DEFAULTS["FOURCALLS_WEBHOOK_SECRET"]
    timestamp = int(time.time())
    bodies, signatures = [], []
    for index in range(count):
        body = json.dumps({"id": f"evt_bench_{timestamp}_{index}", "type": "contact.updated",
                           "organization_id": "org_bench", "created_at": timestamp,
                           "data": {"id": f"ct_{index}", "name": "Bench Contact"}})
        digest = hmac.new(secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256).hexdigest()
        bodies.append(json.dumps(body))
        signatures.append(json.dumps(f"t={timestamp},v1={digest}"))
    share = count // threads
    path.write_text(
        "local bodies = {" + ",".join(bodies) + "}\n"
        "local signatures = {" + ",".join(signatures) + "}\n"
        "local counter = 0\n"
        "local next_id = 0\n"
        "function setup(thread) thread:set('offset', next_id * " + str(share) + "); next_id = next_id + 1 end\n"
        "function init(args) base = tonumber(wrk.thread:get('offset')) end\n"
        "function request()\n"
        "  counter = counter + 1\n"
        "  local k = base + ((counter - 1) % " + str(share) + ") + 1\n"
        "  return wrk.format('POST', '/webhooks/fourcalls', {['Content-Type'] = 'application/json',"
        " ['X-FourCalls-Signature'] = signatures[k]}, bodies[k])\n"
        "end\n"
    )


def stored_webhook_events(database_url: str) -> int:
    import psycopg

    with psycopg.connect(database_url.replace("postgresql+psycopg", "postgresql")) as conn:
        return conn.execute("SELECT count(*) FROM webhook_events WHERE source = 'fourcalls'").fetchone()[0]


def parse_gunicorn_bench_arguments(parser) -> tuple:
    """The settings every gunicorn bench shares: (args, database URL, Redis URL)."""
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--reuse-data", action="store_true", help="keep the data of an earlier run with the same --calls")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: apt-get install wrk")
    return (args, os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/alphasite_bench"),
            os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13"))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=200_000)
    parser.add_argument("--duration", type=int, default=10, help="seconds per request kind")
    parser.add_argument("--unique-events", type=int, default=40_000, help="distinct webhook events prepared")
    parser.add_argument("--runs", type=int, default=3, help="wrk runs per request kind; the median is printed")
    args, database_url, redis_url = parse_gunicorn_bench_arguments(parser)
    email, large = prepare_database(database_url, args.calls, args.reuse_data)

    log_dir = Path(tempfile.mkdtemp(prefix="http-load-"))
    env = app_environment(database_url, redis_url)
    hello = Gunicorn("bench.hello_wsgi:app", args.workers, args.threads, env, log_dir, "hello")
    app = Gunicorn("wsgi:app", args.workers, args.threads, env, log_dir, "app")
    try:
        session, client = log_in(app.url, email)
        payload, signature = signed_stripe_event()
        first = client.post("/webhooks/stripe", content=payload,
                            headers={"Stripe-Signature": signature, "Content-Type": "application/json"})
        assert first.status_code < 500, first.text
        lua = log_dir / "webhook.lua"
        lua.write_text(
            'wrk.method = "POST"\n'
            f"wrk.body = {json.dumps(payload)}\n"
            'wrk.headers["Content-Type"] = "application/json"\n'
            f'wrk.headers["Stripe-Signature"] = "{signature}"\n'
        )
        htmx = dict(session, **{"HX-Request": "true"})
        base = f"{app.url}/businesses/{large}"
        live = "(live poll)"
        kinds = [
            ("dashboard", f"{base}/dashboard", session, None, 200),
            ("call log, first page", f"{base}/calls", session, None, 200),
            ("call log, status filter", f"{base}/calls?status=missed&direction=inbound", htmx, None, 200),
            ("live poll, nothing new (204)", live, htmx, None, 204),
            ("duplicate signed Stripe webhook", f"{app.url}/webhooks/stripe", None, lua, None),
        ]
        # Issue 17's targets, as shares of hello-world (the req/s targets assume ~9,400 req/s of hello-world).
        targets = {"dashboard": ">= 300 req/s, 3 %", "call log, first page": ">= 500 req/s",
                   "call log, status filter": ">= 500 req/s", "live poll, nothing new (204)": ">= 2,000 req/s, 20 %"}
        for name, url, headers, script, expected in kinds:  # wrk counts any answer: check each is as intended
            if expected is not None and url != live:
                status = client.get(url, headers=headers).status_code
                assert status == expected, f"{name}: {status}"
        if args.duration > 40:
            print("note: the live poll's token is fresh for 60 s; keep --duration under 40 to measure only its fast path")
        with CpuMeter(hello) as hello_cpu:
            baseline, low, high, _, answered = wrk_median(args.runs, hello.url + "/", args.duration, args.connections)
        print(f"\ngunicorn gthread, {args.workers} workers x {args.threads} threads; wrk -c {args.connections}, "
              f"{args.duration} s a run, median of {args.runs} runs (range after it); {args.calls:,} calls in the large business")
        print(f"{'request':34} {'req/s':>9} {'range':>15} {'of hello-world':>15} {'errors':>8}  {'CPU per request':36}  target")
        print(f"{'hello-world Flask app':34} {baseline:9,.0f} {f'{low:,.0f}-{high:,.0f}':>15} {'100.0 %':>15} {0:8}"
              f"  {hello_cpu.per_request_ms(answered):36}")
        hello_ms = hello_cpu.app_ms(answered)
        for name, url, headers, script, _expected in kinds:
            fresh_url = None
            if url == live:
                def fresh_url():  # the live poll's token, read again before each run (fresh for 60 s)
                    poll = live_poll_url(client, f"{base}/dashboard")
                    assert client.get(poll, headers=headers).status_code == 204, name
                    return poll
            with CpuMeter(app) as cpu:
                rate, low, high, errors, answered = wrk_median(args.runs, url, args.duration, args.connections, headers,
                                                               script, fresh_url=fresh_url)
            print(f"{name:34} {rate:9,.0f} {f'{low:,.0f}-{high:,.0f}':>15} {rate / baseline * 100:13.1f} % {errors:8}"
                  f"  {cpu.per_request_ms(answered, hello_ms):36}  {targets.get(name, '')}")
        # Unique signed 4calls events: what is stored (deduplicated, enqueued) per second.
        unique = log_dir / "unique_events.lua"
        unique_fourcalls_events_script(unique, args.unique_events)
        before = stored_webhook_events(database_url)
        started = time.perf_counter()
        rate, errors = wrk(f"{app.url}/webhooks/fourcalls", args.duration, args.connections, None, unique)
        elapsed = time.perf_counter() - started
        stored = stored_webhook_events(database_url) - before
        print(f"{'unique signed 4calls webhooks':34} {rate:9,.0f} {rate / baseline * 100:13.1f} % {errors:8}")
        print(f"  {stored:,} distinct events stored in {elapsed:.1f} s: {stored / elapsed:,.0f} events/s accepted"
              f" (of {args.unique_events:,} prepared; none may be lost: stored = requests answered 200)")
        booted, reasons = app.worker_restarts()
        print(f"\ngunicorn workers booted: {booted} (started with {args.workers}); restarts: {max(0, booted - args.workers)}")
        for line in reasons[:10]:
            print("  " + line)
    finally:
        app.stop()
        hello.stop()


if __name__ == "__main__":
    main()
