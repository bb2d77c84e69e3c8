"""Shared fixtures, flaskr style: `app`, `client`, `auth`, and model factories.

The suite runs on SQLite by default and on PostgreSQL + Redis when
TEST_DATABASE_URL / TEST_REDIS_URL are set (see the Makefile).
"""
from __future__ import annotations

import os

import pytest
from sqlalchemy import text

from app import create_app
from app.config import TestingConfig
from app.extensions import db, limiter
from tests import factories as factories_module
from tests.factories import make_business, make_user  # noqa: F401  (imported from here by older tests)


def _give_this_worker_its_own_databases() -> None:
    """Under pytest-xdist each worker process gets its own PostgreSQL databases
    (name suffixed with the worker id), created on first use; SQLite files are
    per-worker already (tmp paths)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return
    names = ("TEST_DATABASE_URL", "TEST_BROWSER_DATABASE_URL", "TEST_MIGRATIONS_DATABASE_URL")
    urls = {name: os.environ[name] for name in names if os.environ.get(name, "").startswith("postgres")}
    if not urls:
        return
    import psycopg

    admin_url = os.environ.get("PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/test")
    with psycopg.connect(admin_url, autocommit=True) as conn:
        for name, url in urls.items():
            base, _, database = url.rpartition("/")
            database = f"{database}_{worker}"
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,)).fetchone():
                conn.execute(f'CREATE DATABASE "{database}"')
            os.environ[name] = f"{base}/{database}"


_give_this_worker_its_own_databases()


@pytest.fixture(scope="session")
def _schema_app(tmp_path_factory):
    """One app per session creates the schema once; each test then starts clean.
    SQLite runs on a file so requests and tests use separate connections, as in production."""
    database_url = os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=database_url)
    with app.app_context():
        db.drop_all()
        db.create_all()
    yield app
    with app.app_context():
        db.session.remove()
        db.drop_all()


def _clean_tables(app):
    with app.app_context():
        db.session.remove()
        tables = list(reversed(db.metadata.sorted_tables))
        with db.engine.begin() as conn:
            if db.engine.dialect.name == "postgresql":
                # TRUNCATE of every table costs ~250 ms a test on PostgreSQL; most
                # tests touch a handful of tables, so find those in one query and
                # delete only their rows (children first; no table has a sequence).
                probe = " UNION ALL ".join(
                    f"SELECT {index} WHERE EXISTS (SELECT 1 FROM {table.name})" for index, table in enumerate(tables))
                filled = {index for (index,) in conn.execute(text(probe))}
                tables = [table for index, table in enumerate(tables) if index in filled]
            for table in tables:
                conn.execute(table.delete())


@pytest.fixture
def app(_schema_app):
    app = _schema_app
    _clean_tables(app)
    limiter.reset()
    queue = app.extensions["job_queue"]
    if hasattr(queue, "pending"):
        queue.clear()
    elif queue.backend == "rq":
        queue.queue.empty()
        # Delayed jobs (a webhook's follow-up sync) wait outside the queue.
        scheduled = queue.queue.scheduled_job_registry
        for job_id in scheduled.get_job_ids():
            scheduled.remove(job_id, delete_job=True)
    with app.app_context():
        from app.packages.services import sync_catalog

        sync_catalog()
    # Tests and fixtures may change the shared app's config; each test starts from the same config.
    saved_config = dict(app.config)
    ctx = app.test_request_context()
    ctx.push()
    yield app
    db.session.remove()
    ctx.pop()
    app.config.clear()
    app.config.update(saved_config)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def csrf_client(app):
    """A client that must send real CSRF tokens, for the CSRF tests."""
    app.config["WTF_CSRF_ENABLED"] = True
    yield app.test_client()


@pytest.fixture(autouse=True)
def _csrf_off_by_default(request):
    # Most tests post forms directly; CSRF has its own tests with it enabled.
    if "app" in request.fixturenames or "client" in request.fixturenames:
        app = request.getfixturevalue("_schema_app")
        app.config["WTF_CSRF_ENABLED"] = False
        yield
        app.config["WTF_CSRF_ENABLED"] = True
    else:
        yield


@pytest.fixture
def factories():
    class Factories:
        user = staticmethod(make_user)
        business = staticmethod(make_business)
        integration = staticmethod(factories_module.make_integration)
        coordinator = staticmethod(factories_module.make_coordinator)
        contact = staticmethod(factories_module.make_contact)
        call = staticmethod(factories_module.make_call)
        appointment = staticmethod(factories_module.make_appointment)
        billing_account = staticmethod(factories_module.make_billing_account)

    return Factories


class AuthActions:
    def __init__(self, client):
        self._client = client

    def login(self, email, password="correct-horse-battery"):
        return self._client.post("/login", data={"email": email, "password": password})

    def logout(self):
        return self._client.post("/logout")


@pytest.fixture
def auth(client):
    return AuthActions(client)


@pytest.fixture
def owner(app):
    return make_user(email="owner@example.com")


@pytest.fixture
def logged_in_owner(client, auth, owner):
    auth.login(owner.email)
    return owner


@pytest.fixture
def run_jobs(app):
    """Run everything queued so far, as a worker would."""
    def _run():
        return app.extensions["job_queue"].drain()

    return _run


def pytest_collection_modifyitems(config, items):
    """Files holding a `slow` test go first. pytest-xdist (--dist loadfile) hands
    out files in collection order, so the long ones start at once and run
    beside the rest, instead of one worker running them alone at the end."""
    slow_files = {item.path for item in items if item.get_closest_marker("slow")}
    items.sort(key=lambda item: item.path not in slow_files)


def pytest_report_header(config):
    return f"database: {os.environ.get('TEST_DATABASE_URL', 'sqlite (in memory)')}; redis: {os.environ.get('TEST_REDIS_URL', 'none (eager jobs)')}"


@pytest.fixture
def clock():
    """An injected clock: `clock.set(datetime)` freezes the app's time, `clock.advance(...)` moves it.
    Tests never sleep to make time pass."""
    from datetime import datetime, timedelta, timezone

    from app import clock as app_clock

    class Clock:
        now = datetime(2027, 3, 3, 18, 0, tzinfo=timezone.utc)

        def set(self, moment):
            self.now = moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)

        def advance(self, **delta):
            self.now = self.now + timedelta(**delta)

    frozen = Clock()
    app_clock.set_clock(lambda: frozen.now)
    yield frozen
    app_clock.reset_clock()


@pytest.fixture
def app_config(app, monkeypatch):
    """Change the shared app's config for one test: `app_config(KEY=value, ...)`.
    monkeypatch puts every value back afterwards."""
    def set_config(**values):
        for key, value in values.items():
            monkeypatch.setitem(app.config, key, value)

    return set_config


@pytest.fixture(scope="module")
def fourcalls(tmp_path_factory):
    """A stateful 4calls sandbox shared by a module's tests. A module that needs
    other sandbox options (dial length, seed) defines its own `fourcalls`."""
    from sandbox.fourcalls.testing import running_fourcalls

    with running_fourcalls(tmp_path_factory.mktemp("fourcalls")) as sandbox:
        yield sandbox


@pytest.fixture
def use_fourcalls(app_config, fourcalls):
    """Point the app at the module's sandbox: `use_fourcalls(FOURCALLS_MAX_ATTEMPTS=1, ...)`.
    Config comes back and injected faults are cleared after the test."""
    def point(**overrides):
        app_config(FOURCALLS_API_URL=fourcalls.url, **overrides)
        return fourcalls

    yield point
    fourcalls.clear_faults()


@pytest.fixture
def marks(app):
    """The app's live-feed mark store (app/dashboard/live_feed.py), and a factory of further
    connections to the same Redis: the real one on the PostgreSQL run (TEST_REDIS_URL), fakeredis
    otherwise."""
    import fakeredis

    from app.dashboard import live_feed

    if app.config.get("REDIS_URL"):
        from redis import Redis

        def connect():
            return live_feed.MarkStore(Redis.from_url(app.config["REDIS_URL"]))
    else:
        server = fakeredis.FakeServer()

        def connect():
            return live_feed.MarkStore(fakeredis.FakeRedis(server=server))
    saved = app.extensions.get("live_feed")
    app.extensions["live_feed"] = connect()
    yield connect
    if saved is None:
        app.extensions.pop("live_feed", None)
    else:
        app.extensions["live_feed"] = saved
