"""Flask app factory of the Stripe sandbox."""

from __future__ import annotations

import logging
from typing import Optional

from flask import Flask

from .config import SandboxConfig
from .services import Sandbox


def create_app(config: Optional[SandboxConfig] = None, start_background: bool = True) -> Flask:
    config = config or SandboxConfig.from_env()
    app = Flask("sandbox.stripe")
    # Stripe bodies are small, but a hard cap keeps a runaway client from filling memory.
    app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024
    sandbox = Sandbox(config)
    app.extensions["stripe_sandbox"] = sandbox

    from . import api_billing, api_catalog, search  # noqa: F401  (their routes register on the v1 blueprint)
    from .admin import admin
    from .pages import pages
    from .v1 import install, v1

    install(app)
    app.register_blueprint(v1)
    app.register_blueprint(pages)
    app.register_blueprint(admin)
    if start_background:
        sandbox.start()
    logging.getLogger("sandbox.stripe").setLevel(logging.INFO)
    return app
