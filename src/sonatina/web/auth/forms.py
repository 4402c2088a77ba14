"""Account forms (Flask-WTF: every form carries a CSRF token)."""

from __future__ import annotations

from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, EmailField, PasswordField, StringField, TextAreaField
from wtforms.validators import DataRequired, EqualTo, Length, Optional, Regexp, StopValidation

from sonatina.web.auth.passwords import password_problem

USERNAME = [DataRequired(), Length(3, 40),
            Regexp(r"^[A-Za-z0-9_.-]+$", message="Use only letters, digits, dots, dashes and underscores.")]
# A plain shape check (no deliverability lookups: the studio sends no mail).
EMAIL = [DataRequired(), Length(max=254),
         Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message="Enter an email address like name@example.com.")]


def strong_password(form, field) -> None:
    """New passwords only: refuse common, patterned and name-based ones with one sentence."""
    if field.errors:  # too short already said
        return
    personal = [getattr(form, name).data for name in ("username", "email") if hasattr(form, name)]
    if current_user and current_user.is_authenticated:
        personal += [current_user.username, current_user.email]
    problem = password_problem(field.data or "", *personal)
    if problem:
        raise StopValidation(problem)


PASSWORD = [DataRequired(), Length(8, 200, message="Use at least 8 characters."), strong_password]


class SignupForm(FlaskForm):
    username = StringField("Username", validators=USERNAME)
    email = EmailField("Email", validators=EMAIL)
    password = PasswordField("Password", validators=PASSWORD)
    confirm = PasswordField("Repeat password", validators=[DataRequired(), EqualTo("password", "The passwords differ.")])
    photo = FileField("Profile photo (optional)")


class LoginForm(FlaskForm):
    username = StringField("Username or email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=200)])
    remember = BooleanField("Remember me")


class ProfileForm(FlaskForm):
    username = StringField("Username", validators=USERNAME)
    email = EmailField("Email", validators=EMAIL)
    bio = TextAreaField("About you", validators=[Optional(), Length(max=1000)])
    photo = FileField("New profile photo")
    remove_photo = BooleanField("Remove my photo")


class PasswordForm(FlaskForm):
    current = PasswordField("Current password", validators=[DataRequired()])
    password = PasswordField("New password", validators=PASSWORD)
    confirm = PasswordField("Repeat new password", validators=[DataRequired(), EqualTo("password", "The passwords differ.")])


class DeleteAccountForm(FlaskForm):
    password = PasswordField("Your password", validators=[DataRequired()])


class TokenForm(FlaskForm):
    name = StringField("Token name", validators=[DataRequired(), Length(1, 80)])
