"""gunicorn settings that hold for every way it is started: gunicorn reads
./gunicorn.conf.py by itself, so the Procfile's `web` line and the benches
(bench/http_load.py, bench/soak.py, run from the repository root) get them.
The worker class, workers and threads stay on the Procfile's command line.

The SIGSEGV of issue 17 (a worker died in one of two dashboard loads) was
not reproduced by bench/soak.py here (see the figures in the closing note).
The known ways a worker of this stack dies by SIGSEGV are a libpq connection
(psycopg[binary] ships its own libpq and OpenSSL) opened before fork and then
used by two processes, or one connection used by two threads at once. The
configuration kept here and in the Procfile rules both out:

* the app is created in each worker after fork (no --preload, the default):
  no database connection, Redis connection or thread exists before fork;
* if --preload is ever turned on, `post_fork` below drops the pools the
  arbiter built without closing their sockets (SQLAlchemy's recipe for
  forked pools), so every worker opens its own connections;
* gthread threads share the worker's pool, which hands each thread its own
  connection (SQLAlchemy's QueuePool is thread-safe; psycopg connections
  are never shared between threads).

bench/soak.py runs the dashboard load for 10 minutes and prints worker
restarts (must be 0); `--preload` and `--worker-class sync` compare the
other configurations.
"""
import os
import sys

# The heartbeat file on tmpfs: on a busy disk, a slow heartbeat write can make the
# arbiter kill healthy workers as timed out (which the soak would count as restarts).
if os.path.isdir("/dev/shm"):
    worker_tmp_dir = "/dev/shm"


def post_fork(server, worker):
    """Forget database connections inherited from the arbiter (only with --preload)."""
    wsgi = sys.modules.get("wsgi")
    if wsgi is None or not hasattr(wsgi, "app"):
        return  # the app is loaded after fork: nothing was inherited
    from app.extensions import db

    with wsgi.app.app_context():
        for engine in db.engines.values():
            engine.dispose(close=False)
