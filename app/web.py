"""Helpers shared by every blueprint: htmx partials, ids from URLs, and who may open a business's pages."""
from __future__ import annotations

import functools
import uuid

from flask import abort, make_response, render_template, request
from flask_login import current_user
from sqlalchemy import select

from app.extensions import db


def parse_uuid(raw) -> uuid.UUID | None:
    """An id from a URL, form or metadata, or None when it is not a UUID
    (callers answer 404 or skip it rather than erroring)."""
    try:
        return uuid.UUID(str(raw))
    except ValueError:
        return None


def is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true"


def _wants_fragment() -> bool:
    return is_htmx() and not request.headers.get("HX-Boosted")


def _varying_on_htmx(body):
    response = make_response(body)
    response.headers["Vary"] = "HX-Request"  # caches must tell the fragment and the page apart
    return response


def render_partial_or_page(page_template: str, partial_template: str, **context):
    """The fragment alone for htmx, the full page otherwise."""
    return _varying_on_htmx(render_template(partial_template if _wants_fragment() else page_template, **context))


def fragment_or_page(page_template: str, fragment, page_context):
    """The same for a fragment already rendered (a kept one): it alone for
    htmx, else the page, whose context (`page_context()`) is read only then."""
    return _varying_on_htmx(fragment if _wants_fragment() else render_template(page_template, **page_context()))


def _page_business_parts(business, membership):
    """What a business page reads of its business (`business`: the entity or
    an alias): the columns, the loader options and the membership's join."""
    from sqlalchemy import and_, bindparam
    from sqlalchemy.orm import joinedload

    from app.messaging.services import unread_count_of
    from app.models import BillingAccount

    columns = (business, membership.role, unread_count_of(business.id))  # the count: the nav's badge
    options = (joinedload(business.integration),  # read by the navigation's package gates
               # read by the past-due banner: its two columns, not the whole account
               joinedload(business.billing_account).load_only(BillingAccount.status, BillingAccount.past_due_since))
    return columns, options, and_(membership.business_id == business.id, membership.user_id == bindparam("user_id"))


@functools.cache
def _business_and_role():
    """The business and the user's membership in one statement, built once:
    every business page runs it, and building costs more than running it."""
    from sqlalchemy import bindparam

    from app.models import Business, Membership

    columns, options, membership_joined = _page_business_parts(Business, Membership)
    return (select(*columns).options(*options).outerjoin(Membership, membership_joined)
            .where(Business.slug == bindparam("slug")))


def with_the_page_business(user_statement):
    """The user loader's statement (`user_id` bound to the cookie's user) with
    the business of the page's URL and the user's membership added: the
    business page's own statement, read in the same round trip. Aliased, so
    nothing else in the statement can correlate with it."""
    from sqlalchemy import bindparam
    from sqlalchemy.orm import aliased

    from app.models import Business, Membership

    business, membership = aliased(Business, name="page_business"), aliased(Membership, name="page_membership")
    columns, options, membership_joined = _page_business_parts(business, membership)
    return (user_statement.add_columns(*columns).options(*options)
            .outerjoin(business, business.slug == bindparam("slug")).outerjoin(membership, membership_joined))


def page_business_slug() -> str | None:
    """The slug of a business page's URL (/businesses/<slug>/...), else None."""
    rule = request.url_rule
    if rule is None or not rule.rule.startswith("/businesses/<slug>"):
        return None
    return (request.view_args or {}).get("slug")


def remember_page_business(user_id, slug: str, business_and_role: tuple) -> None:
    """Keep what the user loader read of the page's business for
    `owned_business_or_404`, which takes it once instead of reading it again."""
    from flask import g

    g._page_business = (user_id, slug, business_and_role)


def _take_page_business(slug: str, user_id):
    """The (business, role, unread count) the user loader read for this slug
    and user, None when it found no such business; _NOT_READ when it read none."""
    from flask import g

    kept = g.pop("_page_business", None)
    if kept is None or kept[0] != user_id or kept[1] != slug:
        return _NOT_READ
    return kept[2] if kept[2][0] is not None else None


_NOT_READ = object()


def owned_business_or_404(slug: str, permission: str | None = None):
    """The business with this slug if the current user may use this page on it.

    A non-member gets 404, so nobody learns that the business exists; a member
    whose role lacks the permission gets 403. The permission is the argument,
    else the one declared for the endpoint in app/teams/permissions.py, else
    MANAGE (owners and managers) -- an undeclared page is never open to staff."""
    from app.messaging.services import remember_unread
    from app.teams.access import remember_role
    from app.teams.permissions import permission_for_endpoint, role_allows

    if not current_user.is_authenticated:
        abort(404)
    found = _take_page_business(slug, current_user.id)
    if found is _NOT_READ:
        found = db.session.execute(_business_and_role(), {"slug": slug, "user_id": current_user.id}).first()
    business = found[0] if found else None
    role = remember_role(current_user, business, found[1]) if found else None
    if role is None:
        abort(404)
    remember_unread(business.id, found[2])
    if not role_allows(role, permission or permission_for_endpoint(request.endpoint)):
        abort(403)
    return business


def can(business, permission: str | None = None, endpoint: str | None = None) -> bool:
    """Whether the current user's role allows a permission (or the page at an
    endpoint) on the business; templates use it to hide what would answer 403."""
    from app.teams.access import role_for
    from app.teams.permissions import permission_for_endpoint, role_allows

    if business is None:
        return False
    return role_allows(role_for(current_user, business), permission or permission_for_endpoint(endpoint))
