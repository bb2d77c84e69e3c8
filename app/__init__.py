"""AlphaSite AI Services: the application factory."""
from __future__ import annotations

import logging
from flask import Flask

from app.config import BASE_DIR, INSTANCE_DIR, config_from_environment
from app.extensions import csrf, db, limiter, login_manager, migrate


def create_app(config: type | None = None, **overrides) -> Flask:
    """Build the app from a config class (by default the one APP_ENV names),
    with keyword overrides on top, as flaskr's `create_app(test_config)`."""
    app = Flask(
        __name__,
        template_folder=str(BASE_DIR / "templates"),
        static_folder=str(BASE_DIR / "static"),
        instance_path=str(INSTANCE_DIR),
    )
    from app.validation import StrictJSONProvider

    app.json = StrictJSONProvider(app)  # before anything (Jinja's tojson) binds the default one
    config_class = config or config_from_environment()
    app.config.from_object(config_class)
    app.config.update(overrides)
    config_class.fill_secrets(app.config)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        raise RuntimeError("DATABASE_URL is not set")
    app.config["SQLALCHEMY_DATABASE_URI"] = _normalise_database_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {}

    _configure_logging(app)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(BASE_DIR / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please log in to continue."
    login_manager.login_message_category = "info"

    from app import models  # noqa: F401  (registers every table)
    from app.jobs.queue import init_queue

    init_queue(app)
    _register_blueprints(app)
    from app.assistant.connection import init_app as init_fourcalls

    init_fourcalls(app)

    from app.cli import register_cli
    from app.errors import register_error_handlers
    from app.navigation import register_template_helpers

    register_error_handlers(app)
    register_template_helpers(app)
    from app.templating import register_filters

    register_filters(app)
    # -- accounts and hardening (issue 12)
    from app import security_headers
    from app.validation import install_request_guard, install_text_guard

    from app.auth import sessions as login_sessions

    security_headers.init_app(app)
    install_request_guard(app)  # first: the user loader may read the URL's slug
    login_sessions.init_app(app)
    install_text_guard()
    register_cli(app)
    _configure_sqlite(app)
    _configure_postgresql(app)
    # -- scale (issue 17): the dashboard's "nothing new" polls answered from a change mark
    from app.dashboard import live_feed

    live_feed.init_app(app)
    from app.webhooks import receiver as webhook_receiver

    webhook_receiver.init_app(app)
    _trust_proxies(app)
    return app


def _trust_proxies(app: Flask) -> None:
    """Outermost, so the fast paths above see the client's address too."""
    count = app.config.get("TRUSTED_PROXY_COUNT") or 0
    if count:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count)


