from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length

MIN_PASSWORD_LENGTH = 10


class NewPasswordForm(FlaskForm):
    """A new password typed twice: sign-up and password reset."""

    password = PasswordField(
        "Password",
        validators=[
            DataRequired(),
            Length(min=MIN_PASSWORD_LENGTH, max=128, message=f"Use at least {MIN_PASSWORD_LENGTH} characters."),
        ],
    )
    confirm = PasswordField(
        "Repeat password", validators=[DataRequired(), EqualTo("password", message="Passwords don't match.")]
    )


class SignupForm(NewPasswordForm):
    name = StringField("Your name", validators=[DataRequired(), Length(max=120)])
    email = EmailField("Email", validators=[DataRequired(), Email(check_deliverability=False), Length(max=255)])


class LoginForm(FlaskForm):
    # Logging in only looks the address up. Syntax rules would lock out the
    # demo accounts, whose reserved .test domain email-validator refuses.
    email = EmailField("Email", validators=[DataRequired(), Length(max=255)])
    password = PasswordField("Password", validators=[DataRequired()])
    remember = BooleanField("Keep me logged in")


# -- accounts (issue 12)
class ForgotPasswordForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=255)])


class ResetPasswordForm(NewPasswordForm):
    pass


class TwoFactorLoginForm(FlaskForm):
    code = StringField("Authentication code", validators=[DataRequired(), Length(max=40)])
    remember_device = BooleanField("Trust this device for 30 days")


class TwoFactorSetupForm(FlaskForm):
    code = StringField("Code from your authenticator app", validators=[DataRequired(), Length(max=20)])


class TwoFactorDisableForm(FlaskForm):
    password = PasswordField("Your password", validators=[DataRequired(), Length(max=128)])
    code = StringField("A code from your authenticator app (or a recovery code)", validators=[DataRequired(), Length(max=40)])
