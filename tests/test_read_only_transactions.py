"""PostgreSQL: a transaction that only read ends with COMMIT, keeping psycopg's
prepared statements; one that wrote anything is still rolled back."""
import pytest
from sqlalchemy import func, select, text, update

from app.extensions import db
from app.models import Business
from app.read_only_transactions import reads_only


@pytest.fixture
def postgresql(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("psycopg's prepared statements; SQLite's driver keeps nothing across a rollback")
    yield
    db.session.remove()


def _prepared_here() -> list[str]:
    return list(db.session.scalars(text("SELECT statement FROM pg_prepared_statements")))


@pytest.mark.parametrize("statement, expected", [
    ("SELECT 1", True), ("  select id FROM businesses", True), ("\n SELECT pg_advisory_xact_lock(1)", True),
    ("INSERT INTO businesses DEFAULT VALUES", False), ("UPDATE businesses SET name = 'x'", False),
    ("DELETE FROM businesses", False), ("WITH gone AS (DELETE FROM businesses RETURNING id) SELECT 1", False),
    ("CREATE TABLE t (id int)", False), ("selector", False), ("", False),
])
def test_reads_only_is_a_select_and_nothing_else(statement, expected):
    assert reads_only(statement) is expected


def test_a_read_only_rollback_keeps_the_prepared_statements(app, factories, postgresql):
    business = factories.business(name="Kept Plans")
    db.session.commit()
    count_by_slug = select(func.count()).select_from(Business).where(Business.slug == business.slug)
    for _ in range(7):  # psycopg prepares a statement on its 5th run on a connection
        assert db.session.scalar(count_by_slug) == 1
        db.session.rollback()  # what every request's session does at its end
    assert any("count(*)" in statement and "businesses" in statement for statement in _prepared_here())


@pytest.mark.parametrize("write", ["orm flush", "core update", "text update", "write in a WITH"])
def test_a_transaction_that_wrote_is_still_rolled_back(app, factories, postgresql, write):
    business = factories.business(name="Before")
    db.session.commit()
    business_id = business.id
    assert db.session.scalar(select(Business.name).where(Business.id == business_id)) == "Before"
    if write == "orm flush":
        business.name = "After"
        db.session.flush()
    elif write == "core update":
        db.session.execute(update(Business).where(Business.id == business_id).values(name="After"))
    elif write == "text update":
        db.session.execute(text("UPDATE businesses SET name = 'After' WHERE id = :id"), {"id": business_id})
    else:
        db.session.execute(text("WITH changed AS (UPDATE businesses SET name = 'After' WHERE id = :id RETURNING id)"
                                " SELECT count(*) FROM changed"), {"id": business_id})
    assert db.session.scalar(select(Business.name).where(Business.id == business_id)) == "After"
    db.session.rollback()
    db.session.expire_all()
    assert db.session.scalar(select(Business.name).where(Business.id == business_id)) == "Before"


def test_a_failed_transaction_is_rolled_back_and_the_connection_reused(app, factories, postgresql):
    from sqlalchemy.exc import DBAPIError

    with pytest.raises(DBAPIError):
        db.session.execute(text("SELECT 1 / 0"))
    db.session.rollback()
    assert db.session.scalar(text("SELECT 2")) == 2


def test_a_request_that_only_reads_leaves_its_statements_prepared(app, client, auth, owner, factories, postgresql):
    """Across requests (each ends its session): the page's statements stay prepared."""
    business = factories.business(owner=owner)
    db.session.commit()
    auth.login(owner.email)
    slug = business.slug
    db.session.remove()
    for _ in range(15):
        assert client.get(f"/businesses/{slug}/calls").status_code == 200
        # What the app context's teardown does after each request in production
        # (the test client keeps this test's context, and its session, between requests).
        db.session.remove()
    # Each pooled connection served at least 5 of the requests (one thread: the
    # pool holds one or two), so whichever this test is handed has them prepared.
    assert any("JOIN user_sessions" in statement for statement in _prepared_here())
