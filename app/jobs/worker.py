"""RQ workers that run each job inside the Flask app context."""
from __future__ import annotations

from rq import SimpleWorker, Worker

from app.extensions import db


class _AppContextMixin:
    flask_app = None

    def perform_job(self, job, queue):
        with self.flask_app.app_context():
            try:
                return super().perform_job(job, queue)
            finally:
                db.session.remove()


class AppContextWorker(_AppContextMixin, Worker):
    def perform_job(self, job, queue):
        # perform_job runs in the forked work horse: pooled connections
        # inherited from the parent must not be shared with it.
        with self.flask_app.app_context():
            db.engine.dispose(close=False)
        return super().perform_job(job, queue)


class AppContextSimpleWorker(_AppContextMixin, SimpleWorker):
    pass
