"""The help centre: Markdown articles kept in app/help/articles/, rendered
by markdown-it-py with raw HTML switched off and the output passed through
nh3 (so an article can never carry a script), searchable by word.

An article starts with a small header block, then a blank line:

    title: Calls and the dashboard
    summary: What the dashboard counts, and where each call's details are.
    keywords: calls, transcript, summary

"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

ARTICLES_DIR = Path(__file__).resolve().parent / "articles"
_WORD = re.compile(r"[a-z0-9]+")
_ALLOWED_TAGS = {"a", "p", "h1", "h2", "h3", "h4", "ul", "ol", "li", "strong", "em", "code", "pre", "blockquote",
                 "table", "thead", "tbody", "tr", "th", "td", "hr", "br"}


@dataclass(frozen=True)
class Article:
    slug: str
    title: str
    summary: str
    keywords: tuple[str, ...]
    body: str
    order: int = 100
    words: frozenset[str] = field(default_factory=frozenset)


def _markdown() -> MarkdownIt:
    # "commonmark" with html off: raw HTML in an article is shown as text, never run.
    return MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")


def _slugify_heading(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def render_markdown(text: str) -> Markup:
    md = _markdown()
    tokens = md.parse(text)
    for index, token in enumerate(tokens):
        # Headings get ids so other pages can link to a section (#verifying-signatures).
        if token.type == "heading_open" and index + 1 < len(tokens):
            token.attrSet("id", _slugify_heading(tokens[index + 1].content))
    html = md.renderer.render(tokens, md.options, {})
    clean = nh3.clean(html, tags=_ALLOWED_TAGS, attributes={"a": {"href", "title"}, "h2": {"id"}, "h3": {"id"},
                                                             "h4": {"id"}, "code": {"class"}},
                      url_schemes={"http", "https", "mailto"}, link_rel="noopener noreferrer")
    return Markup(clean)


def _parse(path: Path) -> Article:
    header, _, body = path.read_text(encoding="utf-8").partition("\n\n")
    meta = {}
    for line in header.splitlines():
        key, _, value = line.partition(":")
        meta[key.strip().lower()] = value.strip()
    keywords = tuple(k.strip() for k in meta.get("keywords", "").split(",") if k.strip())
    words = frozenset(_WORD.findall(" ".join([meta.get("title", ""), meta.get("summary", ""), " ".join(keywords),
                                              body]).lower()))
    return Article(slug=path.stem, title=meta["title"], summary=meta.get("summary", ""), keywords=keywords,
                   body=body.strip(), order=int(meta.get("order", 100)), words=words)


@lru_cache(maxsize=1)
def all_articles() -> tuple[Article, ...]:
    return tuple(sorted((_parse(p) for p in ARTICLES_DIR.glob("*.md")), key=lambda a: (a.order, a.title)))


def get_article(slug: str) -> Article | None:
    return next((a for a in all_articles() if a.slug == slug), None)


def search(query: str) -> list[Article]:
    """Articles containing every word of the query (prefixes count: "book" finds "booking"),
    best first: title and keyword hits weigh more than body hits."""
    terms = _WORD.findall((query or "").lower())[:10]
    if not terms:
        return []
    scored = []
    for article in all_articles():
        score = 0
        for term in terms:
            matches = [w for w in article.words if w.startswith(term)]
            if not matches:
                break
            title = article.title.lower()
            score += 5 * (term in title) + 3 * any(term in k.lower() for k in article.keywords)
            score += sum(article.body.lower().count(w) for w in matches[:5])
        else:
            scored.append((score, article))
    return [a for _, a in sorted(scored, key=lambda pair: (-pair[0], pair[1].order))]


# The help article for each owner area, shown in that area's page header.
HELP_FOR_ENDPOINT = {
    "dashboard.index": "calls-and-dashboard",
    "businesses.overview": "getting-started",
    "calls.index": "calls-and-dashboard",
    "contacts.index": "contacts-and-import",
    "appointments.calendar": "calendar-and-booking",
    "campaigns.index": "campaigns-and-do-not-call",
    "chat.conversations": "widget-and-embedding",
    "assistant.index": "assistant-and-script",
    "chat.widget_settings": "widget-and-embedding",
    "billing.index": "billing-and-packages",
    "packages.picker": "billing-and-packages",
    "businesses.edit": "getting-started",
    "integrations.index": "integrations",
    "support.index": "getting-help",
    "knowledge.index": "knowledge-base",
}
