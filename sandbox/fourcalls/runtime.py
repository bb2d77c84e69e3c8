"""The sandbox's shared state: options, store, faults, randomness, workers."""
from __future__ import annotations

import random
import secrets
import threading
import time
from dataclasses import dataclass, field

from flask import current_app

from .faults import FaultInjector
from .options import SandboxOptions
from .storage import Store


@dataclass
class SandboxRuntime:
    options: SandboxOptions
    store: Store
    faults: FaultInjector
    rng: random.Random
    started_monotonic: float = field(default_factory=time.monotonic)
    stopping: threading.Event = field(default_factory=threading.Event)
    # Set after a write that the background workers should look at promptly.
    webhook_wakeup: threading.Event = field(default_factory=threading.Event)
    workers: list = field(default_factory=list)

    def uptime_seconds(self) -> float:
        return time.monotonic() - self.started_monotonic


def runtime() -> SandboxRuntime:
    return current_app.extensions["fourcalls"]


def new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(8)}"


def new_record(prefix: str, organization_id: str | None = None) -> dict:
    """id and timestamps of a new resource; call inside store.transaction()."""
    stamp = runtime().store.stamp()
    record = {"id": new_id(prefix)}
    if organization_id is not None:
        record["organization_id"] = organization_id
    record.update({"created_at": stamp, "updated_at": stamp})
    return record
