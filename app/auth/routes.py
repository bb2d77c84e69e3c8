"""Sign-up, log-in (with the second factor), log-out, password reset and
email verification."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, logout_user

from app.auth import sessions, throttle, two_factor
from app.auth.forms import ForgotPasswordForm, LoginForm, ResetPasswordForm, SignupForm, TwoFactorLoginForm
from app.auth.services import (authenticate, find_user_by_email, request_password_reset,
                               reset_password, send_verification, sign_up, verify_email)
from app.auth.tokens import user_for_reset_token
from app.extensions import db, login_manager
from app.models import User
from app.models.base import utcnow
from app.web import parse_uuid

bp = Blueprint("auth", __name__)
PENDING_TWO_FACTOR = "pending_two_factor"


@login_manager.user_loader
def load_user(cookie_id: str):
    return sessions.load(cookie_id)


def _safe_next(target: str | None) -> str | None:
    # Only same-site paths: an open redirect would make phishing links look like ours.
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@bp.route("/signup", methods=["GET", "POST"])
def signup():
    if current_user.is_authenticated:
        return redirect(url_for("businesses.mine"))
    form = SignupForm()
    if form.validate_on_submit():
        # The same answer whether or not the address has an account: no enumeration.
        sign_up(form.name.data, form.email.data, form.password.data)
        return render_template("auth/check_inbox.html", email=form.email.data.strip(), purpose="signup",
                               next=_safe_next(request.args.get("next")))
    status = 422 if form.errors else 200
    return render_template("auth/signup.html", form=form), status


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("businesses.mine"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        blocked = throttle.blocked("login", form.email.data)
        if blocked:
            form.password.errors.append(blocked.message("Too many failed log-ins"))
            return render_template("auth/login.html", form=form), 429
        user = authenticate(form.email.data, form.password.data)
        if user is None:
            throttle.count("login", form.email.data)
            form.password.errors.append("Email or password is incorrect.")
        else:
            throttle.clear("login", form.email.data)
            return _after_password(user, form.remember.data)
    if form.errors:
        status = 422
    return render_template("auth/login.html", form=form), status


def _after_password(user: User, remember: bool):
    target = _safe_next(request.args.get("next")) or url_for("businesses.mine")
    if user.has_two_factor and not two_factor.device_is_trusted(
        user, request.cookies.get(two_factor.TRUSTED_DEVICE_COOKIE)
    ):
        session[PENDING_TWO_FACTOR] = {"user": str(user.id), "remember": bool(remember), "next": target,
                                       "at": int(utcnow().timestamp())}
        return redirect(url_for("auth.two_factor_login"))
    sessions.start(user, remember=remember)
    return redirect(target)


@bp.route("/login/two-factor", methods=["GET", "POST"])
def two_factor_login():
    pending = session.get(PENDING_TWO_FACTOR) or {}
    user_id = parse_uuid(pending.get("user"))
    user = db.session.get(User, user_id) if user_id else None
    # The password step is good for 10 minutes.
    if user is None or utcnow().timestamp() - int(pending.get("at") or 0) > 600:
        session.pop(PENDING_TWO_FACTOR, None)
        flash("Please log in again.", "info")
        return redirect(url_for("auth.login"))
    form = TwoFactorLoginForm()
    status = 200
    if form.validate_on_submit():
        blocked = throttle.blocked("two_factor", user.email)
        if blocked:
            form.code.errors.append(blocked.message("Too many wrong codes"))
            return render_template("auth/two_factor_login.html", form=form), 429
        code = form.code.data.strip()
        used_recovery = False
        ok = two_factor.check_code(user, code)
        if not ok:
            ok = used_recovery = two_factor.use_recovery_code(user, code)
        if not ok:
            throttle.count("two_factor", user.email)
            form.code.errors.append("That code is not valid. Use a current code or an unused recovery code.")
        else:
            db.session.commit()
            throttle.clear("two_factor", user.email)
            session.pop(PENDING_TWO_FACTOR, None)
            sessions.start(user, remember=pending.get("remember", False))
            if used_recovery:
                left = two_factor.remaining_recovery_codes(user)
                flash(f"You used a recovery code; {left} left. Create new ones on your security page if you are low.",
                      "warning")
            response = redirect(_safe_next(pending.get("next")) or url_for("businesses.mine"))
            if form.remember_device.data:
                from flask import current_app

                response.set_cookie(
                    two_factor.TRUSTED_DEVICE_COOKIE, two_factor.trusted_device_value(user),
                    max_age=current_app.config["TRUSTED_DEVICE_DAYS"] * 86400, httponly=True, samesite="Lax",
                    secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")),
                )
            return response
    if form.errors:
        status = 422
    return render_template("auth/two_factor_login.html", form=form), status


@bp.post("/logout")
@login_required
def logout():
    sessions.end(current_user)
    logout_user()
    flash("You have been logged out.", "info")
    return redirect(url_for("main.index"))


@bp.route("/forgot-password", methods=["GET", "POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        blocked = throttle.blocked("reset", None)
        if blocked:
            form.email.errors.append(blocked.message("Too many reset requests from your network"))
            return render_template("auth/forgot_password.html", form=form), 429
        request_password_reset(form.email.data)
        return render_template("auth/check_inbox.html", email=form.email.data.strip(), purpose="reset")
    return render_template("auth/forgot_password.html", form=form), (422 if form.errors else 200)


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
def reset(token: str):
    user = user_for_reset_token(token)
    if user is None:
        return render_template("auth/reset_invalid.html"), 404
    form = ResetPasswordForm()
    if form.validate_on_submit():
        reset_password(user, form.password.data)
        if current_user.is_authenticated:
            logout_user()
        flash("Your password was changed and every session was logged out. Log in with the new password.", "success")
        return redirect(url_for("auth.login"))
    return render_template("auth/reset_password.html", form=form), (422 if form.errors else 200)


@bp.get("/verify-email/<token>")
def verify(token: str):
    user = verify_email(token)
    if user is None:
        return render_template("auth/reset_invalid.html", verify=True), 404
    flash("Your email address is confirmed. You can now buy a package.", "success")
    if current_user.is_authenticated:
        return redirect(url_for("businesses.mine"))
    return redirect(url_for("auth.login", next=request.args.get("next") or None))


@bp.post("/verify-email/resend")
@login_required
def resend_verification():
    if current_user.is_verified:
        flash("Your email address is already confirmed.", "info")
        return redirect(_safe_next(request.form.get("next")) or url_for("businesses.mine"))
    blocked = throttle.blocked("verify", current_user.email)
    if blocked:
        flash(blocked.message("We already sent several confirmation emails"), "error")
    else:
        throttle.count("verify", current_user.email)
        send_verification(current_user)
        db.session.commit()
        flash(f"We sent a new confirmation link to {current_user.email}.", "success")
    return redirect(_safe_next(request.form.get("next")) or url_for("businesses.mine"))


__all__ = ["bp", "find_user_by_email"]
