"""Extensions shared by the blueprints, each bound to an app with init_app."""

from __future__ import annotations

from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

from sonatina.web.database import Database

db = Database()
csrf = CSRFProtect()
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "Please log in to open that page."
login_manager.login_message_category = "info"
