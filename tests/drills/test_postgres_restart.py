"""Fault drill: PostgreSQL restarts under the app. Requests during the outage
answer 503 (never a crash page that needs the database), and the app recovers
by itself afterwards: dead pooled connections are replaced (app/idle_ping.py). The drill
runs its own PostgreSQL cluster on a free port, never the machine's."""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from app import create_app
from app.config import TestingConfig
from app.extensions import db
from sandbox.fourcalls.testing import free_port

PG_BIN = next((Path(p) for p in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)), None) \
    if Path("/usr/lib/postgresql").exists() else None

pytestmark = pytest.mark.skipif(
    PG_BIN is None or os.geteuid() != 0 or shutil.which("runuser") is None,
    reason="needs PostgreSQL's binaries and root to run a private cluster as the postgres user",
)


class PrivateCluster:
    def __init__(self, directory: Path):
        self.directory = directory
        self.data = directory / "data"
        self.port = free_port()

    def _as_postgres(self, *args, check=True):
        return subprocess.run(["runuser", "-u", "postgres", "--", *map(str, args)], check=check,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)

    def init(self):
        self.directory.mkdir(parents=True, exist_ok=True)
        shutil.chown(self.directory, "postgres")
        self._as_postgres(PG_BIN / "initdb", "-D", self.data, "-A", "trust", "-U", "postgres")

    def pg_ctl(self, action):
        self._as_postgres(PG_BIN / "pg_ctl", "-D", self.data, "-w", "-t", "60", "-o",
                          f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1", "-l",
                          self.directory / "log", action)

    @property
    def url(self):
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"


@pytest.fixture
def cluster():
    # Not under pytest's tmp dir: that is private to root, and the cluster runs as postgres.
    directory = Path(tempfile.mkdtemp(prefix="alphasite-pgdrill-"))
    directory.chmod(0o755)
    pg = PrivateCluster(directory / "cluster")
    pg.init()
    pg.pg_ctl("start")
    yield pg
    pg._as_postgres(PG_BIN / "pg_ctl", "-D", pg.data, "-m", "immediate", "stop", check=False)
    shutil.rmtree(directory, ignore_errors=True)


def test_the_app_answers_503_while_postgres_is_down_and_recovers_without_a_restart(cluster, monkeypatch):
    # The configuration production uses: a connection idle for a second is pinged at checkout (app/idle_ping.py).
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=cluster.url, JOB_BACKEND="eager")
    assert not app.config["SQLALCHEMY_ENGINE_OPTIONS"].get("pool_pre_ping")
    assert app.config["DATABASE_PING_AFTER_IDLE_SECONDS"] == 1
    with app.app_context():
        db.create_all()
        from app.packages.services import sync_catalog

        sync_catalog()
    client = app.test_client()
    # The directory reads the database: a page that needs it on every view.
    assert client.get("/directory").status_code == 200

    cluster.pg_ctl("stop")
    down = client.get("/directory")
    assert down.status_code == 503 and down.headers["Retry-After"] == "5"
    assert client.get("/healthz").status_code in (200, 503)

    cluster.pg_ctl("start")
    # The failed request's disconnect made SQLAlchemy drop every pooled connection: new ones, no restart needed.
    for _ in range(3):
        assert client.get("/directory").status_code == 200

    # A restart nobody saw: the pooled connection died while idle. Its checkout
    # pings it (it sat longer than a second: the clock is moved, not slept),
    # and the pool replaces it before the request uses it.
    cluster.pg_ctl("restart")
    from app import idle_ping

    later = idle_ping._now() + 5
    monkeypatch.setattr(idle_ping, "_now", lambda: later)
    assert client.get("/directory").status_code == 200
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
