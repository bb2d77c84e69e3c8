from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

# The limits 4calls accepts (CoordinatorFields in docs/fourcalls-openapi.yaml),
# so an edit saved here can always be pushed.


class CoordinatorForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(message="Give the assistant a name."), Length(max=100)])
    greeting = TextAreaField("Greeting", validators=[Optional(), Length(max=1000)])
    persona = TextAreaField("Persona", validators=[Optional(), Length(max=4000)])
    script = TextAreaField("Script", validators=[Optional(), Length(max=20000)])
