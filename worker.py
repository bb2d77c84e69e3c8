"""RQ worker: builds the app once and runs jobs inside its context, with
RQ's scheduler for delayed jobs and retries. `python worker.py [queues...]`"""
from __future__ import annotations

import sys

from redis import Redis
from rq import Queue

from app import create_app
from app.jobs.worker import AppContextWorker
from app.process import freeze_startup_heap


def main(argv: list[str]) -> None:
    app = create_app()
    redis_url = app.config.get("REDIS_URL")
    if not redis_url:
        raise SystemExit("REDIS_URL is not set: without Redis, jobs run inside the web process.")
    connection = Redis.from_url(redis_url)
    names = argv or [app.config["RQ_QUEUE_NAME"]]
    worker = AppContextWorker([Queue(name, connection=connection) for name in names], connection=connection)
    worker.flask_app = app
    freeze_startup_heap()  # before the first work horse is forked
    worker.work(with_scheduler=True)


if __name__ == "__main__":
    main(sys.argv[1:])
