"""Questions the assistant could not answer, as 4calls reports them per call
(`unanswered_questions`), and "add to FAQ", which answers them for good."""
from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select

from app.extensions import db
from app.models import Business, Call, CallQuestion
from app.crm_sync.bulk import in_list
from app.crm_sync.upserts import parse_timestamp

MAX_QUESTION_LENGTH = 500
MAX_ANSWER_LENGTH = 1000


def question_key(text: str) -> str:
    """"Do you offer gift cards?" and "do you offer gift cards" are one question."""
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()[:255]


def replace_call_questions(business: Business, rows: list[dict], written_ids: list[str],
                           local_ids: dict | None = None, inserted_ids: list[str] = ()) -> None:
    """Store the unanswered questions of the calls just written (replacing what
    an older version of the call said). Part of the call upsert's transaction.
    `local_ids` ({4calls id: call id}, from the upsert) saves reading them;
    `inserted_ids`, the calls this transaction inserted, have nothing to replace."""
    if not written_ids:
        return
    written = set(written_ids)
    replaced = written.difference(inserted_ids)
    if replaced:
        db.session.execute(delete(CallQuestion).where(CallQuestion.business_id == business.id,
                                                      in_list(CallQuestion.call_remote_id, replaced)))
    asked = [row for row in rows if row["id"] in written and row.get("unanswered_questions")]
    if not asked:
        return
    if local_ids is None:
        local_ids = dict(db.session.execute(select(Call.remote_id, Call.id).where(
            Call.business_id == business.id, Call.remote_id.in_([row["id"] for row in asked]))).all())
    values = []
    for row in asked:
        for text in row["unanswered_questions"]:
            text = str(text or "").strip()[:MAX_QUESTION_LENGTH]
            if not question_key(text):
                continue
            values.append({"id": uuid.uuid4(), "business_id": business.id, "call_id": local_ids.get(row["id"]),
                           "call_remote_id": row["id"], "source": "call",
                           "asked_at": parse_timestamp(row.get("started_at")), "question": text,
                           "question_key": question_key(text)})
    if values:
        db.session.execute(CallQuestion.__table__.insert(), values)


def record_chat_question(business: Business, session_id: str, text: str) -> None:
    """A chat question 4calls could not answer (its stream's `done` event says so)."""
    from app.models.base import utcnow

    text = text.strip()[:MAX_QUESTION_LENGTH]
    if question_key(text):
        db.session.add(CallQuestion(business_id=business.id, call_id=None, call_remote_id=str(session_id)[:64],
                                    source="chat", asked_at=utcnow(), question=text,
                                    question_key=question_key(text)))


@dataclass
class OpenQuestion:
    key: str
    question: str
    times_asked: int
    last_asked_at: datetime
    last_call_id: uuid.UUID | None


def open_questions(business: Business, start: datetime, end: datetime, limit: int = 50) -> list[OpenQuestion]:
    """Unanswered questions asked in [start, end), most asked first, leaving
    out those the business's FAQ now answers."""
    answered = {question_key(entry.get("question") or "") for entry in business.faq or []}
    rows = db.session.execute(
        select(CallQuestion.question_key, func.min(CallQuestion.question), func.count(),
               func.max(CallQuestion.asked_at))
        .where(CallQuestion.business_id == business.id, CallQuestion.asked_at >= start, CallQuestion.asked_at < end)
        .group_by(CallQuestion.question_key)
        .order_by(func.count().desc(), func.max(CallQuestion.asked_at).desc())
        .limit(limit + len(answered))
    ).all()
    keys = [row[0] for row in rows if row[0] not in answered][:limit]
    latest = {}
    if keys:
        for key, call_id in db.session.execute(
            select(CallQuestion.question_key, CallQuestion.call_id)
            .where(CallQuestion.business_id == business.id, CallQuestion.question_key.in_(keys))
            .order_by(CallQuestion.asked_at)
        ):
            latest[key] = call_id
    return [OpenQuestion(key=row[0], question=row[1], times_asked=row[2], last_asked_at=row[3],
                         last_call_id=latest.get(row[0]))
            for row in rows if row[0] in keys]


class FaqError(ValueError):
    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(errors.values()))
        self.errors = errors


def add_to_faq(business: Business, question: str, answer: str) -> dict:
    """Append a question and its answer to the business's FAQ (or replace the
    answer of the same question), commit, and push the profile to 4calls
    through the organization push every profile edit uses."""
    from app.businesses.services import profile_changed

    question, answer = (question or "").strip(), (answer or "").strip()
    errors = {}
    if not question_key(question):
        errors["question"] = "Enter the question."
    elif len(question) > MAX_QUESTION_LENGTH:
        errors["question"] = f"Keep the question under {MAX_QUESTION_LENGTH} characters."
    if not answer:
        errors["answer"] = "Write the answer your assistant should give."
    elif len(answer) > MAX_ANSWER_LENGTH:
        errors["answer"] = f"Keep the answer under {MAX_ANSWER_LENGTH} characters."
    faq = [dict(entry) for entry in business.faq or []]
    if not errors and len(faq) >= 30 and all(question_key(e.get("question") or "") != question_key(question) for e in faq):
        errors["question"] = "The FAQ holds 30 questions; remove one on the Profile page first."
    if errors:
        raise FaqError(errors)
    entry = {"question": question, "answer": answer}
    for index, existing in enumerate(faq):
        if question_key(existing.get("question") or "") == question_key(question):
            faq[index] = entry
            break
    else:
        faq.append(entry)
    business.faq = faq
    from app.audit.services import record

    record("faq.added_from_analytics", business=business, actor=_actor(), target_type="faq",
           target_label=question[:200], after=entry)
    db.session.commit()
    profile_changed.send(business)
    return entry


def _actor():
    from flask import has_request_context
    from flask_login import current_user

    return current_user if has_request_context() and current_user.is_authenticated else None
