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
    ("SELECT 1; INSERT INTO businesses DEFAULT VALUES", False), ("CREATE TABLE t (id int)", False),
    ("SAVEPOINT sa_savepoint_1", False), ("selector", False), ("", False),
])
def test_reads_only_is_one_select_built_by_sqlalchemy(statement, expected):
    from types import SimpleNamespace

    built_select = SimpleNamespace(statement=select(Business.id))
    assert reads_only(statement, built_select) is expected
    # The app's own SQL text counts as a write, whatever it says (SELECT set_config(...) writes).
    assert reads_only(statement, SimpleNamespace(statement=text(statement or "x"))) is False
    assert reads_only(statement, None) is False


def test_a_read_only_rollback_keeps_the_prepared_statements(app, factories, postgresql):
    business = factories.business(name="Kept Plans")
    db.session.commit()
    count_by_slug = select(func.count()).select_from(Business).where(Business.slug == business.slug)
    with db.engine.connect() as connection:  # one connection throughout (the pool may hold several)
        for _ in range(7):  # psycopg prepares a statement on its 5th run on a connection
            assert connection.scalar(count_by_slug) == 1
            connection.rollback()  # what every request's session does at its end
        prepared = list(connection.scalars(text("SELECT statement FROM pg_prepared_statements")))
    assert any("count(*)" in statement and "businesses" in statement for statement in prepared)


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


def _counting_commits(monkeypatch) -> list:
    import psycopg

    commits = []
    real_commit = psycopg.Connection.commit

    def commit(connection):
        commits.append(connection.info.transaction_status)
        return real_commit(connection)

    monkeypatch.setattr(psycopg.Connection, "commit", commit)
    return commits


def test_the_read_only_end_is_a_commit(app, postgresql, monkeypatch):
    commits = _counting_commits(monkeypatch)
    assert db.session.scalar(select(func.count()).select_from(Business)) == 0
    db.session.rollback()
    assert len(commits) == 1


def test_a_failed_transaction_is_rolled_back_not_committed(app, postgresql, monkeypatch):
    from sqlalchemy.exc import DBAPIError

    commits = _counting_commits(monkeypatch)
    with pytest.raises(DBAPIError):
        db.session.execute(select(func.count()).select_from(Business).where(Business.id == func.cast("x", Business.id.type)))
    db.session.rollback()
    assert commits == []
    assert db.session.scalar(text("SELECT 2")) == 2


def test_text_sql_ends_with_a_rollback_whatever_it_says(app, postgresql, monkeypatch):
    """SELECT set_config(..., false) keeps its setting past a COMMIT, not past a ROLLBACK."""
    commits = _counting_commits(monkeypatch)
    db.session.execute(text("SELECT set_config('application_name', 'left-behind', false)"))
    db.session.rollback()
    assert commits == []
    assert db.session.scalar(text("SELECT current_setting('application_name')")) != "left-behind"


def test_a_request_that_only_reads_ends_with_a_commit(app, client, auth, owner, factories, postgresql, monkeypatch):
    """Each request ends its session; a page that only read ends it with a
    COMMIT, so its statements stay prepared (the test above)."""
    business = factories.business(owner=owner)
    db.session.commit()
    auth.login(owner.email)
    slug = business.slug
    db.session.remove()
    commits = _counting_commits(monkeypatch)
    for _ in range(3):
        assert client.get(f"/businesses/{slug}/calls").status_code == 200
        # What the app context's teardown does after each request in production
        # (the test client keeps this test's context, and its session, between requests).
        db.session.remove()
    assert len(commits) == 3
