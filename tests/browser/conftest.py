"""Playwright against a live server on a free port, in Debian's Chromium."""
from __future__ import annotations

import os
import re
import shutil
import threading
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

# Re-exported: browser tests import free_port from here.
from sandbox.fourcalls.testing import free_port  # noqa: F401

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"


class LiveServer:
    def __init__(self, app, port):
        self.app = app
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self._server = make_server("127.0.0.1", port, app, threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self):
        self._thread.start()

    def stop(self):
        self._server.shutdown()
        # Jobs still waiting (a reminder due in an hour, a retry's backoff) would
        # otherwise start later in this test process, after the site's database
        # and sandboxes are gone, and log their failures into other tests' output.
        queue = self.app.extensions.get("job_queue")
        if hasattr(queue, "close"):
            queue.close()


_migrated_sqlite_template: Path | None = None


def _copy_of_migrated_sqlite(tmp_path) -> str:
    """A SQLite file at the head migration. Running all migrations costs ~10 s
    (SQLite rebuilds a table for each ALTER), so they run once per test process
    into a template, and each live app gets a copy of it (upgrade() then finds
    it at head)."""
    global _migrated_sqlite_template
    if _migrated_sqlite_template is None:
        import tempfile

        from flask_migrate import upgrade

        from app import create_app
        from app.config import TestingConfig

        template = Path(tempfile.mkdtemp(prefix="browser-schema-")) / "migrated.sqlite3"
        with create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=f"sqlite:///{template}").app_context():
            upgrade()
            from app.extensions import db

            # Closing the last connection folds the write-ahead log into the
            # file, so the copies below hold every migration.
            db.engine.dispose()
        _migrated_sqlite_template = template
    target = tmp_path / "browser.sqlite3"
    shutil.copyfile(_migrated_sqlite_template, target)
    return f"sqlite:///{target}"


def build_live_app(tmp_path, **overrides):
    """A fresh app on its own database, migrated with Alembic as production is."""
    from flask_migrate import upgrade

    from app import create_app
    from app.config import TestingConfig
    from app.extensions import db

    database_url = os.environ.get("TEST_BROWSER_DATABASE_URL") or _copy_of_migrated_sqlite(tmp_path)
    port = overrides.pop("port", None) or free_port()
    settings = dict(
        SQLALCHEMY_DATABASE_URI=database_url,
        WTF_CSRF_ENABLED=True,
        JOB_BACKEND="in-process",
        JOB_RETRY_INTERVALS=[1, 2, 4],
        PUBLIC_BASE_URL=f"http://127.0.0.1:{port}",
        LOGIN_RATE_LIMIT="100 per minute",
    )
    settings.update(overrides)
    app = create_app(TestingConfig, **settings)
    with app.app_context():
        if database_url.startswith("postgresql"):
            db.drop_all()
            with db.engine.begin() as conn:
                conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
        upgrade()
        from app.demo import seed_demo
        from app.packages.services import sync_catalog

        sync_catalog()
        seed_demo()
    return app, port


@pytest.fixture(scope="module")
def live_server(tmp_path_factory):
    app, port = build_live_app(tmp_path_factory.mktemp("live"))
    server = LiveServer(app, port)
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: `make test` installs it (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-dev-shm-usage"],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, request):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def shot(page, request):
    """shot("name") saves a full-page screenshot under tests/artifacts/<test>/."""
    folder = ARTIFACTS / re.sub(r"[^\w.-]+", "_", request.node.name)
    folder.mkdir(parents=True, exist_ok=True)
    counter = {"n": 0}

    def _shot(name: str, target=None):
        counter["n"] += 1
        path = folder / f"{counter['n']:02d}-{name}.png"
        (target or page).screenshot(path=str(path), full_page=True)
        return path

    return _shot


@contextmanager
def owned_demo_site(folder, owner: tuple[str, str, str], package: str, prepare=None, **overrides):
    """The demo site beside its own 4calls sandbox, running: the claimed demo
    business belongs to a new user `owner` = (name, email, password) and is
    provisioned with `package`. `prepare(business)` adds a test's own rows
    (in the app context; committed) before the server starts."""
    from app.auth.services import register_user
    from app.demo import CLAIMED_DEMO_SLUG
    from app.extensions import db
    from app.models import Business
    from sandbox.fourcalls.testing import running_fourcalls
    from tests.fourcalls_helpers import provision

    with running_fourcalls(folder / "fourcalls") as fourcalls:
        app, port = build_live_app(folder, FOURCALLS_API_URL=fourcalls.url, FOURCALLS_MAX_ATTEMPTS=1, **overrides)
        with app.app_context():
            business = db.session.scalar(select(Business).where(Business.slug == CLAIMED_DEMO_SLUG))
            business.owner_id = register_user(*owner).id
            db.session.commit()
            provision(business, package=package)
            if prepare is not None:
                prepare(business)
            db.session.commit()
        server = LiveServer(app, port)
        server.start()
        try:
            yield server
        finally:
            server.stop()


def add_contacts(business, people) -> dict[str, object]:
    """Contacts from (name, phone, email, tags[, custom fields]) rows; name -> contact."""
    from app.extensions import db
    from app.models import Contact, ContactTag

    added = {}
    for name, phone, email, tags, *custom in people:
        contact = Contact(business_id=business.id, name=name, phone=phone, email=email, source="manual",
                          custom_fields=custom[0] if custom else {})
        db.session.add(contact)
        db.session.flush()
        db.session.add_all([ContactTag(contact_id=contact.id, tag=t, business_id=business.id) for t in tags])
        added[name] = contact
    return added


def connect_sandbox_organization(app, business, package: str, *, active_for_days: int, timezone_name: str = "UTC",
                                 webhook_url: str | None = None) -> dict:
    """A 4calls organization created on the sandbox and stored as the business's
    active integration, as provisioning leaves it, without running provisioning
    (a test that needs only the organization's data). Returns the organization."""
    from datetime import datetime, timedelta, timezone

    from app.fourcalls import platform_client
    from app.encryption import encrypt
    from app.extensions import db
    from app.models import FourCallsIntegration, IntegrationStatus

    details = {"name": business.name, "timezone": timezone_name}
    if webhook_url:
        details["webhook_url"] = webhook_url
    organization = platform_client().create_organization(details)
    db.session.add(FourCallsIntegration(
        business_id=business.id, organization_id=organization["id"],
        api_key=encrypt(organization["api_key"], app.config["ENCRYPTION_KEYS"]),
        service_package=package, status=IntegrationStatus.ACTIVE,
        activated_at=datetime.now(timezone.utc) - timedelta(days=active_for_days),
    ))
    return organization
