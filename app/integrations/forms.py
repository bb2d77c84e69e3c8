from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import RadioField, SelectMultipleField, StringField, widgets
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional

from app.integrations.events import EVENT_TYPES
from app.models import TokenScope


class CheckboxListField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()

    def pre_validate(self, form):  # unknown values are reported by the service, with the other fields
        return None


class EndpointForm(FlaskForm):
    url = StringField("Endpoint URL", validators=[Length(max=500)])
    description = StringField("Description", validators=[Optional(), Length(max=200)])
    events = CheckboxListField("Events to send", choices=[SelectChoice(k, f"{k} — {v}") for k, v in EVENT_TYPES.items()])


class TokenForm(FlaskForm):
    name = StringField("Token name", validators=[Length(max=80)])
    scope = RadioField("Access", choices=[SelectChoice(k, v) for k, v in TokenScope.LABELS.items()], default=TokenScope.READ)

    def pre_validate(self, form):
        return None


class ConfirmForm(FlaskForm):
    """CSRF only, for buttons."""
