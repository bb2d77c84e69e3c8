"""PostgreSQL: cursors describe their results only when the description is
read, and describe them as psycopg would (app/psycopg_cursor.py)."""
import pytest
from psycopg import Cursor
from sqlalchemy import select, text

from app.extensions import db
from app.models import Business
from app.psycopg_cursor import LazyDescriptionCursor


@pytest.fixture
def raw_connection(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("a psycopg cursor factory")
    connection = db.engine.raw_connection()
    yield connection.driver_connection
    connection.close()


def test_the_apps_connections_make_lazy_cursors(raw_connection):
    assert raw_connection.cursor_factory is LazyDescriptionCursor


def test_a_description_is_psycopgs_own_for_the_statement_that_made_it(raw_connection):
    lazy = raw_connection.cursor()
    plain = Cursor(raw_connection)
    query = "SELECT 1::int AS one, 'x'::text AS letter, now() AS at, NULL::uuid AS nothing"
    lazy.execute(query)
    plain.execute(query)
    described = lazy.description
    lazy.execute("SELECT 2 AS two")  # the cursor moves on; what it described first does not
    assert len(described) == 4
    assert [tuple(column) for column in described] == [tuple(column) for column in plain.description]
    assert [column.name for column in described] == ["one", "letter", "at", "nothing"]
    assert [column.name for column in lazy.description] == ["two"]
    lazy.execute("CREATE TEMPORARY TABLE lazy_description_check (id int)")  # no rows, no columns
    assert lazy.description is None
    lazy.execute("SELECT")  # rows of no columns: described, and empty
    assert lazy.description is not None and len(lazy.description) == 0


def test_sqlalchemy_reads_results_through_them(app, factories, raw_connection):
    business = factories.business(owner=factories.user(), name="Lazy Columns Cafe")
    row = db.session.execute(text("SELECT name, slug FROM businesses WHERE id = :id"), {"id": business.id}).one()
    assert row._mapping == {"name": "Lazy Columns Cafe", "slug": business.slug}
    assert db.session.scalar(select(Business.name).where(Business.id == business.id)) == "Lazy Columns Cafe"
