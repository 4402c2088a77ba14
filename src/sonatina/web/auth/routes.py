"""Accounts: sign up, log in/out, profile (details, photo, password), API tokens, deletion."""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import func, or_, select

from sonatina.errors import SonatinaError
from sonatina.web import photos, security, songs, storage
from sonatina.web.auth.forms import DeleteAccountForm, LoginForm, PasswordForm, ProfileForm, SignupForm, TokenForm
from sonatina.web.forms import EmptyForm, too_large_page
from sonatina.web.extensions import db, login_manager
from sonatina.web.models import ApiToken, User

bp = Blueprint("auth", __name__)


@login_manager.user_loader
def load_user(login_id: str):
    user_id, _, version = login_id.partition(".")
    if not user_id.isdigit() or not version.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    if user is None or user.session_version != int(version):
        return None  # deleted, or signed out everywhere by a password change
    return user


def _taken(username: str, email: str, except_id: int | None = None) -> str | None:
    query = select(User).where(or_(func.lower(User.username) == username.lower(), func.lower(User.email) == email.lower()))
    for user in db.session.scalars(query):
        if user.id != except_id:
            return "That username is taken." if user.username.lower() == username.lower() else "That email is already registered."
    return None


def _safe_next(target: str | None) -> str:
    """Only a path on this site; anything else (an open redirect would help phishing) goes home.

    Browsers drop tabs and newlines from URLs and read a backslash as a slash, so
    "/\t/evil.example" and "/\\evil.example" both mean "//evil.example": normalise the
    same way first, then accept only a plain path with no scheme and no host.
    """
    home = url_for("library.dashboard")
    if not target:
        return home
    cleaned = re.sub(r"[\x00-\x20\x7f]", "", target).replace("\\", "/")
    parts = urlsplit(cleaned)
    decoded = unquote(cleaned)
    if (not cleaned.startswith("/") or cleaned.startswith("//") or parts.scheme or parts.netloc
            or decoded.startswith("//") or "\\" in decoded or cleaned != target.strip()):
        return home
    return cleaned


@bp.route("/signup", methods=["GET", "POST"])
def signup():
    if current_user.is_authenticated:
        return redirect(url_for("library.dashboard"))
    form = SignupForm()
    if form.validate_on_submit():
        problem = _taken(form.username.data, form.email.data)
        if problem:
            (form.username if "username" in problem else form.email).errors.append(problem)
            return render_template("auth/signup.html", form=form), 400
        photo_name = None
        if form.photo.data and form.photo.data.filename:
            try:
                photo_name = photos.save_photo(form.photo.data)
            except SonatinaError as exc:
                form.photo.errors.append(str(exc))
                return render_template("auth/signup.html", form=form), 400
        user = User(username=form.username.data, email=form.email.data.strip().lower(),
                    password_hash=security.hash_password(form.password.data), photo_file=photo_name, bio="")
        db.session.add(user)
        db.session.commit()
        login_user(user)
        flash(f"Welcome to Sonatina, {user.username}!", "success")
        return redirect(url_for("library.dashboard"))
    status = 400 if form.is_submitted() else 200
    return render_template("auth/signup.html", form=form), status


@bp.context_processor
def _photo_limit():
    return {"photo_limit": photos.limit_text()}  # the forms' hint, and the sentence past it, say one limit


@too_large_page("auth.signup")
def _signup_too_large():
    form = SignupForm()
    form.photo.errors = [photos.too_large()]
    return render_template("auth/signup.html", form=form), 413


@too_large_page("auth.account")
def _account_too_large():
    if not current_user.is_authenticated:
        return None
    form = ProfileForm(obj=current_user)
    form.photo.errors = [photos.too_large()]
    return _account_page(form, status=413)


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("library.dashboard"))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = security.authenticate(request.remote_addr, form.username.data, form.password.data)
        except security.TooManyLogins as exc:
            flash(str(exc), "error")
            return render_template("auth/login.html", form=form), 429
        if user is None:
            flash("Wrong username or password.", "error")
            return render_template("auth/login.html", form=form), 401
        login_user(user, remember=form.remember.data)
        return redirect(_safe_next(request.args.get("next")))
    status = 400 if form.is_submitted() else 200
    return render_template("auth/login.html", form=form), status


