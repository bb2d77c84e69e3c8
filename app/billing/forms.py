from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField
from wtforms.validators import DataRequired, ValidationError

from app.packages.catalog import get_package


class PackageChoiceForm(FlaskForm):
    """"Choose" in the picker, and the confirmation of a plan change."""

    package = HiddenField("Package", validators=[DataRequired("Choose a package.")])

    def validate_package(self, field):
        if get_package(field.data or "") is None:
            raise ValidationError("Choose one of the listed packages.")


class ConfirmForm(FlaskForm):
    """A bare POST that only needs its CSRF token: cancel, resume, open the portal."""
