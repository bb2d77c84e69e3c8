from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, StringField
from wtforms.validators import NumberRange, Optional, ValidationError

from app.assistant.handling import CLOCK
from app.contacts.phone import InvalidPhone, normalise_phone
from app.notifications.events import CHANNELS, EVENT_KINDS


class NotificationSettingsForm(FlaskForm):
    """Event × channel checkboxes are read from the request by name
    ("<event>__<channel>"); the rest are ordinary fields."""

    digest = BooleanField("Send one daily digest instead of instant messages (urgent events still come at once)")
    digest_hour = IntegerField("Digest hour", validators=[Optional(), NumberRange(min=0, max=23, message="An hour from 0 to 23.")])
    quiet_hours = BooleanField("Quiet hours (urgent events still come at once)")
    quiet_start = StringField("Quiet from", default="21:00")
    quiet_end = StringField("Quiet until", default="07:00")
    sms_number = StringField("Mobile number for texts")

    def _clock(self, field):
        if not CLOCK.match((field.data or "").strip()):
            raise ValidationError("Use a 24-hour time like 21:00.")
        field.data = field.data.strip()

    validate_quiet_start = _clock
    validate_quiet_end = _clock

    def validate_sms_number(self, field):
        try:
            field.data = normalise_phone(field.data)
        except InvalidPhone as exc:
            raise ValidationError(str(exc)) from None

    @staticmethod
    def channel_matrix(form_data) -> dict[str, list[str]]:
        return {kind.key: [c for c in CHANNELS if form_data.get(f"{kind.key}__{c}")] for kind in EVENT_KINDS}
