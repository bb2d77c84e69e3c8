"""The owner's team page and the public invitation link."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from app.models import Role
from app.teams import services
from app.teams.forms import InviteForm, RoleForm
from app.web import owned_business_or_404, parse_uuid

bp = Blueprint("team", __name__)


def _page(business, form=None, status=200):
    return render_template(
        "team/index.html", business=business, form=form or InviteForm(), members=services.members(business),
        invitations=services.pending_invitations(business), role_form=RoleForm, role_labels=Role.LABELS,
    ), status


@bp.get("/businesses/<slug>/team")
@login_required
def index(slug: str):
    return _page(owned_business_or_404(slug))


@bp.post("/businesses/<slug>/team/invite")
@login_required
def invite(slug: str):
    business = owned_business_or_404(slug)
    form = InviteForm()
    if form.validate_on_submit():
        try:
            services.invite(business, email=form.email.data, role=form.role.data, actor=current_user)
        except services.TeamError as exc:
            form.email.errors.append(str(exc))
        else:
            flash(f"Invitation sent to {form.email.data}. The link works for {services.INVITATION_DAYS} days.", "success")
            return redirect(url_for("team.index", slug=business.slug))
    return _page(business, form, 422)


@bp.post("/businesses/<slug>/team/members/<user_id>/role")
@login_required
def change_role(slug: str, user_id: str):
    business = owned_business_or_404(slug)
    form = RoleForm()
    target = parse_uuid(user_id)
    if target is None or not form.validate_on_submit():
        flash("Choose a role.", "error")
        return _page(business, status=422)
    try:
        services.change_role(business, target, form.role.data, actor=current_user)
    except services.TeamError as exc:
        flash(str(exc), "error")
        return _page(business, status=409)
    flash("Role changed.", "success")
    return redirect(url_for("team.index", slug=business.slug))


@bp.post("/businesses/<slug>/team/members/<user_id>/remove")
@login_required
def remove(slug: str, user_id: str):
    business = owned_business_or_404(slug)
    target = parse_uuid(user_id)
    try:
        if target is None:
            raise services.TeamError("That person is not on the team.")
        services.remove(business, target, actor=current_user)
    except services.TeamError as exc:
        flash(str(exc), "error")
        return _page(business, status=409)
    flash("Removed from the team.", "success")
    if target == current_user.id:
        return redirect(url_for("businesses.mine"))
    return redirect(url_for("team.index", slug=business.slug))


@bp.post("/businesses/<slug>/team/invitations/<invitation_id>/revoke")
@login_required
def revoke(slug: str, invitation_id: str):
    business = owned_business_or_404(slug)
    try:
        services.revoke_invitation(business, parse_uuid(invitation_id), actor=current_user)
    except services.TeamError as exc:
        flash(str(exc), "error")
        return _page(business, status=409)
    flash("Invitation withdrawn.", "success")
    return redirect(url_for("team.index", slug=business.slug))


@bp.route("/invitations/<token>", methods=["GET", "POST"])
def accept(token: str):
    """Logged in: accept on this account. Otherwise sign up (or log in) first;
    the token waits in the session and is accepted right after."""
    invitation = services.open_invitation(token)
    if invitation is None:
        return render_template("team/invitation_invalid.html"), 404
    if not current_user.is_authenticated:
        # Sign up or log in, then come back here (`next`) to accept.
        existing = services.find_user_by_email(invitation.email)
        return render_template("team/invitation.html", invitation=invitation, has_account=existing is not None)
    if request.method == "GET":
        return render_template("team/invitation.html", invitation=invitation, has_account=True)
    try:
        business = services.accept(invitation, current_user)
    except services.TeamError as exc:
        flash(str(exc), "error")
        return redirect(url_for("businesses.mine"))
    flash(f"You joined {business.name} as {Role.LABELS[invitation.role].lower()}.", "success")
    from app.navigation import business_home_url

    return redirect(business_home_url(business))
