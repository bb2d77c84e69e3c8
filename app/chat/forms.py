from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.fields import SelectChoice
from wtforms.validators import DataRequired, Length, Regexp, ValidationError

from app.chat.widgets import HEX_COLOUR, InvalidOrigin, parse_origins
from app.models.chat import WidgetPosition


class WidgetSettingsForm(FlaskForm):
    accent_color = StringField("Accent colour", validators=[
        DataRequired(), Regexp(HEX_COLOUR, message="Pick a colour like #4f46e5."),
    ])
    assistant_name = StringField("Assistant name", validators=[
        DataRequired(message="Give the assistant a name visitors will see."), Length(max=60),
    ])
    greeting = TextAreaField("Greeting", validators=[Length(max=300)])
    position = SelectField("Launcher position", choices=[
        SelectChoice(WidgetPosition.RIGHT, "Bottom right"), SelectChoice(WidgetPosition.LEFT, "Bottom left"),
    ])
    allowed_origins = TextAreaField("Sites allowed to embed the widget")

    def validate_allowed_origins(self, field):
        try:
            self.cleaned_origins = parse_origins(field.data or "")
        except InvalidOrigin as exc:
            raise ValidationError(str(exc)) from None
