"""Forms shared by several blueprints."""

from __future__ import annotations

from flask_wtf import FlaskForm


class EmptyForm(FlaskForm):
    """Buttons that only POST (log out, revoke, delete) still need the CSRF token."""
