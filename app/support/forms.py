from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length

from app.models import SupportStatus
from app.models.support import SUPPORT_CATEGORIES


class SupportRequestForm(FlaskForm):
    subject = StringField("Subject", validators=[Length(max=160)])
    category = SelectField("Category", choices=[SelectChoice("", "Choose…")] + [SelectChoice(k, v) for k, v in SUPPORT_CATEGORIES.items()],
                           validate_choice=False)
    body = TextAreaField("Message", validators=[Length(max=10000)])
    attachment = FileField("Screenshot (optional)", description="PNG, JPEG, GIF or WebP, up to 2 MB.")


class ReplyForm(FlaskForm):
    body = TextAreaField("Your reply", validators=[Length(max=10000)])
    attachment = FileField("Screenshot (optional)")


class StaffReplyForm(ReplyForm):
    status = SelectField("Then set the status to", choices=[SelectChoice(k, v) for k, v in SupportStatus.STAFF_LABELS.items()],
                         default=SupportStatus.WAITING, validate_choice=False)


class AssignForm(FlaskForm):
    assignee = SelectField("Assignee", choices=[], validate_choice=False)


class StatusForm(FlaskForm):
    status = SelectField("Status", choices=[SelectChoice(k, v) for k, v in SupportStatus.STAFF_LABELS.items()], validate_choice=False)


class ConfirmForm(FlaskForm):
    """CSRF only."""


