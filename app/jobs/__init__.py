from app.jobs.queue import enqueue, get_queue

__all__ = ["enqueue", "get_queue"]
