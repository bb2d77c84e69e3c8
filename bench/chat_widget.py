"""The chat widget's weight and speed.

    .venv/bin/python bench/chat_widget.py [--runs 30]

1. First load: the widget page, its CSS and its JS as a browser fetches them
   from a running app, each gzip-compressed (target: under 30 KB in all).
2. Time to first streamed words: from sending a visitor message to the first
   `token` event arriving through the app's SSE route, next to the same
   question sent straight to the 4calls sandbox's chat endpoint (the
   baseline, measured in the same run, interleaved), so the figure shows what
   AlphaSite adds on top of 4calls' own latency.

Starts the 4calls sandbox and the app (on a scratch SQLite file) on free ports.
"""
from __future__ import annotations

import argparse
import gzip
import logging
import os
import re
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

QUESTION = "What services do you offer?"


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def first_token_seconds(started: float, response_lines) -> float | None:
    """Seconds from `started` to the first token event; reads the stream to its end."""
    first, failed = None, False
    for line in response_lines:
        if first is None and line.startswith("event: token"):
            first = time.perf_counter() - started
        failed = failed or line.startswith("event: error")
    return None if failed else first


def build_app(data_dir: Path, fourcalls_url: str):
    from app import create_app
    from app.config import TestingConfig
    from app.extensions import db
    from app.models import Business, User
    from tests.chat_helpers import provision_chat

    app = create_app(
        TestingConfig, SQLALCHEMY_DATABASE_URI=f"sqlite:///{data_dir / 'bench.sqlite3'}",
        FOURCALLS_API_URL=fourcalls_url, CHAT_RATE_LIMIT_PER_VISITOR="10000 per minute",
        CHAT_RATE_LIMIT_PER_IP="10000 per minute", JOB_BACKEND="in-process",
    )
    with app.app_context():
        db.create_all()
        from app.packages.services import sync_catalog

        sync_catalog()
        owner = User(email="bench-owner@example.com", name="Bench Owner")
        owner.set_password("bench-owner-password")
        db.session.add(owner)
        db.session.flush()
        business = Business(name="Bench Bistro", slug="bench-bistro", category="Restaurant", owner_id=owner.id,
                            services=["Dine-in", "Takeaway"], opening_hours={}, faq=[])
        from app.models.base import utcnow

        business.claimed_at = utcnow()
        db.session.add(business)
        db.session.commit()
        organization = provision_chat(business)
        from app.chat.widgets import widget_for

        key = widget_for(business).public_key
        coordinator_id = business.integration.coordinator_id
    return app, key, organization["api_key"], coordinator_id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    os.environ.setdefault("APP_ENV", "testing")
    logging.getLogger("werkzeug").setLevel(logging.WARNING)

    from sandbox.fourcalls.testing import free_port, running_fourcalls

    with tempfile.TemporaryDirectory() as scratch, running_fourcalls(
        Path(scratch) / "fourcalls", chat_token_delay_ms=35, quiet=True
    ) as fourcalls:
        app, key, org_key, coordinator_id = build_app(Path(scratch), fourcalls.url)
        port = free_port()
        server = make_server("127.0.0.1", port, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{port}"
        try:
            with httpx.Client(timeout=30) as http:
                report_size(http, base, key)
                report_latency(http, base, key, fourcalls, org_key, coordinator_id, args.runs)
        finally:
            server.shutdown()


def report_size(http: httpx.Client, base: str, key: str) -> None:
    page = http.get(f"{base}/widget/{key}")
    assets = re.findall(r'(?:href|src)="(/static/[^"]+)"', page.text)
    parts = [(f"/widget/{key}", page.content)] + [(path, http.get(base + path).content) for path in assets]
    print("Widget first load (gzip -6 of each response):")
    raw_total = zipped_total = 0
    for path, body in parts:
        zipped = len(gzip.compress(body, compresslevel=6))
        raw_total += len(body)
        zipped_total += zipped
        print(f"  {path:<48} {len(body):>7,} B raw {zipped:>7,} B gzip")
    verdict = "within" if zipped_total < 30 * 1024 else "OVER"
    print(f"  {'total':<48} {raw_total:>7,} B raw {zipped_total:>7,} B gzip "
          f"({zipped_total / 1024:.1f} KB, {verdict} the 30 KB budget)\n")


def report_latency(http, base, key, fourcalls, org_key, coordinator_id, runs: int) -> None:
    through_app, direct = [], []
    direct_url = f"{fourcalls.api_base}/coordinators/{coordinator_id}/chat"
    for _ in range(runs):
        http.cookies.clear()
        token = re.search(r'data-token="([^"]+)"', http.get(f"{base}/widget/{key}").text).group(1)
        started = time.perf_counter()
        with http.stream("POST", f"{base}/widget/{key}/messages", json={"text": QUESTION},
                         headers={"X-Widget-Token": token}) as response:
            seconds = first_token_seconds(started, response.iter_lines())
        if seconds is not None:
            through_app.append(seconds * 1000)
        started = time.perf_counter()
        with http.stream("POST", direct_url, json={"message": QUESTION},
                         headers={"Authorization": f"Bearer {org_key}", "Accept": "text/event-stream"}) as response:
            seconds = first_token_seconds(started, response.iter_lines())
        if seconds is not None:
            direct.append(seconds * 1000)
    print(f"Time to first streamed words over {runs} questions (ms):")
    for label, values in (("4calls sandbox directly (baseline)", direct), ("through the widget route", through_app)):
        print(f"  {label:<36} median {statistics.median(values):7.1f}   p95 {percentile(values, 0.95):7.1f}"
              f"   ({len(values)} ok)")
    overhead = statistics.median(through_app) - statistics.median(direct)
    ratio = statistics.median(through_app) / statistics.median(direct)
    print(f"  AlphaSite adds {overhead:.1f} ms at the median ({ratio:.2f}x the sandbox's own latency).")


if __name__ == "__main__":
    main()
