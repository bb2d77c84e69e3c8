"""What a long-lived process (a gunicorn worker, an RQ worker) does once its
app is built, before it serves its first request or job."""
from __future__ import annotations

import gc


def freeze_startup_heap() -> None:
    """Move every object alive after start-up into the garbage collector's
    permanent generation, where no collection traverses it.

    Why: after `create_app` a process holds ~200,000 tracked objects (modules,
    SQLAlchemy's metadata and mappers, compiled templates) that live as long
    as it does. Each full collection walked them all: a sync of 10,000 calls
    ran two or three of about 130 ms each, 10-15 % of its time, and a page
    view pays the same walk whenever its allocations tip a full collection.
    Frozen objects are also never written by the collector, so a work horse
    RQ forks from the worker keeps sharing their memory pages.

    Collect first, so that start-up garbage is freed rather than frozen. Call
    this from process entry points only, never from `create_app`: tests and
    commands build many apps in one process, and freezing one would keep it
    alive for good."""
    gc.collect()
    gc.freeze()
