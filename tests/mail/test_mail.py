"""The mail path: queued in the caller's transaction, delivered by a job (outbox or SMTP), once per key."""
import smtplib

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.mail import send_email
from app.mail.services import sweep_queued_emails
from app.models import EmailStatus, OutboundEmail


@pytest.fixture
def mail_template(tmp_path, app):
    # A test-only template, so these tests do not depend on any feature's mails.
    from jinja2 import ChoiceLoader, DictLoader

    original = app.jinja_loader
    app.jinja_env.loader = ChoiceLoader([
        DictLoader({
            "mail/test/hello.subject.txt": "Hello {{ name }}\n",
            "mail/test/hello.txt": "Hi {{ name }}, open {{ link }}\n",
            "mail/test/hello.html": "<p>Hi {{ name }}, <a href=\"{{ link }}\">open</a></p>",
        }),
        original,
    ])
    yield "test/hello"
    app.jinja_env.loader = original


def count():
    return db.session.scalar(select(func.count(OutboundEmail.id)))


def test_a_committed_mail_is_delivered_to_the_outbox_and_listed(app, client, mail_template, run_jobs):
    send_email("ann@example.com", mail_template, name="Ann", link="http://localhost/reset/abc")
    db.session.commit()
    run_jobs()
    email = db.session.scalar(select(OutboundEmail))
    db.session.refresh(email)
    assert email.status == EmailStatus.SENT and email.subject == "Hello Ann"
    assert "http://localhost/reset/abc" in email.text_body and "<a href" in email.html_body
    page = client.get("/dev/outbox").get_data(as_text=True)
    assert "Hello Ann" in page
    detail = client.get(f"/dev/outbox/{email.id}").get_data(as_text=True)
    assert 'href="http://localhost/reset/abc"' in detail
    assert client.get("/dev/outbox/not-a-uuid").status_code == 404


def test_a_rolled_back_change_sends_nothing(app, mail_template, run_jobs):
    send_email("ann@example.com", mail_template, name="Ann", link="x")
    db.session.rollback()
    run_jobs()
    assert count() == 0


def test_one_mail_per_idempotency_key(app, mail_template, run_jobs):
    for _ in range(3):
        send_email("ann@example.com", mail_template, idempotency_key="message:1:owner", name="Ann", link="x")
        db.session.commit()
    run_jobs()
    assert count() == 1


def test_smtp_delivery_retries_then_records_the_failure(app, mail_template, run_jobs, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_BACKEND", "smtp")
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", 9)  # nothing listens: connection refused
    send_email("ann@example.com", mail_template, name="Ann", link="x")
    db.session.commit()
    run_jobs()
    email = db.session.scalar(select(OutboundEmail))
    db.session.refresh(email)
    assert email.status == EmailStatus.FAILED
    assert email.attempts == len(app.config["JOB_RETRY_INTERVALS"]) + 1
    assert "MailDeliveryError" in email.error


def test_smtp_delivery_sends_text_and_html(app, mail_template, run_jobs, monkeypatch):
    sent = []

    class FakeSMTP:
        def __init__(self, host, port, timeout):
            sent.append(("connect", host, port))

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def starttls(self):
            sent.append(("starttls",))

        def login(self, user, password):
            sent.append(("login", user))

        def send_message(self, message):
            sent.append(("message", message))

    monkeypatch.setattr(smtplib, "SMTP", FakeSMTP)
    monkeypatch.setitem(app.config, "MAIL_BACKEND", "smtp")
    monkeypatch.setitem(app.config, "MAIL_SERVER", "smtp.example.com")
    monkeypatch.setitem(app.config, "MAIL_USERNAME", "mailer")
    send_email("ann@example.com", mail_template, name="Ann", link="x")
    db.session.commit()
    run_jobs()
    message = next(item[1] for item in sent if item[0] == "message")
    assert ("starttls",) in sent and ("login", "mailer") in sent
    assert message["To"] == "ann@example.com" and message["Subject"] == "Hello Ann"
    assert {part.get_content_type() for part in message.iter_parts()} == {"text/plain", "text/html"}


def test_the_sweep_delivers_mail_whose_job_was_lost(app, mail_template, run_jobs, clock, monkeypatch):
    queue = app.extensions["job_queue"]

    def redis_down(*args, **kwargs):
        raise ConnectionError("Redis is down")

    monkeypatch.setattr(queue, "enqueue", redis_down)
    send_email("ann@example.com", mail_template, name="Ann", link="x")
    db.session.commit()  # the commit succeeds; only the enqueue is lost
    monkeypatch.undo()
    run_jobs()
    assert db.session.scalar(select(OutboundEmail.status)) == EmailStatus.QUEUED
    clock.advance(minutes=5)
    assert sweep_queued_emails() == 1
    run_jobs()
    assert db.session.scalar(select(OutboundEmail.status)) == EmailStatus.SENT


def test_production_refuses_smtp_without_a_server(monkeypatch):
    from app.config import ProductionConfig

    from app.config import REQUIRED_SECRETS

    values = {name: "set" for name in REQUIRED_SECRETS}
    values.update({"SQLALCHEMY_DATABASE_URI": "postgresql://x", "MAIL_BACKEND": "smtp", "MAIL_SERVER": None,
                   "MAIL_DEFAULT_SENDER": "a@b.c"})
    with pytest.raises(RuntimeError, match="MAIL_SERVER"):
        ProductionConfig.fill_secrets(values)
