from __future__ import annotations

from flask import Blueprint, jsonify, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import text

from app.extensions import db
from app.jobs import get_queue

from app.teams.access import businesses_for

bp = Blueprint("main", __name__)

# Areas that talk to other services add a check here: name -> callable returning a dict.
health_checks: dict = {}


@bp.get("/")
def index():
    if current_user.is_authenticated and businesses_for(current_user):
        return redirect(url_for("businesses.mine"))
    return render_template("main/index.html")


@bp.get("/healthz")
def healthz():
    body = {"status": "ok"}
    try:
        db.session.execute(text("SELECT 1"))
        body["database"] = {"status": "ok", "dialect": db.engine.dialect.name}
    except Exception as exc:
        db.session.rollback()
        body["database"] = {"status": "error", "error": type(exc).__name__}
        body["status"] = "error"
    body["queue"] = get_queue().health()
    for name, check in health_checks.items():
        body[name] = check()
    if body["queue"].get("status") != "ok" and body["status"] == "ok":
        body["status"] = "degraded"
    return jsonify(body), (503 if body["database"]["status"] != "ok" else 200)
