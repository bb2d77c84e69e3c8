from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from app.packages.catalog import PACKAGES


class ActivatePackageForm(FlaskForm):
    package = SelectField("Package", choices=[SelectChoice(p.slug, p.name) for p in PACKAGES], validators=[DataRequired()])
    reason = StringField("Reason", validators=[Optional(), Length(max=200)])


class StatusChangeForm(FlaskForm):
    reason = StringField("Reason", validators=[Optional(), Length(max=200)])


class ReasonRequiredForm(FlaskForm):
    """Suspend and restore: the audit log must say why."""

    reason = StringField("Reason", validators=[DataRequired("Give a reason: it goes in the audit log."), Length(max=200)])
