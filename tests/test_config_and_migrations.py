import os
import subprocess
import sys

import pytest

from app import create_app
from app.config import ProductionConfig

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_production_refuses_to_start_without_secrets(monkeypatch):
    with pytest.raises(RuntimeError) as error:
        create_app(ProductionConfig, SECRET_KEY=None, STRIPE_SECRET_KEY=None, SQLALCHEMY_DATABASE_URI="sqlite://")
    assert "SECRET_KEY" in str(error.value) and "STRIPE_SECRET_KEY" in str(error.value)


def test_production_starts_with_its_secrets():
    secrets = {name: "x" for name in ("SECRET_KEY", "FOURCALLS_API_KEY", "FOURCALLS_WEBHOOK_SECRET", "STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET")}
    from cryptography.fernet import Fernet

    app = create_app(ProductionConfig, ENCRYPTION_KEYS=Fernet.generate_key().decode(), SQLALCHEMY_DATABASE_URI="sqlite://",
                     JOB_BACKEND="eager", MAIL_SERVER="smtp.example.com", **secrets)
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert "dev_outbox.index" not in app.view_functions  # the local outbox never exists in production


@pytest.mark.slow
def test_migrations_build_the_same_schema_as_the_models(tmp_path):
    """`flask db upgrade` on an empty database, then `flask db check` finds nothing to add."""
    env = dict(os.environ, APP_ENV="development", INSTANCE_PATH=str(tmp_path))
    env["DATABASE_URL"] = os.environ.get("TEST_MIGRATIONS_DATABASE_URL") or f"sqlite:///{tmp_path / 'm.sqlite3'}"
    if env["DATABASE_URL"].startswith("postgresql"):
        _empty_postgres_schema(env["DATABASE_URL"])
    flask = [sys.executable, "-m", "flask", "--app", "wsgi"]
    for args in (["db", "upgrade"], ["db", "check"], ["db", "downgrade", "base"], ["db", "upgrade"]):
        result = subprocess.run(flask + args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stdout + result.stderr


def _empty_postgres_schema(url):
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")


def test_sqlite_runs_with_foreign_keys_and_a_write_ahead_log(tmp_path):
    """The embedded database: foreign keys enforced, readers beside a writer
    (WAL), and commits that append to the log instead of syncing twice."""
    from sqlalchemy import text

    from app.config import TestingConfig
    from app.extensions import db

    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'embedded.sqlite3'}")
    with app.app_context():
        with db.engine.connect() as connection:
            assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
            assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert connection.execute(text("PRAGMA synchronous")).scalar() == 1  # NORMAL
            assert connection.execute(text("PRAGMA wal_autocheckpoint")).scalar() == 16000
        db.engine.dispose()


@pytest.mark.parametrize("url, worker, expected", [
    ("redis://127.0.0.1:6379/15", "gw0", "redis://127.0.0.1:6379/15"),
    ("redis://127.0.0.1:6379/15", "gw1", "redis://127.0.0.1:6379/14"),
    ("redis://127.0.0.1:6379/1", "gw3", "redis://127.0.0.1:6379/4"),
    ("redis://127.0.0.1:6379/15", "", "redis://127.0.0.1:6379/15"),
    ("redis://127.0.0.1:6379", "gw1", "redis://127.0.0.1:6379"),
])
def test_each_test_worker_gets_its_own_redis_database(monkeypatch, url, worker, expected):
    """Job ids are global within a Redis database: two pytest-xdist workers on
    one refused each other's 4calls batch job as already queued."""
    from app.config import _test_redis_url

    monkeypatch.setenv("TEST_REDIS_URL", url)
    monkeypatch.setenv("PYTEST_XDIST_WORKER", worker)
    assert _test_redis_url() == expected