def _register_blueprints(app: Flask) -> None:
    from app.admin.routes import bp as admin_bp
    from app.assistant.routes import bp as assistant_bp
    from app.webhooks.routes import bp as webhooks_bp

    for blueprint in (admin_bp, assistant_bp, webhooks_bp):
        app.register_blueprint(blueprint)
    from app.auth.routes import bp as auth_bp
    from app.businesses.routes import bp as businesses_bp
    from app.main.routes import bp as main_bp
    from app.packages.routes import bp as packages_bp
    from app.contacts.routes import bp as contacts_bp
    from app.appointments.routes import bp as appointments_bp

    for blueprint in (main_bp, auth_bp, businesses_bp, packages_bp, contacts_bp, appointments_bp):
        app.register_blueprint(blueprint)
    from app.appointments.staff_routes import bp as scheduling_bp  # -- advanced scheduling (issue 19)

    app.register_blueprint(scheduling_bp)
    from app.chat.routes import bp as chat_bp
    from app.chat.widget_routes import bp as widget_bp

    app.register_blueprint(chat_bp)
    app.register_blueprint(widget_bp)
    from app.billing.routes import bp as billing_bp

    app.register_blueprint(billing_bp)
    from app.calls.routes import bp as calls_bp
    from app.dashboard.routes import bp as dashboard_bp
    from app.crm_sync.events import register as register_sync_event_handlers

    app.register_blueprint(dashboard_bp)
    app.register_blueprint(calls_bp)
    # -- accounts and teams (issue 12)
    from app.audit.routes import bp as audit_bp
    from app.auth.account_routes import bp as account_bp
    from app.chat.embed_refusals import bp as embed_refusals_bp
    from app.teams.routes import bp as team_bp

    for blueprint in (audit_bp, account_bp, embed_refusals_bp, team_bp):
        app.register_blueprint(blueprint)
    if app.config.get("DEV_OUTBOX_ENABLED"):
        from app.mail.routes import bp as dev_outbox_bp

        app.register_blueprint(dev_outbox_bp)
    register_sync_event_handlers()  # 4calls webhooks -> local CRM tables
    # -- operator console (issue 16): rollout waitlist and the owners' satisfaction rating
    from app.rollout.routes import bp as rollout_bp
    from app.satisfaction.routes import bp as satisfaction_bp
    from app.satisfaction.routes import owner_prompts

    app.register_blueprint(rollout_bp)
    app.register_blueprint(satisfaction_bp)
    app.jinja_env.globals["owner_prompts"] = owner_prompts
    # -- messages taken and notifications (issue 13)
    from app.notifications.routes import bp as notifications_bp
    from app.taken_messages.routes import bp as taken_messages_bp

    app.register_blueprint(taken_messages_bp)
    app.register_blueprint(notifications_bp)
    # -- leads and messaging (issue 15)
    from app.leads.routes import bp as leads_bp
    from app.messaging.events import register as register_messaging_event_handlers
    from app.messaging.routes import bp as messaging_bp

    app.register_blueprint(leads_bp)
    app.register_blueprint(messaging_bp)
    register_messaging_event_handlers()  # message.updated / message.received
    # -- analytics (issue 18)
    from app.analytics.public_routes import bp as analytics_public_bp
    from app.analytics.routes import bp as analytics_bp

    app.register_blueprint(analytics_bp)
    app.register_blueprint(analytics_public_bp)
    # -- custom integrations, help centre and support (issue 19)
    from app.admin.support_routes import bp as admin_support_bp
    from app.api.docs_routes import bp as api_docs_bp
    from app.api.routes import bp as api_bp
    from app.help.routes import bp as help_bp, register_helpers as register_help_helpers
    from app.integrations.events import init_app as init_outgoing_webhooks
    from app.integrations.routes import bp as integrations_bp
    from app.support.routes import bp as support_bp

    for blueprint in (api_bp, api_docs_bp, integrations_bp, help_bp, support_bp, admin_support_bp):
        app.register_blueprint(blueprint)
    register_help_helpers(app)
    init_outgoing_webhooks(app)
    # -- campaigns (issue 14)
    from app.campaigns.results import apply_dial_event
    from app.campaigns.routes import bp as campaigns_bp
    from app.do_not_contact.routes import bp as do_not_contact_bp
    from app.webhooks.services import FOURCALLS_EVENT_HANDLERS

    app.register_blueprint(campaigns_bp)
    app.register_blueprint(do_not_contact_bp)
    from app.contacts.consent_routes import bp as contact_consent_bp

    app.register_blueprint(contact_consent_bp)
    FOURCALLS_EVENT_HANDLERS["campaign.target.completed"] = apply_dial_event
    # -- knowledge base: custom AI training (issue 19)
    from app.knowledge.routes import bp as knowledge_bp

    app.register_blueprint(knowledge_bp)


def _normalise_database_url(url: str) -> str:
    # Hosting platforms hand out postgres:// URLs; SQLAlchemy wants the driver named.
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def _configure_sqlite(app: Flask) -> None:
    """Foreign keys on (SQLite leaves them off), and write-ahead logging with
    synchronous=NORMAL, SQLite's advice for an application database: readers
    no longer wait for a writer (the embedded app's web requests beside its
    in-process jobs), and a commit appends to the log instead of syncing the
    journal and the database to disk each time. A crash of the app loses
    nothing committed; a power cut may lose the last transactions, never the
    file's integrity.

    The log is folded back into the database (a checkpoint, which syncs the
    file) once it holds 16,000 pages (64 MB) instead of SQLite's 1,000: a sync
    commits after every page of 500 calls, and at 1,000 pages nearly every
    commit paid a checkpoint (bench/sync_throughput.py: 23 commits took
    0.44 s of a 10,000-call sync; 0.18 s at 16,000)."""
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        return
    from sqlalchemy import event

    with app.app_context():
        @event.listens_for(db.engine, "connect")
        def _on_connect(dbapi_connection, _record):
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")  # kept by the file; a no-op in memory
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA wal_autocheckpoint=16000")  # pages; see the docstring
            cursor.close()


def _configure_postgresql(app: Flask) -> None:
    """Transactions that only read end with COMMIT, so psycopg keeps its
    prepared statements (app/read_only_transactions.py); cursors describe
    their results only when asked (app/psycopg_cursor.py); a pooled
    connection is pinged only after sitting idle (app/idle_ping.py)."""
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        return
    from app.idle_ping import ping_connections_left_idle
    from app.psycopg_cursor import use_lazy_descriptions
    from app.read_only_transactions import end_reads_with_commit

    with app.app_context():
        end_reads_with_commit(db.engine)
        use_lazy_descriptions(db.engine)
        if not app.config["SQLALCHEMY_ENGINE_OPTIONS"].get("pool_pre_ping"):
            ping_connections_left_idle(db.engine, app.config["DATABASE_PING_AFTER_IDLE_SECONDS"])


def _configure_logging(app: Flask) -> None:
    if not app.logger.handlers or app.config.get("ENV_NAME") == "production":
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
