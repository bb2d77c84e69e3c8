from app.jobs.after_commit import after_commit, enqueue_after_commit
from app.jobs.queue import enqueue, get_queue

__all__ = ["after_commit", "enqueue", "enqueue_after_commit", "get_queue"]
