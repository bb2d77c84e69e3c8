"""The help centre, open to everyone: /help lists and searches the
articles, /help/<slug> shows one."""
from __future__ import annotations

from flask import Blueprint, abort, render_template, request

from app.help.articles import HELP_FOR_ENDPOINT, all_articles, get_article, render_markdown, search

bp = Blueprint("help", __name__, url_prefix="/help")


@bp.get("")
def index():
    query = request.args.get("q", "").strip()[:200]
    results = search(query) if query else None
    return render_template("help/index.html", query=query, results=results, articles=all_articles())


@bp.get("/<article_slug>")
def article(article_slug):
    found = get_article(article_slug)
    if found is None:
        abort(404)
    return render_template("help/article.html", article=found, html=render_markdown(found.body),
                           articles=all_articles())


def register_helpers(app) -> None:
    # Globals, not a context processor: imported macros (the business nav, rendered
    # once and kept by app.navigation) see globals without the page's context.
    app.jinja_env.globals.update(help_article_meta=get_article, help_for_endpoint=HELP_FOR_ENDPOINT)
