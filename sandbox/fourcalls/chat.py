"""Website chat with a coordinator, answered as a Server-Sent Events stream."""
from __future__ import annotations

import json
import time

from flask import Blueprint, Response, jsonify

from .auth import visible
from .chat_brain import ChatActionFailed, Conversation
from .errors import ApiError, conflict, invalid, not_found
from .params import json_body
from .runtime import new_id, new_record, runtime

bp = Blueprint("chat", __name__)


def _session_key(coordinator_id: str, session_id: str) -> str:
    return f"{coordinator_id}/{session_id}"


def _load_or_start_session(coordinator: dict, session_id: str | None) -> dict:
    store = runtime().store
    if session_id:
        existing = store.get("chat_sessions", _session_key(coordinator["id"], session_id))
        if existing:
            return existing
    session_id = session_id or new_id("chs")
    session = new_record("chs", coordinator["organization_id"])
    session.update({"id": _session_key(coordinator["id"], session_id), "session_id": session_id,
                    "coordinator_id": coordinator["id"], "contact_id": None, "visitor": {}, "_state": {}})
    store.insert("chat_sessions", session)
    return session


def _record_message(session: dict, role: str, text: str, actions: list) -> dict:
    message = new_record("cmsg", session["organization_id"])
    message.update({"session_id": session["id"], "role": role, "text": text, "actions": actions})
    runtime().store.insert("chat_messages", message)
    return message


def _sse(event: str, data: dict) -> str:
    return f"event: {event}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"


def _tokens(text: str) -> list[str]:
    words = text.split(" ")
    return [w + " " for w in words[:-1]] + [words[-1]] if words else []


@bp.post("/coordinators/<coordinator_id>/chat")
def chat(coordinator_id):
    coordinator = visible("coordinators", coordinator_id, "coordinator")
    body = json_body("ChatRequest")
    if not (body.get("message") or "").strip() and not body.get("action"):
        raise invalid({"message": "is required unless action is given"})
    if coordinator["status"] != "active":
        raise conflict("This coordinator is retired.", reason="coordinator_retired")
    rt = runtime()
    org = rt.store.get("organizations", coordinator["organization_id"])
    if org["status"] != "active":
        raise conflict("The organization is suspended.", reason="organization_suspended")
    message = (body.get("message") or "").strip()
    failure, reply = None, None
    try:
        with rt.store.transaction():
            session = _load_or_start_session(coordinator, body.get("session_id"))
            _record_message(session, "visitor", message or f"[{body['action']['type']}]", [])
            reply = Conversation(org, coordinator, session).respond(message, body.get("visitor"),
                                                                    body.get("action"))
            answer = _record_message(session, "assistant", reply.text, reply.actions)
            rt.store.save("chat_sessions", session)
    except ChatActionFailed as refused:
        failure = refused.error
    except ApiError:
        raise
    except Exception as exc:  # reported in-stream, as the contract promises
        failure = ApiError("internal", f"The coordinator could not answer: {type(exc).__name__}.")
    delay = rt.options.chat_token_delay_ms / 1000.0
    rng = rt.rng
    # Built now: the generator below runs after the request context is gone.
    failure_event = failure.payload()["error"] if failure is not None else None

    def stream():
        if failure_event is not None:
            yield _sse("error", failure_event)
            return
        for token in _tokens(reply.text):
            yield _sse("token", {"text": token})
            time.sleep(delay * rng.uniform(0.5, 1.5))
        for action in reply.actions:
            yield _sse("action", action)
        done = {"message_id": answer["id"], "session_id": session["session_id"]}
        if reply.unanswered_question:
            done["unanswered_question"] = reply.unanswered_question
        if reply.knowledge_source_ids:
            done["knowledge_source_ids"] = reply.knowledge_source_ids
        yield _sse("done", done)

    return Response(stream(), mimetype="text/event-stream",
                    headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


def public_session(session: dict) -> dict:
    messages = runtime().store.find("chat_messages", "session_id = ?", (session["id"],),
                                    order="created_at, id")
    return {
        "id": session["session_id"], "organization_id": session["organization_id"],
        "coordinator_id": session["coordinator_id"], "contact_id": session["contact_id"],
        "visitor": session["visitor"],
        "messages": [{k: m[k] for k in ("id", "role", "text", "actions", "created_at")} for m in messages],
        "created_at": session["created_at"], "updated_at": session["updated_at"],
    }


@bp.get("/coordinators/<coordinator_id>/chat-sessions/<session_id>")
def get_session(coordinator_id, session_id):
    coordinator = visible("coordinators", coordinator_id, "coordinator")
    session = runtime().store.get("chat_sessions", _session_key(coordinator["id"], session_id))
    if session is None:
        raise not_found("chat session")
    return jsonify(public_session(session))
