"""What 4calls is told about a business, and the coordinators' starting texts."""
import pytest

from app.assistant.organization import digest, e164, organization_fields
from app.assistant.scripting import default_coordinator
from app.packages.catalog import PACKAGES


@pytest.mark.parametrize("raw, expected", [
    ("+1 555 201 1001", "+15552011001"),
    ("(512) 555-0142", "+15125550142"),
    ("1-512-555-0142", "+15125550142"),
    ("0044 20 7946 0958", "+442079460958"),
    ("+44 (0)20", None),
    ("call me", None),
    ("", None),
    (None, None),
])
def test_phone_numbers_become_e164_or_nothing(raw, expected):
    assert e164(raw) == expected


def test_organization_fields_follow_the_contract(app, factories):
    business = factories.business(
        name="Bella Napoli", category="Restaurant", city="Springfield", phone="+1 555 201 1001", timezone="Asia/Kolkata",
        description="Family trattoria.", services=["Dine-in", ""],
        faq=[{"question": "Vegan?", "answer": "Yes."}, {"question": "Blank answer", "answer": ""}],
        opening_hours={"monday": {"open": "09:00", "close": "17:00"}, "sunday": None},
    )
    fields = organization_fields(business)
    assert fields["external_id"] == str(business.id)
    assert fields["phone"] == "+15552011001" and fields["category"] == "restaurant"
    assert fields["profile"] == {"description": "Family trattoria.", "services": ["Dine-in"], "hours": "",
                                 "faq": [{"question": "Vegan?", "answer": "Yes."}]}
    assert fields["business_hours"]["monday"] == {"open": "09:00", "close": "17:00"}
    assert fields["business_hours"]["tuesday"] is None and len(fields["business_hours"]) == 7
    assert fields["webhook_url"] == "http://localhost/webhooks/fourcalls"
    # The business's own zone and its types (its services, before settings are saved).
    assert fields["timezone"] == "Asia/Kolkata"
    assert fields["appointment_types"] == [{"name": "Dine-in", "duration_minutes": 30}]
    assert digest(fields) == digest(dict(reversed(list(fields.items()))))


def test_every_package_role_gets_distinct_texts_within_4calls_limits(app, factories):
    business = factories.business(name="A" * 160, category="Auto Repair", services=["Brakes"] * 40)
    for package in PACKAGES:
        names = []
        for position, role in enumerate(package.coordinator_roles):
            ordinal = package.coordinator_roles[:position].count(role)
            texts = default_coordinator(business, role, ordinal)
            assert len(texts["name"]) <= 100 and len(texts["greeting"]) <= 1000
            assert len(texts["persona"]) <= 4000 and len(texts["script"]) <= 20000
            assert "an auto repair" in texts["persona"]
            names.append(texts["name"])
        assert len(set(names)) == len(names)
