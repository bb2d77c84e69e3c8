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

# Each worker listens on its own SO_REUSEPORT socket, and the kernel spreads new
# connections across them. With one shared socket the gthread workers race to
# accept, and a worker that wins takes every connection it has room for: under
# bench/http_load.py's 16 persistent connections one worker then ran all of them
# (0.94 cores) while the other idled (0.04), halving throughput in most runs
# (a reverse proxy's keep-alive pool does the same). Trade-off: connections still
# waiting in a worker's own queue when it stops are reset, not handed to another
# worker (Linux migrates them only with net.ipv4.tcp_migrate_req=1), and a second
# gunicorn started by the same user on the same port shares it instead of failing
# with "address in use".
reuse_port = True


def post_fork(server, worker):
    """Forget database connections inherited from the arbiter (only with --preload)."""
    wsgi = sys.modules.get("wsgi")
    if wsgi is None or not hasattr(wsgi, "app"):
        return  # the app is loaded after fork: nothing was inherited
    from app.extensions import db

    with wsgi.app.app_context():
        for engine in db.engines.values():
            engine.dispose(close=False)


def when_ready(server):
    """With --preload the app was loaded here, in the arbiter: freeze its
    start-up heap once, before the workers are forked (they inherit it frozen,
    and a collection in each worker would write to every inherited page)."""
    if server.cfg.preload_app:
        from app.process import freeze_startup_heap

        freeze_startup_heap()


def post_worker_init(worker):
    """The app is loaded in this worker (no --preload): keep the collector off
    its start-up objects (app/process.py)."""
    if not worker.cfg.preload_app:
        from app.process import freeze_startup_heap

        freeze_startup_heap()
