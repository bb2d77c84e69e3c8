"""A business page reads its business, the user's role in it and the unread
count in the user loader's statement (app/web.py: with_the_page_business):
one statement where there were two. The access decision is unchanged: it is
still `owned_business_or_404`'s, which takes what the loader read only for
the same slug and the same user."""
from __future__ import annotations

import pytest
from flask import g
from sqlalchemy import select
from werkzeug.exceptions import Forbidden, NotFound

from app.auth import sessions
from app.extensions import db
from app.models import Membership, Role, UserSession
from app.web import owned_business_or_404
from tests.sql_helpers import statements_during


def _business_reads(statements) -> list[str]:
    return [s for s in statements if "FROM businesses" in s or "JOIN businesses" in s]


def _own_business_statements(statements) -> list[str]:
    """The business page's own statement (business and membership), run apart from the user's."""
    return [s for s in _business_reads(statements) if "user_sessions" not in s and "memberships" in s]


def test_a_business_page_reads_the_user_and_its_business_in_one_statement(client, logged_in_owner, factories):
    business = factories.business(owner=logged_in_owner, name="One Trip Bakery")
    slug = business.slug
    db.session.remove()
    response, statements = statements_during(lambda: client.get(f"/businesses/{slug}/calls"))
    assert response.status_code == 200 and b"One Trip Bakery" in response.data
    assert statements[0].count("user_sessions") >= 1 and "page_business" in statements[0]
    assert _own_business_statements(statements) == []


def test_a_page_outside_the_businesses_reads_no_business(client, logged_in_owner, factories):
    factories.business(owner=logged_in_owner)
    db.session.remove()
    response, statements = statements_during(lambda: client.get("/account/security"))
    assert response.status_code == 200
    assert not any("page_business" in statement for statement in statements)


@pytest.mark.parametrize("who, expected", [("stranger", 404), ("staff", 403), ("manager", 200), ("owner", 200)])
def test_access_is_decided_as_before(client, auth, factories, who, expected):
    owner = factories.user()
    business = factories.business(owner=owner)
    visitor = owner if who == "owner" else factories.user()
    if who in ("staff", "manager"):
        db.session.add(Membership(business_id=business.id, user_id=visitor.id,
                                  role=Role.STAFF if who == "staff" else Role.MANAGER))
    db.session.commit()
    auth.login(visitor.email)
    # The business profile is a manager's page: staff may not open it.
    assert client.get(f"/businesses/{business.slug}/edit").status_code == expected
    assert client.get("/businesses/no-such-business/calls").status_code == 404


def _load_in_page_of(app, user, slug):
    """The user loader, as it runs on a request for /businesses/<slug>/calls."""
    row = db.session.scalar(select(UserSession).where(UserSession.user_id == user.id))
    context = app.test_request_context(f"/businesses/{slug}/calls")
    context.push()
    return context, sessions.load(f"{user.id}:{row.id}")


def test_what_the_loader_read_serves_its_slug_and_user_only(app, client, logged_in_owner, factories):
    from flask_login import login_user

    mine = factories.business(owner=logged_in_owner, name="Mine")
    theirs = factories.business(owner=factories.user(), name="Theirs")
    db.session.commit()
    context, user = _load_in_page_of(app, logged_in_owner, mine.slug)
    try:
        login_user(user)
        assert g._page_business[1] == mine.slug
        found, statements = statements_during(lambda: owned_business_or_404(mine.slug))
        assert found.id == mine.id and statements == []  # read with the user
        assert "_page_business" not in g  # taken once
        again, statements = statements_during(lambda: owned_business_or_404(mine.slug))
        assert again.id == mine.id and len(statements) == 1  # a second call reads for itself
        with pytest.raises(NotFound):
            owned_business_or_404(theirs.slug)
    finally:
        context.pop()

    someone_else = factories.user().id
    context, user = _load_in_page_of(app, logged_in_owner, mine.slug)
    try:
        login_user(user)
        read_for_the_page = g._page_business[2]
        with pytest.raises(NotFound):  # another slug than the page's: read for itself, and refused
            owned_business_or_404(theirs.slug)
        g._page_business = (someone_else, mine.slug, read_for_the_page)
        _, statements = statements_during(lambda: owned_business_or_404(mine.slug))
        assert len(statements) == 1  # kept for another user: not used
    finally:
        context.pop()


def test_an_unknown_slug_is_not_found_without_a_second_read(app, client, logged_in_owner):
    from flask_login import login_user

    context, user = _load_in_page_of(app, logged_in_owner, "no-such-business")
    try:
        login_user(user)
        _, statements = statements_during(lambda: pytest.raises(NotFound, owned_business_or_404, "no-such-business"))
        assert statements == []
    finally:
        context.pop()


def test_an_ended_session_keeps_nothing(app, client, logged_in_owner, factories):
    from app.models.base import utcnow

    business = factories.business(owner=logged_in_owner)
    db.session.execute(UserSession.__table__.update().where(UserSession.user_id == logged_in_owner.id)
                       .values(revoked_at=utcnow()))
    db.session.commit()
    context, user = _load_in_page_of(app, logged_in_owner, business.slug)
    try:
        assert user is None and "_page_business" not in g
    finally:
        context.pop()
    assert client.get(f"/businesses/{business.slug}/calls").status_code in (302, 303)


def test_staff_refused_a_page_by_role_with_what_the_loader_read(app, client, auth, factories):
    from flask_login import login_user

    business = factories.business(owner=factories.user())
    staff = factories.user()
    db.session.add(Membership(business_id=business.id, user_id=staff.id, role=Role.STAFF))
    db.session.commit()
    auth.login(staff.email)
    context, user = _load_in_page_of(app, staff, business.slug)
    try:
        login_user(user)
        with pytest.raises(Forbidden):
            owned_business_or_404(business.slug, permission="manage")
    finally:
        context.pop()


def test_the_request_that_touches_the_session_reads_the_business_afresh(app, client, logged_in_owner, factories):
    """Its commit expired what the loader read: reloading each row would cost
    more statements than reading the business again in one."""
    from datetime import timedelta

    from app.models.base import utcnow

    business = factories.business(owner=logged_in_owner)
    db.session.execute(UserSession.__table__.update().where(UserSession.user_id == logged_in_owner.id)
                       .values(last_seen_at=utcnow() - timedelta(minutes=10)))
    db.session.commit()
    context, user = _load_in_page_of(app, logged_in_owner, business.slug)
    try:
        assert user is not None and "_page_business" not in g
    finally:
        context.pop()
