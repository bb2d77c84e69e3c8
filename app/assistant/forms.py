from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, SelectMultipleField, StringField, TextAreaField, widgets
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from app.assistant.handling import ACTION_LABELS, CLOCK, split_words
from app.assistant.voices import LANGUAGES, PACES
from app.contacts.phone import InvalidPhone, normalise_phone

# The limits 4calls accepts (CoordinatorFields in docs/fourcalls-openapi.yaml),
# so an edit saved here can always be pushed.


class MultiCheckboxField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class CoordinatorForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(message="Give the assistant a name."), Length(max=100)])
    role = SelectField("Role", validate_choice=False)
    voice = SelectField("Voice", validate_choice=False)
    languages = MultiCheckboxField("Languages spoken", choices=list(LANGUAGES.items()))
    pace = SelectField("Speaking pace", choices=list(PACES.items()))
    greeting = TextAreaField("Greeting", validators=[Optional(), Length(max=1000)])
    persona = TextAreaField("Persona", validators=[Optional(), Length(max=4000)])
    script = TextAreaField("Script", validators=[Optional(), Length(max=20000)])
    goals = TextAreaField("Goals", validators=[Optional(), Length(max=2000)])

    def set_choices(self, roles: list[tuple[str, str]], voices: list[tuple[str, str]]) -> None:
        self.role.choices = roles
        self.voice.choices = voices

    def keep_unsent(self, coordinator, formdata) -> None:
        """A client that posts only the texts (older pages, API-style posts)
        leaves role, voice, languages and pace as they are."""
        for name in ("role", "voice", "pace"):
            if name not in formdata:
                getattr(self, name).data = getattr(coordinator, name)
        if "languages_shown" not in formdata and not formdata.getlist("languages"):
            self.languages.data = list(coordinator.languages or ["en"])

    def validate_role(self, field):
        if field.data not in {value for value, _ in field.choices}:
            raise ValidationError("Your package does not allow this role for this assistant.")

    def validate_voice(self, field):
        if not field.choices:
            raise ValidationError("The voice list could not be loaded from 4calls.ai. Try again in a moment.")
        if field.data not in {value for value, _ in field.choices}:
            raise ValidationError("Choose a voice from the list.")

    def validate_languages(self, field):
        if not field.data:
            raise ValidationError("Choose at least one language.")
        if len(field.data) > 5:
            raise ValidationError("Choose at most five languages.")


class CallHandlingForm(FlaskForm):
    inbound_coordinator_id = SelectField("Answers phone calls", validate_choice=False)
    widget_coordinator_id = SelectField("Chats on the website widget", validate_choice=False)
    campaign_coordinator_id = SelectField("Makes campaign calls", validate_choice=False)
    business_hours_action = SelectField("During business hours", choices=list(ACTION_LABELS.items()))
    after_hours_action = SelectField("After hours", choices=list(ACTION_LABELS.items()))
    forwarding_enabled = BooleanField("Forward urgent calls")
    # No Optional(): it would stop the checks below when the field is empty.
    forwarding_number = StringField("Forwarding number", validators=[Length(max=40)])
    urgent_words = TextAreaField("Urgent words or situations", validators=[Length(max=3000)])
    forwarding_start = StringField("Forward from", default="00:00")
    forwarding_end = StringField("Forward until", default="00:00")

    def set_coordinators(self, coordinators: list[tuple[str, str]], campaigns: bool) -> None:
        for field in (self.inbound_coordinator_id, self.widget_coordinator_id, self.campaign_coordinator_id):
            field.choices = coordinators
        self.campaigns_allowed = campaigns

    def validate_forwarding_number(self, field):
        try:
            field.data = normalise_phone(field.data)
        except InvalidPhone as exc:
            raise ValidationError(str(exc)) from None
        if not field.data and (self.forwarding_enabled.data or _forwards_every_call(self)):
            raise ValidationError("Enter the number calls are forwarded to.")

    def validate_urgent_words(self, field):
        if self.forwarding_enabled.data and not split_words(field.data):
            raise ValidationError("List at least one urgent word or situation, or turn forwarding off.")
        if len(split_words(field.data)) > 50:
            raise ValidationError("At most 50 urgent words or phrases.")

    def _clock(self, field):
        text = (field.data or "").strip()
        if not CLOCK.match(text):
            raise ValidationError("Use a 24-hour time like 08:00.")
        field.data = text

    validate_forwarding_start = _clock
    validate_forwarding_end = _clock

    def _coordinator(self, field):
        if field.data and field.data not in {value for value, _ in field.choices}:
            raise ValidationError("Choose one of your assistants.")

    validate_inbound_coordinator_id = _coordinator
    validate_widget_coordinator_id = _coordinator
    validate_campaign_coordinator_id = _coordinator

    def values(self) -> dict:
        from app.web import parse_uuid

        campaign = parse_uuid(self.campaign_coordinator_id.data) if getattr(self, "campaigns_allowed", True) else None
        return {
            "inbound_coordinator_id": parse_uuid(self.inbound_coordinator_id.data) if self.inbound_coordinator_id.data else None,
            "widget_coordinator_id": parse_uuid(self.widget_coordinator_id.data) if self.widget_coordinator_id.data else None,
            "campaign_coordinator_id": campaign if self.campaign_coordinator_id.data else None,
            "business_hours_action": self.business_hours_action.data,
            "after_hours_action": self.after_hours_action.data,
            "forwarding_enabled": bool(self.forwarding_enabled.data),
            "forwarding_number": self.forwarding_number.data or None,
            "urgent_words": split_words(self.urgent_words.data),
            "forwarding_start": self.forwarding_start.data,
            "forwarding_end": self.forwarding_end.data,
        }


def _forwards_every_call(form: CallHandlingForm) -> bool:
    return "forward" in (form.business_hours_action.data, form.after_hours_action.data)


class TestCallForm(FlaskForm):
    caller_says = TextAreaField("What the caller says", validators=[DataRequired(message="Write what the caller says."),
                                                                    Length(max=500)])
    when = SelectField("When", choices=[("now", "Now"), ("business_hours", "During business hours"),
                                        ("after_hours", "After hours")])
