"""One UserSession row per login, so sessions can be listed and ended.

The session cookie and the remember-me cookie both carry "<user>:<session>";
the user loader accepts them only while that row is live. Ending a row (log
out, log out everywhere, password reset) logs that device out on its next
request, remember-me cookie included.
"""
from __future__ import annotations

import functools
from datetime import timedelta

from flask import current_app, has_request_context, request
from flask_login import login_user
from sqlalchemy import bindparam, select, update

from app.extensions import db
from app.models import User, UserSession
from app.models.base import utcnow
from app.teams.access import business_choices_json, remember_business_choices
from app.web import page_business_slug, parse_uuid, remember_page_business, with_the_page_business

_TOUCH_EVERY = timedelta(minutes=5)


@functools.cache
def _user_and_session(dialect_name: str):
    """The user, the columns of their session row the loader checks, and the
    business switcher's rows (app/teams/access.py), in one statement built
    once per dialect: this runs on every request, and building a statement
    costs more than running it. The session row's columns, not the row: an
    entity costs more to load than the check uses."""
    return (select(User, UserSession.user_id, UserSession.revoked_at, UserSession.expires_at,
                   UserSession.last_seen_at, UserSession.created_at, business_choices_json(dialect_name))
            .join(UserSession, UserSession.user_id == User.id)
            .where(UserSession.id == bindparam("session_id")))


@functools.cache
def _user_session_and_page_business(dialect_name: str):
    """The same, and the business of the page's URL with the user's role in
    it (app/web.py: with_the_page_business): a business page's one statement."""
    return with_the_page_business(_user_and_session(dialect_name))


def init_app(app) -> None:
    @app.before_request
    def _load_the_user_afresh():
        # Each request reads its own cookie. In production every request has a
        # fresh `g` already; the test client shares one app context between
        # requests, and would otherwise carry one client's login into another's.
        from flask import g, request as current_request
        from flask_login import current_user

        # Webhook senders have no login: their receivers never read the session.
        if current_request.endpoint == "static" or current_request.blueprint == "webhooks":
            return
        g.pop("_login_user", None)
        g.pop("_roles", None)
        g.pop("_unread_messages", None)
        g.pop("_business_choices", None)
        g.pop("_page_business", None)
        # Load now: the loader may commit its "last seen" touch, which must never
        # happen midway through a route's own transaction.
        current_user._get_current_object()


def start(user: User, *, remember: bool) -> UserSession:
    now = utcnow()
    lifetime = current_app.config["REMEMBER_COOKIE_DURATION"] if remember else timedelta(
        hours=current_app.config["SESSION_IDLE_HOURS"])
    row = UserSession(
        user_id=user.id,
        user_agent=(request.headers.get("User-Agent") or "")[:255],
        ip_address=(request.remote_addr or "")[:64],
        last_seen_at=now,
        expires_at=now + lifetime,
    )
    db.session.add(row)
    user.last_login_at = now
    db.session.commit()
    user.login_session_id = str(row.id)
    login_user(user, remember=remember)
    return row


def load(cookie_id: str) -> User | None:
    """The user for a cookie's id, if its session is still live."""
    user_part, _, session_part = (cookie_id or "").partition(":")
    user_id, session_id = parse_uuid(user_part), parse_uuid(session_part)
    if user_id is None or session_id is None:
        return None
    dialect_name = db.session.get_bind().dialect.name
    slug = page_business_slug() if has_request_context() else None
    parameters = {"session_id": session_id, "user_id": user_id}
    if slug is None:
        found = db.session.execute(_user_and_session(dialect_name), parameters).first()
    else:
        found = db.session.execute(_user_session_and_page_business(dialect_name), {**parameters, "slug": slug}).first()
    now = utcnow()
    if found is None:
        return None
    user, session_user_id, revoked_at, expires_at, last_seen_at, created_at, business_choices, *page_business = found
    if session_user_id != user_id or revoked_at is not None or expires_at <= now:
        return None
    if now - last_seen_at >= _TOUCH_EVERY:
        touched = {"last_seen_at": now}
        if expires_at - created_at < current_app.config["REMEMBER_COOKIE_DURATION"]:
            # Sessions without remember-me end after SESSION_IDLE_HOURS of inactivity.
            touched["expires_at"] = now + timedelta(hours=current_app.config["SESSION_IDLE_HOURS"])
        db.session.execute(update(UserSession).where(UserSession.id == session_id).values(**touched))
        db.session.commit()  # expires the rows just read: the page reads its business afresh, in one statement
    elif slug is not None:
        remember_page_business(user.id, slug, tuple(page_business))
    user.login_session_id = str(session_id)
    remember_business_choices(user, business_choices, dialect_name)
    return user


def end(user: User) -> None:
    if user.login_session_id:
        db.session.execute(
            update(UserSession).where(UserSession.id == parse_uuid(user.login_session_id),
                                      UserSession.revoked_at.is_(None)).values(revoked_at=utcnow())
        )
        db.session.commit()


def end_all(user: User, *, keep_current: bool = False) -> int:
    """End every live session of the user (the caller commits)."""
    stmt = update(UserSession).where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None))
    if keep_current and user.login_session_id:
        stmt = stmt.where(UserSession.id != parse_uuid(user.login_session_id))
    return db.session.execute(stmt.values(revoked_at=utcnow())).rowcount


def live(user: User) -> list[UserSession]:
    return list(db.session.scalars(
        select(UserSession).where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None),
                                  UserSession.expires_at > utcnow())
        .order_by(UserSession.last_seen_at.desc())
    ))


def describe_device(user_agent: str) -> str:
    """A short, readable device name from a User-Agent."""
    ua = user_agent or ""
    browser = next((name for key, name in (("Edg/", "Edge"), ("Firefox/", "Firefox"), ("Chrome/", "Chrome"),
                                            ("Safari/", "Safari")) if key in ua), "Unknown browser")
    system = next((name for key, name in (("iPhone", "iPhone"), ("iPad", "iPad"), ("Android", "Android"),
                                           ("Windows", "Windows"), ("Mac OS X", "macOS"), ("Linux", "Linux"))
                   if key in ua), "unknown system")
    return f"{browser} on {system}"
