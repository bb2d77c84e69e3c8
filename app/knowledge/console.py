"""The "Test your assistant" console: a question goes to 4calls' knowledge test,
and the answer comes back as it is produced, with the sources it used.

The browser reads it as a Server-Sent Events stream (static/js/app.js,
`data-stream-answer`): `token` events carry text, `sources` carries the
rendered list of the sources used, `done` ends it and `error` says what went
wrong in plain words. Without JavaScript the form posts normally and the
whole answer is rendered into the page (`collect`).
"""
from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Iterator

from flask import render_template

from app.fourcalls import FourCallsError
from app.assistant.connection import organization_client
from app.fourcalls.errors import plain_words
from app.knowledge.services import get_source


@dataclass
class ConsoleAnswer:
    text: str = ""
    sources: list = field(default_factory=list)  # [(KnowledgeSource, score)]
    answered: bool = False
    error: str | None = None


def _cited(business, citations: list) -> list:
    """The business's own sources named in 4calls' citations (matched by external_id = our id)."""
    found = []
    for citation in citations or []:
        try:
            source_id = uuid.UUID(str(citation.get("external_id")))
        except ValueError:
            continue
        source = get_source(business, source_id)
        if source is not None:
            found.append((source, float(citation.get("score") or 0)))
    return found


def _answer_parts(business, coordinator, question: str) -> Iterator[tuple[str, object]]:
    """("token", text) ..., ("sources", [(source, score)]), then ("done", answered) or ("error", message)."""
    if not coordinator.fourcalls_id:
        yield "error", "This assistant is still being set up. Try again in a moment."
        return
    try:
        client = organization_client(business)
        for event in client.test_knowledge(coordinator.fourcalls_id, question):
            data = event.data if isinstance(event.data, dict) else {}
            if event.event == "token":
                yield "token", str(data.get("text", ""))
            elif event.event == "sources":
                yield "sources", _cited(business, data.get("sources"))
            elif event.event == "done":
                yield "done", bool(data.get("answered"))
                return
            elif event.event == "error":
                yield "error", f"4calls.ai could not answer: {data.get('message') or 'unknown error'}"
                return
    except FourCallsError as exc:
        yield "error", plain_words(exc)
        return
    yield "error", "The answer was cut off. Ask again."


def events(business, coordinator, question: str) -> Iterator[str]:
    """The answer as Server-Sent Events for the browser."""
    for kind, value in _answer_parts(business, coordinator, question):
        if kind == "token":
            yield sse("token", {"text": value})
        elif kind == "sources":
            yield sse("sources", {"html": render_template("knowledge/_cited.html", business=business, cited=value)})
        elif kind == "done":
            yield sse("done", {"answered": value})
        else:
            yield sse("error", {"message": value})


def sse(event: str, data: dict) -> str:
    return f"event: {event}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"


def collect(business, coordinator, question: str) -> ConsoleAnswer:
    """The whole answer at once, for the page rendered without JavaScript."""
    answer = ConsoleAnswer()
    for kind, value in _answer_parts(business, coordinator, question):
        if kind == "token":
            answer.text += value
        elif kind == "sources":
            answer.sources = value
        elif kind == "done":
            answer.answered = value
        else:
            answer.error = value
    return answer
