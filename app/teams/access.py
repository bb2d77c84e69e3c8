"""Who is what on a business. Kept apart from services so app.web can import
it without pulling in mail and audit."""
from __future__ import annotations

import functools
import json
import uuid
from typing import NamedTuple

from sqlalchemy import Text, bindparam, cast, event, func, select, union_all
from sqlalchemy.orm import Session, aliased

from app.extensions import db
from app.models import Business, Membership, Role


def role_for(user, business) -> str | None:
    """The user's role on the business, or None for a non-member. The account
    that claimed the business (`owner_id`) is an owner unless a membership row
    says otherwise."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    cache = _request_cache()
    key = (user.id, business.id)
    if cache is not None and key in cache:
        return cache[key]
    role = db.session.scalar(
        select(Membership.role).where(Membership.business_id == business.id, Membership.user_id == user.id)
    )
    return remember_role(user, business, role)


def remember_role(user, business, membership_role: str | None) -> str | None:
    """The role from the user's membership row (None: no row), with the
    claiming account an owner, cached for the request. For callers that read
    the membership together with the business."""
    role = membership_role
    if role is None and business.owner_id == user.id:
        role = Role.OWNER
    cache = _request_cache()
    if cache is not None:
        cache[(user.id, business.id)] = role
    return role


def _yours(columns):
    """A statement for the businesses the user (bound as `user_id`) owns or is a member of, by name.

    The ids come from a union of two index lookups. `owner_id = :user OR id IN
    (memberships)` read every business in the directory on PostgreSQL (an OR
    across two sources defeats both indexes): 1,000 rows on every page view
    of a 1,000-business directory, growing with the directory."""
    claimed = aliased(Business)
    yours = union_all(select(claimed.id).where(claimed.owner_id == bindparam("user_id")),
                      select(Membership.business_id).where(Membership.user_id == bindparam("user_id")))
    return select(*columns).where(Business.id.in_(yours)).order_by(Business.name)


# Built once: the business switcher reads its rows on every page, and building a
# statement costs more than running it.
_YOUR_BUSINESSES = _yours([Business])
_YOUR_BUSINESS_CHOICES = _yours([Business.id, Business.slug, Business.name])


def businesses_for(user) -> list[Business]:
    """Every business the user owns or is a member of, by name."""
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    return list(db.session.scalars(_YOUR_BUSINESSES, {"user_id": user.id}))


class BusinessChoice(NamedTuple):
    id: uuid.UUID
    slug: str
    name: str


def business_choices_for(user) -> list:
    """(id, slug, name) of every business the user owns or is a member of, by
    name: what the page header's switcher shows, without loading the businesses.

    The user loader reads them in its own statement (`business_choices_json`);
    they serve the request until its session flushes a business or membership,
    or commits, either of which may have changed them."""
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    read_with_the_user = _prefetched_choices()
    if read_with_the_user is not None and read_with_the_user[0] == user.id:
        _, choices_json, sort_here = read_with_the_user
        choices = [BusinessChoice(uuid.UUID(id_), slug, name) for id_, slug, name in json.loads(choices_json or "[]")]
        if sort_here:
            # SQLite's default (binary) collation orders as Python orders str.
            choices.sort(key=lambda choice: choice.name)
        return choices
    return [BusinessChoice(*row) for row in db.session.execute(_YOUR_BUSINESS_CHOICES, {"user_id": user.id})]


@functools.cache
def business_choices_json(dialect_name: str):
    """A scalar subquery: the switcher's rows for the user bound as `user_id`,
    as JSON text ([[id, slug, name], ...]; NULL or "[]" for none), by name on
    PostgreSQL, in no set order on SQLite (`remember_business_choices` sorts).
    The user loader selects it beside the user, saving the statement the
    header's switcher ran on every page. The loader runs it on every signed-in
    request, rendering or not: an index lookup or two and a few rows."""
    choices = _YOUR_BUSINESS_CHOICES.subquery()
    if dialect_name == "postgresql":
        from sqlalchemy.dialects.postgresql import aggregate_order_by

        rows = func.json_agg(aggregate_order_by(func.json_build_array(choices.c.id, choices.c.slug, choices.c.name),
                                                choices.c.name))
    else:  # SQLite before 3.44 has no ORDER BY inside an aggregate
        rows = func.json_group_array(func.json_array(choices.c.id, choices.c.slug, choices.c.name))
    return select(cast(rows, Text)).scalar_subquery()


def remember_business_choices(user, choices_json: str | None, dialect_name: str) -> None:
    """Keep the switcher's rows the user loader read (`business_choices_json`) for this request."""
    from flask import g, has_request_context

    if has_request_context():
        g._business_choices = (user.id, choices_json, dialect_name != "postgresql")


def _prefetched_choices():
    from flask import g, has_request_context

    return g.get("_business_choices") if has_request_context() else None


def _forget_prefetched_choices() -> None:
    from flask import g, has_request_context

    if has_request_context():
        g.pop("_business_choices", None)


@event.listens_for(Session, "after_commit")
def _forget_choices_after_a_commit(session) -> None:
    # A commit may have added, renamed or left a business (Core UPDATEs included): read them afresh.
    _forget_prefetched_choices()


@event.listens_for(Session, "after_flush")
def _forget_choices_after_a_flush_of_businesses(session, flush_context) -> None:
    # A page rendered after a flush, before its commit, shows what was flushed.
    # Most flushes (jobs, syncs of hundreds of calls) have no rows kept: skip the scan.
    if _prefetched_choices() is None:
        return
    if any(isinstance(item, (Business, Membership)) for item in (*session.new, *session.dirty, *session.deleted)):
        _forget_prefetched_choices()


def _request_cache():
    from flask import g, has_request_context

    if not has_request_context():
        return None
    if "_roles" not in g:
        g._roles = {}
    return g._roles


def forget_roles() -> None:
    """Drop this request's cached roles after a team change."""
    from flask import g, has_request_context

    if has_request_context():
        g.pop("_roles", None)
