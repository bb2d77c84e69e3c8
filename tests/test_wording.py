"""One way to word things: plurals, articles, names, and one status map."""
import pytest

from app import wording


@pytest.mark.parametrize("count, noun, expected", [
    (0, "call", "0 calls"), (1, "call", "1 call"), (2, "call", "2 calls"),
    (1, "AI assistant", "1 AI assistant"), (2, "AI assistant", "2 AI assistants"),
    (1000, "inbound minute", "1,000 inbound minutes"), (3, "business", "3 businesses"),
])
def test_plurals(count, noun, expected):
    assert wording.plural(count, noun) == expected


def test_articles_and_names():
    assert wording.with_article("appointment") == "an appointment"
    assert wording.with_article("haircut") == "a haircut"
    assert wording.package_name("ai_receptionist") == "AI Receptionist"
    assert wording.title_words("ai_receptionist") == "AI Receptionist"
    assert wording.role_name("receptionist") == "Receptionist"
    assert wording.sentence_words("AI assistants") == "AI assistants"
    assert wording.sentence_words("Inbound minutes") == "inbound minutes"


def test_one_status_map_names_and_colours():
    assert wording.status_label("no_show", "appointment") == "No show"
    assert str(wording.status_badge("missed", "call")) == (
        '<span class="badge bad status-call-missed" data-call-status="missed">Missed</span>')
    assert wording.status_tone("delivered", "reminder") == "ok"
    # An unknown value is still readable, never a raw code.
    assert wording.status_label("on_hold", "call") == "On hold"
    assert str(wording.status_badge("<b>", "call")) == (
        '<span class="badge  status-call-&lt;b&gt;" data-call-status="&lt;b&gt;">&lt;b&gt;</span>')
