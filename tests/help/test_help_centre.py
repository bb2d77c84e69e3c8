"""The help centre: articles kept in the repo, rendered safely, searchable,
linked from each area's page header."""
from __future__ import annotations

import pytest

from app.help.articles import HELP_FOR_ENDPOINT, all_articles, render_markdown, search

REQUIRED_TOPICS = ["getting-started", "assistant-and-script", "calls-and-dashboard", "contacts-and-import",
                   "calendar-and-booking", "widget-and-embedding", "campaigns-and-do-not-call",
                   "billing-and-packages"]


def test_every_required_topic_has_an_article_that_renders(client):
    slugs = {a.slug for a in all_articles()}
    assert set(REQUIRED_TOPICS) <= slugs
    for article in all_articles():
        response = client.get(f"/help/{article.slug}")
        assert response.status_code == 200 and article.title in response.get_data(as_text=True)
        assert len(article.body) > 400


def test_raw_html_in_markdown_is_shown_as_text_never_run():
    html = str(render_markdown("Hi <script>alert(1)</script> [x](javascript:alert(1)) <img src=x onerror=alert(1)>"))
    assert "<script" not in html and "<img" not in html and 'href="javascript' not in html
    assert "&lt;script&gt;" in html


def test_headings_get_anchors():
    assert 'id="verifying-signatures"' in str(render_markdown("## Verifying signatures\n\ntext"))


@pytest.mark.parametrize("query, expected", [
    ("import csv", "contacts-and-import"),
    ("embed website", "widget-and-embedding"),
    ("downgrade", "billing-and-packages"),
    ("opt out", "campaigns-and-do-not-call"),
    ("remind", "calendar-and-booking"),
])
def test_search_finds_the_right_article_first(client, query, expected):
    assert search(query)[0].slug == expected
    page = client.get("/help", query_string={"q": query}).get_data(as_text=True)
    assert f"/help/{expected}" in page


def test_search_without_matches_and_unknown_articles(client):
    assert search("xylophone zebra") == []
    assert "No article matches" in client.get("/help?q=xylophone").get_data(as_text=True)
    assert client.get("/help/not-an-article").status_code == 404


def test_each_area_header_links_its_article(client, factories, logged_in_owner):
    business = factories.business(owner=logged_in_owner)
    for endpoint, slug in HELP_FOR_ENDPOINT.items():
        assert any(a.slug == slug for a in all_articles()), slug
    page = client.get(f"/businesses/{business.slug}/contacts").get_data(as_text=True)
    assert 'href="/help/contacts-and-import"' in page
    page = client.get(f"/businesses/{business.slug}/appointments").get_data(as_text=True)
    assert 'href="/help/calendar-and-booking"' in page
