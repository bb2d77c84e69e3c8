"""Coordinator knowledge: sources the business taught its assistants, stored as
chunks that chat, calls and the knowledge test answer from (knowledge_search.py)."""
from __future__ import annotations

import json
import time

from flask import Blueprint, Response, jsonify, request

from .auth import visible, visible_org
from .errors import conflict, invalid
from .knowledge_search import answer_question
from .params import json_body, list_response, page_args
from .runtime import new_record, runtime

bp = Blueprint("knowledge", __name__)

NO_ANSWER = ("I don't have that in what I've been taught yet. "
             "Add it to the knowledge base and I'll be able to answer it.")


def public_source(source: dict) -> dict:
    return {k: source[k] for k in ("id", "organization_id", "external_id", "title", "kind", "coordinator_id",
                                   "content_hash", "chunk_count", "characters", "created_at", "updated_at")}


@bp.post("/organizations/<org_id>/knowledge-sources")
def create_source(org_id):
    body = json_body("KnowledgeSourceCreate")
    store = runtime().store
    with store.transaction():
        org = visible_org(org_id)
        coordinator_id = body.get("coordinator_id")
        if coordinator_id:
            coordinator = store.get("coordinators", coordinator_id)
            if not coordinator or coordinator["organization_id"] != org["id"]:
                raise invalid({"coordinator_id": "no such coordinator in this organization"})
        taken = store.find("knowledge_sources", "organization_id = ? AND external_id = ?",
                           (org["id"], body["external_id"]), limit=1)
        if taken:
            raise conflict("A knowledge source with this external_id already exists.", existing_id=taken[0]["id"])
        source = new_record("ks", org["id"])
        chunks = body["chunks"]
        source.update({"external_id": body["external_id"], "title": body["title"], "kind": body["kind"],
                       "coordinator_id": coordinator_id or None, "content_hash": body.get("content_hash"),
                       "chunk_count": len(chunks), "characters": sum(len(c["text"]) for c in chunks)})
        store.insert("knowledge_sources", source)
        rows = []
        for position, chunk in enumerate(chunks):
            row = new_record("kc", org["id"])
            row.update({"source_id": source["id"], "position": position, "text": chunk["text"]})
            if chunk.get("question"):
                row["question"] = chunk["question"]
            rows.append(row)
        store.insert_many("knowledge_chunks", rows)
    return jsonify(public_source(source)), 201


@bp.get("/organizations/<org_id>/knowledge-sources")
def list_sources(org_id):
    org = visible_org(org_id)
    limit, cursor, since = page_args()
    where, params = ["organization_id = ?"], [org["id"]]
    for name in ("external_id", "coordinator_id"):
        if request.args.get(name):
            where.append(f"{name} = ?")
            params.append(request.args[name])
    return list_response("knowledge_sources", where, params, limit, cursor, since)


def _chunks_of(source: dict) -> list[dict]:
    rows = runtime().store.find("knowledge_chunks", "source_id = ?", (source["id"],), order="position")
    return [{k: row[k] for k in ("id", "position", "text", "question") if k in row} for row in rows]


@bp.get("/knowledge-sources/<source_id>")
def get_source(source_id):
    source = visible("knowledge_sources", source_id, "knowledge source")
    return jsonify({**public_source(source), "chunks": _chunks_of(source)})


@bp.delete("/knowledge-sources/<source_id>")
def delete_source(source_id):
    store = runtime().store
    with store.transaction():
        source = visible("knowledge_sources", source_id, "knowledge source")
        store.execute("DELETE FROM knowledge_chunks WHERE source_id = ?", (source["id"],))
        store.execute("DELETE FROM knowledge_sources WHERE id = ?", (source["id"],))
    return jsonify({"id": source["id"], "deleted": True})


def _sse(event: str, data: dict) -> str:
    return f"event: {event}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"


@bp.post("/coordinators/<coordinator_id>/knowledge-test")
def knowledge_test(coordinator_id):
    coordinator = visible("coordinators", coordinator_id, "coordinator")
    body = json_body("KnowledgeTestRequest")
    question = body["question"].strip()
    if not question:
        raise invalid({"question": "is required"})
    if coordinator["status"] != "active":
        raise conflict("This coordinator is retired.", reason="coordinator_retired")
    rt = runtime()
    found = answer_question(coordinator["organization_id"], coordinator["id"], question)
    text = found.text if found else NO_ANSWER
    sources = found.citations() if found else []
    delay = rt.options.chat_token_delay_ms / 1000.0
    rng = rt.rng

    def stream():
        words = text.split(" ")
        for index, word in enumerate(words):
            yield _sse("token", {"text": word if index == len(words) - 1 else word + " "})
            time.sleep(delay * rng.uniform(0.5, 1.5))
        yield _sse("sources", {"sources": sources})
        yield _sse("done", {"answered": found is not None})

    return Response(stream(), mimetype="text/event-stream",
                    headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
