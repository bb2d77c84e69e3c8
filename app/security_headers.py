"""Security headers on every response.

A Content-Security-Policy without inline script (behaviours live in
static/js/app.js), framing refused everywhere except the chat widget (which
sends its own policy with the owner's allowed origins), nosniff, a referrer
policy, HSTS where HTTPS is guaranteed (HSTS_SECONDS, production), and no
server or Python version in `Server`. Styles may still be inline: the pages
use style attributes, and styles cannot run code.
"""
from __future__ import annotations

from flask import Flask
from werkzeug.serving import WSGIRequestHandler

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "frame-ancestors 'none'",
])


def _server_name(_handler) -> str:
    return "AlphaSite"


def init_app(app: Flask) -> None:
    # The development/test server would otherwise announce "Werkzeug/x Python/y".
    WSGIRequestHandler.version_string = _server_name

    @app.after_request
    def add_security_headers(response):
        headers = response.headers
        # Pages that set their own policy (the widget's allow-listed framing) keep it.
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        if "frame-ancestors" not in headers["Content-Security-Policy"]:
            headers["Content-Security-Policy"] += "; frame-ancestors 'none'"
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        if "frame-ancestors 'none'" in headers["Content-Security-Policy"]:
            headers.setdefault("X-Frame-Options", "DENY")  # browsers without CSP level 2
        if app.config.get("HSTS_SECONDS"):
            headers.setdefault("Strict-Transport-Security", f"max-age={app.config['HSTS_SECONDS']}; includeSubDomains")
        headers.pop("Server", None)
        return response
