from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional

from app.models import CustomFieldType


class ContactForm(FlaskForm):
    name = StringField("Name", validators=[Optional(), Length(max=200)])
    phone = StringField("Phone", validators=[Optional(), Length(max=40)])
    email = StringField("Email", validators=[Optional(), Length(max=255)])
    tags = StringField("Tags", validators=[Optional(), Length(max=1000)],
                       description="Separate tags with commas, e.g. vip, newsletter")
    notes = TextAreaField("Notes", validators=[Optional(), Length(max=10000)])


class FieldDefinitionForm(FlaskForm):
    label = StringField("Field name", validators=[Length(max=80)])
    field_type = SelectField("Type", choices=[SelectChoice(t, CustomFieldType.LABELS[t]) for t in CustomFieldType.ALL])


class ImportUploadForm(FlaskForm):
    file = FileField("CSV file")
