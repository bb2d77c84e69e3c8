"""Background activity that makes the sandbox behave like a live business line."""
from __future__ import annotations

import logging
import threading
import time

from .call_generator import CallScheduler
from .campaigns import CampaignDialer
from .dials import DialWorker
from .idempotency import purge_expired
from .messages import advance_pending_messages
from .runtime import runtime
from .webhooks import WebhookDispatcher

log = logging.getLogger("fourcalls.sandbox.workers")

TICK_SECONDS = 0.1


class ActivityLoop(threading.Thread):
    """Inbound calls, campaign dialing and message delivery, on one steady tick."""

    def __init__(self, app):
        super().__init__(name="fourcalls-activity", daemon=True)
        self._app = app

    def run(self) -> None:
        with self._app.app_context():
            rt = runtime()
            calls, campaigns = CallScheduler(), CampaignDialer()
            steps = (("calls", calls.tick), ("campaigns", campaigns.tick), ("dials", DialWorker().tick),
                     ("messages", lambda now: advance_pending_messages()))
            while not rt.stopping.wait(TICK_SECONDS):
                now = time.monotonic()
                for name, step in steps:
                    try:
                        step(now)
                    except Exception:  # keep the line alive; the failure is in the log
                        log.exception("background %s step failed", name)


def start_workers(app) -> None:
    with app.app_context():
        purge_expired()
        rt = runtime()
    for worker in (ActivityLoop(app), WebhookDispatcher(app)):
        worker.start()
        rt.workers.append(worker)


def stop_workers(app) -> None:
    rt = app.extensions["fourcalls"]
    rt.stopping.set()
    rt.webhook_wakeup.set()
    for worker in rt.workers:
        worker.join(timeout=10)
