from flask_wtf import FlaskForm
from wtforms import EmailField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length

from app.models import Role
from app.validation import NoControlCharacters

ROLE_CHOICES = [
    SelectChoice(Role.STAFF, "Staff: calls, contacts, calendar, leads and conversations"),
    SelectChoice(Role.MANAGER, "Manager: everything except billing and the team"),
    SelectChoice(Role.OWNER, "Owner: everything, including billing and the team"),
]


class InviteForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Email(check_deliverability=False), Length(max=255),
                                            NoControlCharacters()])
    role = SelectField("Role", choices=ROLE_CHOICES, default=Role.STAFF)


class RoleForm(FlaskForm):
    role = SelectField("Role", choices=ROLE_CHOICES)
