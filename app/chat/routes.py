"""The owner's chat pages: widget settings (snippet, preview, branding) and conversations."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import login_required

from app.inputs import page_number
from app.chat import conversations as convos
from app.chat.forms import WidgetSettingsForm
from app.chat.turns import chat_coordinator_id
from app.chat.widgets import readable_text_colour, update_branding, widget_for
from app.chat.embed_refusals import open_refusals
from app.web import owned_business_or_404, render_partial_or_page

bp = Blueprint("chat", __name__)


def _public_base() -> str:
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/")


def _settings_form(widget, formdata=None) -> WidgetSettingsForm:
    return WidgetSettingsForm(formdata=formdata, data={
        "accent_color": widget.accent_color,
        "assistant_name": widget.assistant_name,
        "greeting": widget.greeting,
        "position": widget.position,
        "allowed_origins": "\n".join(widget.allowed_origins or []),
    })


@bp.route("/businesses/<slug>/chat/widget", methods=["GET", "POST"])
@login_required
def widget_settings(slug: str):
    business = owned_business_or_404(slug)
    widget = widget_for(business)
    form = _settings_form(widget, request.form if request.method == "POST" else None)
    if request.method == "POST" and form.validate():
        update_branding(
            widget,
            accent_color=form.accent_color.data,
            assistant_name=form.assistant_name.data,
            greeting=form.greeting.data or "",
            position=form.position.data,
            allowed_origins=form.cleaned_origins,
        )
        flash("Widget settings saved. Sites already embedding it pick them up on their next page load.", "success")
        return redirect(url_for("chat.widget_settings", slug=business.slug))
    base = _public_base()
    return render_template(
        "chat/widget_settings.html",
        business=business,
        widget=widget,
        form=form,
        live=chat_coordinator_id(business) is not None,
        embed_url=f"{base}{url_for('widget.embed_script', public_key=widget.public_key)}",
        widget_url=f"{base}{url_for('widget.show', public_key=widget.public_key)}",
        preview=_preview_values(form, widget),
        refusals=open_refusals(business),
    ), (422 if form.errors else 200)


@bp.post("/businesses/<slug>/chat/widget/preview")
@login_required
def widget_preview(slug: str):
    """The preview redrawn from unsaved form values, as the owner types."""
    business = owned_business_or_404(slug)
    widget = widget_for(business)
    form = _settings_form(widget, request.form)
    form.validate()
    return render_template("chat/_widget_preview.html", business=business, preview=_preview_values(form, widget))


def _preview_values(form: WidgetSettingsForm, widget) -> dict:
    """Form values where valid, saved ones otherwise (a half-typed colour must not break the preview)."""
    accent = form.accent_color.data if not form.accent_color.errors and form.accent_color.data else widget.accent_color
    return {
        "accent": accent.lower(),
        "on_accent": readable_text_colour(accent),
        "assistant_name": (form.assistant_name.data or widget.assistant_name)[:60],
        "greeting": (form.greeting.data or "")[:300],
        "position": form.position.data if form.position.data in ("left", "right") else widget.position,
    }


@bp.get("/businesses/<slug>/chats")
@login_required
def conversations(slug: str):
    business = owned_business_or_404(slug)
    page = request.args.get("page", 1, type=page_number)
    rows, total = convos.list_conversations(business, page)
    return render_partial_or_page(
        "chat/conversations.html", "chat/_conversation_list.html",
        business=business, conversations=rows, total=total, page=page,
        per_page=convos.CONVERSATIONS_PER_PAGE, last_messages=convos.last_messages(rows),
    )


@bp.get("/businesses/<slug>/chats/<conversation_id>")
@login_required
def transcript(slug: str, conversation_id: str):
    business = owned_business_or_404(slug)
    conversation = convos.owned_conversation_or_none(business, conversation_id)
    if conversation is None:
        abort(404)
    return render_partial_or_page(
        "chat/transcript.html", "chat/_transcript.html",
        business=business, conversation=conversation, messages=convos.history(conversation),
        endpoints=current_app.view_functions,
    )
