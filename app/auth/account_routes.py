"""The signed-in user's security page: two-factor sign-in and sessions."""
from __future__ import annotations

from flask import Blueprint, flash, make_response, redirect, render_template, session, url_for
from flask_login import current_user, login_required, logout_user

from app.audit.services import record
from app.auth import sessions, two_factor
from app.auth.forms import TwoFactorDisableForm, TwoFactorSetupForm

from app.extensions import db
from app.teams.access import businesses_for
from app.web import parse_uuid

bp = Blueprint("account", __name__, url_prefix="/account")
SETUP_SECRET = "two_factor_setup_secret"


def _audit_everywhere(action: str) -> None:
    """Two-factor changes appear in the audit log of every business the user works on."""
    for business in businesses_for(current_user):
        record(action, business=business, actor=current_user, target_type="user", target_id=current_user.id,
               target_label=current_user.email)


def _page(setup_form=None, disable_form=None, status=200, **extra):
    return render_template(
        "account/security.html", setup_form=setup_form or TwoFactorSetupForm(),
        disable_form=disable_form or TwoFactorDisableForm(), sessions=sessions.live(current_user),
        describe=sessions.describe_device,
        recovery_left=two_factor.remaining_recovery_codes(current_user) if current_user.has_two_factor else 0,
        **extra,
    ), status


@bp.get("/security")
@login_required
def security():
    return _page()


@bp.get("/two-factor/setup")
@login_required
def two_factor_setup():
    if current_user.has_two_factor:
        return redirect(url_for("account.security"))
    secret = session.get(SETUP_SECRET) or two_factor.new_secret()
    session[SETUP_SECRET] = secret
    return _setup_page(secret, TwoFactorSetupForm())


def _setup_page(secret, form, status=200):
    uri = two_factor.provisioning_uri(current_user, secret)
    return render_template("account/two_factor_setup.html", form=form, qr=two_factor.qr_svg(uri),
                           secret=secret), status


@bp.post("/two-factor/setup")
@login_required
def two_factor_confirm():
    secret = session.get(SETUP_SECRET)
    if current_user.has_two_factor or not secret:
        return redirect(url_for("account.security"))
    form = TwoFactorSetupForm()
    if form.validate_on_submit() and two_factor.code_is_valid_for_secret(secret, form.code.data):
        codes = two_factor.enable(current_user, secret)
        _audit_everywhere("security.two_factor_enabled")
        db.session.commit()
        session.pop(SETUP_SECRET, None)
        return _codes_page(codes)
    if not form.code.errors:
        form.code.errors.append("That code doesn't match. Check your phone's time and use the newest code.")
    return _setup_page(secret, form, 422)


def _codes_page(codes):
    # Shown once: never kept in a cache or the back-forward history.
    response = make_response(render_template("account/recovery_codes.html", codes=codes))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/two-factor/recovery-codes")
@login_required
def new_recovery_codes():
    if not current_user.has_two_factor:
        return redirect(url_for("account.security"))
    codes = two_factor.replace_recovery_codes(current_user)
    _audit_everywhere("security.recovery_codes_replaced")
    db.session.commit()
    return _codes_page(codes)


@bp.post("/two-factor/disable")
@login_required
def two_factor_disable():
    form = TwoFactorDisableForm()
    if not current_user.has_two_factor:
        return redirect(url_for("account.security"))
    if form.validate_on_submit():
        if not current_user.check_password(form.password.data):
            form.password.errors.append("That password is not right.")
        elif not (two_factor.check_code(current_user, form.code.data)
                  or two_factor.use_recovery_code(current_user, form.code.data)):
            form.code.errors.append("That code is not valid.")
        else:
            two_factor.disable(current_user)
            _audit_everywhere("security.two_factor_disabled")
            db.session.commit()
            flash("Two-factor sign-in is off.", "success")
            return redirect(url_for("account.security"))
    return _page(disable_form=form, status=422)


@bp.post("/sessions/<session_id>/end")
@login_required
def end_session(session_id: str):
    from app.models import UserSession
    from app.models.base import utcnow

    row = db.session.get(UserSession, parse_uuid(session_id)) if parse_uuid(session_id) else None
    if row is None or row.user_id != current_user.id:
        flash("That session has already ended.", "info")
        return redirect(url_for("account.security"))
    row.revoked_at = row.revoked_at or utcnow()
    db.session.commit()
    if str(row.id) == current_user.login_session_id:
        logout_user()
        return redirect(url_for("auth.login"))
    flash("That device is logged out.", "success")
    return redirect(url_for("account.security"))


@bp.post("/sessions/end-all")
@login_required
def end_all_sessions():
    sessions.end_all(current_user)
    db.session.commit()
    logout_user()
    flash("You were logged out everywhere, this device included.", "success")
    return redirect(url_for("auth.login"))



