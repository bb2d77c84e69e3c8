from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from flask_wtf.csrf import CSRFError

MESSAGES = {
    400: ("Bad request", "The request could not be understood."),
    403: ("Forbidden", "You are not allowed to do that."),
    404: ("Not found", "We couldn't find that page."),
    405: ("Method not allowed", "That action isn't available here."),
    413: ("Too large", "That upload is too large. The maximum is {limit}."),
    429: ("Slow down", "Too many attempts. Please wait a minute and try again."),
    500: ("Something went wrong", "An unexpected error occurred. It has been logged."),
    503: ("Unavailable", "The service is temporarily unavailable."),
}


def _wants_json() -> bool:
    return request.path.startswith(("/api/", "/webhooks/")) or (
        request.accept_mimetypes.best == "application/json"
    )


def error_response(status: int, message: str | None = None):
    from flask import current_app

    title, default = MESSAGES.get(status, ("Error", "Something went wrong."))
    limit_mb = current_app.config.get("MAX_CONTENT_LENGTH", 0) // (1024 * 1024)
    # Only our own default is a template: a message may quote what the user
    # sent (a form field's name), and "{" there must not be read as one.
    text = message or default.format(limit=f"{limit_mb} MB")
    if _wants_json():
        return jsonify(error={"status": status, "message": text}), status
    return render_template("errors/error.html", status=status, title=title, message=text), status


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return error_response(
            400, "Your form expired or could not be verified. Reload the page and try again."
        )

    def handle_http_error(error):
        status = getattr(error, "code", 500) or 500
        # abort(400, "explanation") carries a message meant for the user;
        # werkzeug's stock descriptions are replaced with friendlier ones.
        custom = error.description if error.description != type(error).description else None
        return error_response(status, custom)

    for status in MESSAGES:
        app.register_error_handler(status, handle_http_error)

    from sqlalchemy.exc import DBAPIError

    @app.errorhandler(DBAPIError)
    def database_unavailable(error):
        # A lost connection (PostgreSQL restarting) is a short outage, not a bug:
        # 503 with Retry-After, rendered without touching the database again.
        # The pool drops the dead connections (app/idle_ping.py checks one idle
        # for a second or more before handing it out), so the next request recovers.
        if not getattr(error, "connection_invalidated", False) and not _is_disconnect(error):
            raise error
        from app.extensions import db

        db.session.rollback()
        app.logger.warning("database unavailable: %s", type(error.orig).__name__ if error.orig else error)
        title, text = MESSAGES[503]
        if _wants_json():
            response = jsonify(error={"status": 503, "message": text})
        else:
            response = app.response_class(
                f"<!doctype html><title>{title}</title><h1>{title}</h1><p>{text} Please try again in a few seconds.</p>",
                mimetype="text/html",
            )
        response.status_code = 503
        response.headers["Retry-After"] = "5"
        return response


def _is_disconnect(error) -> bool:
    """True for errors that mean the database went away (OperationalError from
    psycopg or sqlite3 "unable to open"), not for a bad query."""
    from sqlalchemy.exc import InterfaceError, OperationalError

    return isinstance(error, (OperationalError, InterfaceError))
