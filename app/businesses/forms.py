from __future__ import annotations

import re

from flask_wtf import FlaskForm
from wtforms import BooleanField, FieldList, Form, FormField, SelectField, StringField, TextAreaField, TimeField
from wtforms.validators import URL, DataRequired, Length, Optional, ValidationError

CATEGORIES = (
    "Restaurant",
    "Cafe",
    "Salon",
    "Dental",
    "Medical",
    "Plumbing",
    "Electrician",
    "Auto Repair",
    "Law Firm",
    "Fitness",
    "Real Estate",
    "Retail",
    "Veterinary",
    "Cleaning",
    "Other",
)

_PHONE_CHARS = re.compile(r"^\+?[0-9 ()\-.]{7,25}$")


def validate_phone(form, field):
    if not field.data:
        return
    digits = re.sub(r"\D", "", field.data)
    if not _PHONE_CHARS.match(field.data.strip()) or not 7 <= len(digits) <= 15:
        raise ValidationError("Enter a phone number like +1 555 123 4567.")


def validate_zone(form, field):
    """An IANA zone the app knows; the field is filled with the browser's zone."""
    from app.timezones import is_valid_zone

    field.data = (field.data or "").strip()
    if not field.data:
        raise ValidationError("Choose the time zone the business works in, e.g. America/Los_Angeles.")
    if not is_valid_zone(field.data):
        raise ValidationError(f"“{field.data[:64]}” is not a time zone we know. Pick one from the list, e.g. America/Los_Angeles.")


def zone_field() -> StringField:
    return StringField("Time zone", validators=[Length(max=64), validate_zone])


class DayHoursForm(Form):
    closed = BooleanField("Closed")
    opens = TimeField("Opens", validators=[Optional()])
    closes = TimeField("Closes", validators=[Optional()])

    def validate(self, extra_validators=None):
        # Checked on the pair, after both fields: Optional() on an emptied
        # field stops its own validators, so a per-field check would be skipped.
        valid = super().validate(extra_validators)
        if self.closed.data or not valid:
            return valid
        if not self.opens.data or not self.closes.data:
            self.closes.errors = [*self.closes.errors, "Give opening and closing times, or mark the day closed."]
            return False
        if self.closes.data <= self.opens.data:
            self.closes.errors = [*self.closes.errors, "Closing time must be after opening time."]
            return False
        return True


class FaqEntryForm(Form):
    # No Optional(): it would stop the chain before the pairing check below.
    question = StringField("Question", validators=[Length(max=300)])
    answer = TextAreaField("Answer", validators=[Length(max=2000)])

    def validate_answer(self, field):
        if bool(self.question.data and self.question.data.strip()) != bool(field.data and field.data.strip()):
            raise ValidationError("Give both a question and its answer, or leave both empty.")


class BusinessProfileForm(FlaskForm):
    name = StringField("Business name", validators=[DataRequired(), Length(max=160)])
    category = SelectField("Category", choices=list(CATEGORIES), validators=[DataRequired()])
    phone = StringField("Phone", validators=[Optional(), Length(max=40), validate_phone])
    address = StringField("Street address", validators=[Optional(), Length(max=255)])
    city = StringField("City", validators=[Optional(), Length(max=120)])
    timezone = zone_field()
    website = StringField(
        "Website", validators=[Optional(), Length(max=255), URL(message="Enter a full address, like https://example.com.")]
    )
    description = TextAreaField("About the business", validators=[Optional(), Length(max=4000)])
    services = TextAreaField(
        "Services (one per line)", validators=[Optional(), Length(max=4000)]
    )
    monday = FormField(DayHoursForm)
    tuesday = FormField(DayHoursForm)
    wednesday = FormField(DayHoursForm)
    thursday = FormField(DayHoursForm)
    friday = FormField(DayHoursForm)
    saturday = FormField(DayHoursForm)
    sunday = FormField(DayHoursForm)
    faq = FieldList(FormField(FaqEntryForm), min_entries=3, max_entries=30)

    def validate_services(self, field):
        if len(self.services_list()) > 50:
            raise ValidationError("List at most 50 services.")

    def services_list(self) -> list[str]:
        return [line.strip() for line in (self.services.data or "").splitlines() if line.strip()]


class NewBusinessForm(FlaskForm):
    name = StringField("Business name", validators=[DataRequired(), Length(max=160)])
    category = SelectField("Category", choices=list(CATEGORIES), validators=[DataRequired()])
    phone = StringField("Phone", validators=[Optional(), Length(max=40), validate_phone])
    address = StringField("Street address", validators=[Optional(), Length(max=255)])
    city = StringField("City", validators=[DataRequired(), Length(max=120)])
    timezone = zone_field()


class ClaimForm(FlaskForm):
    timezone = zone_field()
