"""A call's badges, the same in the call log, the dashboard and a call's page."""
from __future__ import annotations

from types import SimpleNamespace

from markupsafe import Markup

from app.calls.presenters import call_badges


def _call(**fields):
    defaults = dict(status="answered", outcome=None, is_test=False, forwarded_to=None, forward_answered=None,
                    forward_reason=None)
    return SimpleNamespace(**{**defaults, **fields})


def test_status_alone():
    html = call_badges(_call())
    assert isinstance(html, Markup) and html.count('class="badge') == 1 and "Answered" in html


def test_outcome_shown_only_when_it_differs_from_the_status():
    assert call_badges(_call(status="missed", outcome="missed")).count('class="badge') == 1
    booked = call_badges(_call(outcome="appointment_booked"))
    assert booked.count('class="badge') == 2


def test_test_call_and_forwarding_with_its_reason_escaped():
    html = call_badges(_call(is_test=True, forwarded_to="+15125550100", forward_answered=False,
                             forward_reason="<b>urgent</b> leak"))
    assert "Test call" in html
    assert "→ +15125550100 (not answered) · &lt;b&gt;urgent&lt;/b&gt; leak" in html
    answered = call_badges(_call(forwarded_to="+15125550100", forward_answered=True, forward_reason="urgent"))
    assert "(not answered)" not in answered and "data-forward-reason" in answered


def test_the_call_log_and_the_dashboard_draw_the_same_badges(client, factories, logged_in_owner):
    business = factories.business(owner=logged_in_owner)
    call = factories.call(business, status="answered", outcome="appointment_booked", is_test=True,
                          forwarded_to="+15125550100", forward_answered=False, forward_reason="urgent")
    expected = str(call_badges(call))
    for path in ("calls", "dashboard", f"calls/{call.id}"):
        assert expected in client.get(f"/businesses/{business.slug}/{path}").get_data(as_text=True), path
