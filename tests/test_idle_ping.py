"""PostgreSQL: a pooled connection is pinged at checkout only after sitting idle
(app/idle_ping.py); the restart itself is drilled in tests/drills."""
import pytest
from sqlalchemy import text

from app import idle_ping
from app.extensions import db


@pytest.fixture
def pings(app, monkeypatch):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the PostgreSQL pool's checkout ping")
    counted = []
    real_ping = db.engine.dialect.do_ping
    monkeypatch.setattr(db.engine.dialect, "do_ping", lambda connection: counted.append(1) or real_ping(connection))
    return counted


def _use_a_connection():
    with db.engine.connect() as connection:
        connection.execute(text("SELECT 1"))


def test_a_connection_back_a_moment_ago_is_not_pinged_and_an_idle_one_is(app, pings, monkeypatch):
    db.engine.dispose()  # no connection left idle by an earlier test
    _use_a_connection()  # a new connection: just connected, not pinged
    _use_a_connection()  # the same one, checked in just now
    assert pings == []
    later = idle_ping._now() + app.config["DATABASE_PING_AFTER_IDLE_SECONDS"]
    monkeypatch.setattr(idle_ping, "_now", lambda: later)
    _use_a_connection()
    assert pings == [1]


def test_the_pool_hands_out_the_connection_checked_in_last(app, pings):
    assert db.engine.pool._pool.use_lifo  # the busy connection skips the ping; the idle ones wait for it
