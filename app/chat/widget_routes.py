"""Public pages: the business page `/b/<slug>` and the embeddable widget.

No login anywhere here. The widget is addressed by its public key only;
POSTs must carry the visitor token the widget page was given (a page on
another site cannot read it), which is why Flask-WTF's session-based CSRF
is not used for this blueprint.
"""
from __future__ import annotations

import secrets

from flask import (Blueprint, Response, abort, current_app, jsonify, make_response, render_template, request,
                   stream_with_context)

from app.businesses.services import business_by_slug
from app.chat import conversations as convos
from app.chat.leads import capture_widget_lead
from app.chat.turns import (ChatInputError, accept_booking, accept_message, chat_coordinator_id, max_message_length,
                            render_card, retry_failed, stream_reply)
from app.chat.widgets import readable_text_colour, widget_by_public_key, widget_for, frame_ancestors
from app.extensions import csrf, limiter

bp = Blueprint("widget", __name__)
csrf.exempt(bp)

VISITOR_COOKIE = "alphasite_chat"
VISITOR_COOKIE_DAYS = 180
RATE_LIMITED_WORDS = "You're sending messages very quickly. Please wait a minute, then try again."


def _visitor_limit() -> str:
    return current_app.config["CHAT_RATE_LIMIT_PER_VISITOR"]


def _ip_limit() -> str:
    return current_app.config["CHAT_RATE_LIMIT_PER_IP"]


def _visitor_key() -> str:
    # Limits follow the signed visitor token; without one the address stands in.
    return "chat-visitor:" + (request.headers.get("X-Widget-Token") or request.remote_addr or "unknown")


def _ip_key() -> str:
    return "chat-ip:" + (request.remote_addr or "unknown")


visitor_rate_limit = limiter.limit(_visitor_limit, key_func=_visitor_key, scope="chat-visitor")
ip_rate_limit = limiter.limit(_ip_limit, key_func=_ip_key, scope="chat-ip")


@bp.errorhandler(429)
def too_many_requests(_error):
    return jsonify(error={"status": 429, "message": RATE_LIMITED_WORDS}), 429


@bp.get("/b/<slug>")
def business_page(slug: str):
    business = business_by_slug(slug)
    if business is None:
        abort(404)
    widget = widget_for(business) if business.is_claimed else None
    return render_template("chat/business_page.html", business=business, widget=widget,
                           live=chat_coordinator_id(business) is not None)


def _widget_or_404(public_key: str):
    widget = widget_by_public_key(public_key)
    if widget is None:
        abort(404)
    return widget


@bp.get("/widget/<public_key>")
def show(public_key: str):
    widget = _widget_or_404(public_key)
    from app.chat.embed_refusals import note_embedding  # -- issue 12: tell the owner about refused sites

    note_embedding(widget)
    visitor_id = request.cookies.get(VISITOR_COOKIE)
    if not convos.is_visitor_id(visitor_id):
        visitor_id = convos.new_visitor_id()
    conversation = convos.find_conversation(widget.business, visitor_id)
    nonce = secrets.token_urlsafe(16)
    response = make_response(render_template(
        "chat/widget/page.html",
        widget=widget,
        business=widget.business,
        live=chat_coordinator_id(widget.business) is not None,
        conversation=conversation,
        messages=convos.history(conversation),
        token=convos.visitor_token(widget, visitor_id),
        max_length=max_message_length(),
        on_accent=readable_text_colour(widget.accent_color),
        csp_nonce=nonce,
    ))
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; script-src 'self'; style-src 'self' 'nonce-" + nonce + "'; connect-src 'self'; "
        "img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors " + frame_ancestors(widget)
    )
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
    _set_visitor_cookie(response, widget, visitor_id)
    return response


def _set_visitor_cookie(response, widget, visitor_id: str) -> None:
    # Inside another site's iframe the cookie is third-party: on https it must be
    # SameSite=None; Secure (and Partitioned, so browsers that block third-party
    # cookies keep one jar per embedding site). Plain http keeps the default Lax.
    secure = request.is_secure
    response.set_cookie(
        VISITOR_COOKIE, visitor_id, max_age=VISITOR_COOKIE_DAYS * 86400, path=f"/widget/{widget.public_key}",
        httponly=True, secure=secure, samesite="None" if secure else "Lax", partitioned=secure,
    )


@bp.get("/widget/<public_key>/embed.js")
def embed_script(public_key: str):
    widget = _widget_or_404(public_key)
    config = {
        "path": f"/widget/{widget.public_key}",
        "key": widget.public_key,
        "accent": widget.accent_color,
        "onAccent": readable_text_colour(widget.accent_color),
        "position": widget.position,
        "label": f"Chat with {widget.assistant_name}"[:80],
        "title": f"Chat with {widget.business.name}"[:120],
    }
    response = make_response(render_template("chat/widget/embed.js", config=config))
    response.mimetype = "text/javascript"
    response.headers["Cache-Control"] = "public, max-age=300"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _visitor(widget) -> str:
    visitor_id = convos.visitor_from_token(widget, request.headers.get("X-Widget-Token"))
    if visitor_id is None:
        abort(make_response(jsonify(error={"status": 403, "message": "This chat has expired. Reload the page."}), 403))
    return visitor_id


def _payload() -> dict:
    data = request.get_json(silent=True)
    return data if isinstance(data, dict) else {}


def _refused(error: ChatInputError):
    return jsonify(error={"status": 422, "message": str(error)}), 422


def _event_stream(turn) -> Response:
    return Response(stream_with_context(stream_reply(turn)), mimetype="text/event-stream",
                    headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


@bp.post("/widget/<public_key>/messages")
@ip_rate_limit
@visitor_rate_limit
def send_message(public_key: str):
    widget = _widget_or_404(public_key)
    visitor_id = _visitor(widget)
    if chat_coordinator_id(widget.business) is None:
        return jsonify(error={"status": 409, "message": "Chat is not available. Leave your details instead."}), 409
    try:
        turn = accept_message(widget, visitor_id, str(_payload().get("text") or ""))
    except ChatInputError as error:
        return _refused(error)
    return _event_stream(turn)


@bp.post("/widget/<public_key>/book")
@ip_rate_limit
@visitor_rate_limit
def book(public_key: str):
    widget = _widget_or_404(public_key)
    visitor_id = _visitor(widget)
    payload = _payload()
    try:
        turn = accept_booking(widget, visitor_id, slot=str(payload.get("slot") or ""),
                              name=str(payload.get("name") or ""), phone=str(payload.get("phone") or ""))
    except ChatInputError as error:
        return _refused(error)
    return _event_stream(turn)


@bp.post("/widget/<public_key>/retry")
@ip_rate_limit
@visitor_rate_limit
def retry(public_key: str):
    widget = _widget_or_404(public_key)
    visitor_id = _visitor(widget)
    try:
        turn = retry_failed(widget, visitor_id)
    except ChatInputError as error:
        return _refused(error)
    return _event_stream(turn)


@bp.post("/widget/<public_key>/leads")
@ip_rate_limit
@visitor_rate_limit
def leave_details(public_key: str):
    widget = _widget_or_404(public_key)
    visitor_id = _visitor(widget)
    payload = _payload()
    try:
        fields = {key: str(payload.get(key) or "") for key in ("name", "phone", "email", "message")}
        lead = capture_widget_lead(widget, visitor_id, **fields)
    except ChatInputError as error:
        return _refused(error)
    card = {"type": "lead_form", "name": lead.name, "phone": lead.phone, "email": lead.email}
    return jsonify(html=render_card(card, None, widget.business)), 201