@bp.post("/logout")
def logout():
    if current_user.is_authenticated:
        # The login id in every cookie carries this version: bumping it makes a copied
        # session or remember-me cookie worthless, here and on the user's other devices.
        user = db.session.get(User, current_user.id)
        user.session_version += 1
        db.session.commit()
    logout_user()
    flash("You are logged out (on every device).", "info")
    return redirect(url_for("auth.login"))


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    form = ProfileForm(obj=current_user)
    if form.validate_on_submit():
        problem = _taken(form.username.data, form.email.data, except_id=current_user.id)
        if problem:
            (form.username if "username" in problem else form.email).errors.append(problem)
            return _account_page(form, status=400)
        old_photo = None
        if form.photo.data and form.photo.data.filename:
            try:
                new_photo = photos.save_photo(form.photo.data)
            except SonatinaError as exc:
                form.photo.errors.append(str(exc))
                return _account_page(form, status=400)
            old_photo, current_user.photo_file = current_user.photo_file, new_photo
        elif form.remove_photo.data:
            old_photo, current_user.photo_file = current_user.photo_file, None
        current_user.username = form.username.data
        current_user.email = form.email.data.strip().lower()
        current_user.bio = form.bio.data or ""
        db.session.commit()
        storage.delete(old_photo)
        flash("Your profile is saved.", "success")
        return redirect(url_for("auth.account"))
    return _account_page(form, status=400 if form.is_submitted() else 200)


def _account_page(profile_form, password_form=None, delete_form=None, new_token=None, status=200):
    tokens = db.session.scalars(select(ApiToken).where(ApiToken.user_id == current_user.id)
                                .order_by(ApiToken.created_at.desc())).all()
    return render_template(
        "auth/account.html", form=profile_form, password_form=password_form or PasswordForm(),
        delete_form=delete_form or DeleteAccountForm(), token_form=TokenForm(), empty_form=EmptyForm(),
        tokens=tokens, new_token=new_token,
    ), status


@bp.post("/account/password")
@login_required
def change_password():
    form = PasswordForm()
    if not form.validate_on_submit():
        return _account_page(ProfileForm(obj=current_user), password_form=form, status=400)
    if not security.check_password(current_user.password_hash, form.current.data):
        form.current.errors.append("That is not your current password.")
        return _account_page(ProfileForm(obj=current_user), password_form=form, status=400)
    current_user.password_hash = security.hash_password(form.password.data)
    current_user.session_version += 1  # other sessions and remember-me cookies stop working
    db.session.commit()
    login_user(current_user)
    flash("Your password is changed; other devices are signed out.", "success")
    return redirect(url_for("auth.account"))


@bp.post("/account/delete")
@login_required
def delete_account():
    form = DeleteAccountForm()
    if not form.validate_on_submit() or not security.check_password(current_user.password_hash, form.password.data):
        form.password.errors.append("Enter your password to delete your account.")
        return _account_page(ProfileForm(obj=current_user), delete_form=form, status=400)
    user = db.session.get(User, current_user.id)
    songs.delete_user_files(user)
    logout_user()
    db.session.delete(user)
    db.session.commit()
    flash("Your account and all your songs are deleted.", "info")
    return redirect(url_for("auth.signup"))


@bp.post("/account/tokens")
@login_required
def create_token():
    form = TokenForm()
    if not form.validate_on_submit():
        flash("Give the token a name (up to 80 characters).", "error")
        return redirect(url_for("auth.account"))
    row, token = ApiToken.issue(current_user, form.name.data.strip())
    db.session.add(row)
    db.session.commit()
    # Shown once, right here: only its hash is stored.
    return _account_page(ProfileForm(obj=current_user), new_token=token)


@bp.post("/account/tokens/<int:token_id>/revoke")
@login_required
def revoke_token(token_id: int):
    row = db.session.scalar(select(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == current_user.id)) \
        if token_id < 2**63 else None  # a longer id overflows the database driver (a 500)
    if row is None:
        abort(404)
    db.session.delete(row)
    db.session.commit()
    flash(f"Token '{row.name}' is revoked.", "info")
    return redirect(url_for("auth.account"))


@bp.get("/account/photo/<name>")
@login_required
def photo(name: str):
    # Only the owner's current photo, always the re-encoded JPEG we made.
    if not current_user.photo_file or current_user.photo_file != f"photos/{name}":
        abort(404)
    return send_file(storage.path(current_user.photo_file), mimetype="image/jpeg", max_age=86400)
