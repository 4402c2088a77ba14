"""Accounts: sign up (with photo), log in/out, rate limit, CSRF, profile, password, deletion."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image
from sqlalchemy import select

from webhelpers import PASSWORD, csrf_token, login, png_bytes
from sonatina.web.extensions import db
from sonatina.web.models import Song, User


def files_in(app) -> list[Path]:
    return [p for p in Path(app.config["FILES_DIR"]).rglob("*") if p.is_file()]


def user(app, username="ada") -> User | None:
    with app.app_context():
        return db.session.scalar(select(User).where(User.username == username))


def test_signup_with_photo_stores_a_reencoded_jpeg(app, client, auth):
    response = auth.signup(photo=png_bytes(size=(1200, 800)))
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Welcome to Sonatina, ada!" in html
    row = user(app)
    assert row.password_hash.startswith("$argon2id$") and PASSWORD not in row.password_hash
    assert row.photo_file.startswith("photos/") and row.photo_file.endswith(".jpg")
    name = row.photo_file.split("/")[-1]
    assert f"/account/photo/{name}" in html  # shown on the dashboard
    served = client.get(f"/account/photo/{name}")
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    image = Image.open(io.BytesIO(served.data))
    assert image.format == "JPEG" and max(image.size) == 512  # shrunk, never the upload itself


def test_signup_rejects_malformed_photo_and_stores_nothing(app, auth):
    response = auth.signup(photo=b"GIF89a this is not really an image")
    assert response.status_code == 400
    assert "could not be read as an image" in response.get_data(as_text=True)
    assert user(app) is None and files_in(app) == []


def test_signup_rejects_oversized_photo_and_too_many_pixels(app, auth):
    big = b"\x89PNG\r\n\x1a\n" + b"\0" * (6 * 1024 * 1024)
    response = auth.signup(photo=big)
    assert response.status_code == 400 and "larger than 5 MB" in response.get_data(as_text=True)
    huge = png_bytes(size=(6000, 5000), mode="1", color=1)  # 30 megapixels in a few kB
    response = auth.signup(photo=huge)
    assert response.status_code == 400 and "too many pixels" in response.get_data(as_text=True)
    vast = png_bytes(size=(20000, 20000), mode="1", color=1)  # past Pillow's own bomb guard, which said "not an image"
    response = auth.signup(photo=vast)
    assert response.status_code == 400 and "too many pixels" in response.get_data(as_text=True)
    assert user(app) is None and files_in(app) == []


def test_signup_validation_messages(client, auth):
    response = auth.signup(username="a b", email="not-an-email", password="short")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Use only letters" in html and "Enter an email address" in html and "at least 8 characters" in html
    auth.signup(username="ada")
    auth.logout()
    response = auth.signup(username="ADA", email="other@example.com")
    assert response.status_code == 400 and "That username is taken." in response.get_data(as_text=True)


def test_login_logout_and_login_required(client, auth):
    assert client.get("/dashboard").headers["Location"].startswith("/login")
    auth.signup()
    auth.logout()
    assert client.get("/dashboard").status_code == 302
    response = auth.login(password="wrong password")
    assert response.status_code == 401 and "Wrong username or password." in response.get_data(as_text=True)
    response = auth.login()
    assert response.status_code == 302 and response.headers["Location"] == "/dashboard"
    assert client.get("/dashboard").status_code == 200
    # Login by email works too, and ?next= only follows same-site paths.
    auth.logout()
    response = login(client, "ada@example.com", query="next=//evil.example/x")
    assert response.headers["Location"] == "/dashboard"


def test_remember_me_survives_a_lost_session_cookie(client, auth):
    auth.signup()
    auth.logout()
    auth.login(remember=True)
    client.delete_cookie("session")
    assert client.get("/dashboard").status_code == 200


def test_login_attempts_are_rate_limited(client, auth):
    auth.signup()
    auth.logout()
    for _ in range(5):
        assert auth.login(password="nope nope nope").status_code == 401
    response = auth.login()  # even the right password waits now
    assert response.status_code == 429 and "Too many failed logins" in response.get_data(as_text=True)
    assert client.get("/dashboard").status_code == 302
    # Another username from the same address is not blocked.
    assert auth.login(username="someone", password="x" * 8).status_code == 401


def test_forms_without_csrf_token_are_refused(app, client, auth):
    response = client.post("/signup", data={"username": "eve", "email": "eve@example.com",
                                            "password": PASSWORD, "confirm": PASSWORD})
    assert response.status_code == 400 and "security token" in response.get_data(as_text=True)
    assert user(app, "eve") is None
    auth.signup()
    assert client.post("/logout").status_code == 400
    assert client.get("/dashboard").status_code == 200  # still logged in
    assert client.post("/account/delete", data={"password": PASSWORD}).status_code == 400
    assert user(app) is not None


def test_edit_profile_and_photo(app, client, auth):
    auth.signup(photo=png_bytes())
    old_photo = user(app).photo_file
    response = auth.post("/account", {"username": "ada2", "email": "ADA2@example.com", "bio": "I write fugues.",
                                      "photo": (io.BytesIO(png_bytes(color=(0, 0, 255), mode="RGBA")), "new.png")},
                         content_type="multipart/form-data", follow_redirects=True)
    assert response.status_code == 200 and "Your profile is saved." in response.get_data(as_text=True)
    row = user(app, "ada2")
    assert row.email == "ada2@example.com" and row.bio == "I write fugues."
    assert row.photo_file != old_photo
    assert not (Path(app.config["FILES_DIR"]) / old_photo).exists()
    assert client.get(f"/account/photo/{old_photo.split('/')[-1]}").status_code == 404
    # Bad photo: a clear message, the profile keeps its photo.
    response = auth.post("/account", {"username": "ada2", "email": "ada2@example.com",
                                      "photo": (io.BytesIO(b"\x00\x01garbage"), "x.jpg")},
                         content_type="multipart/form-data")
    assert response.status_code == 400 and "could not be read" in response.get_data(as_text=True)
    assert user(app, "ada2").photo_file == row.photo_file
    response = auth.post("/account", {"username": "ada2", "email": "ada2@example.com", "remove_photo": "y"},
                         follow_redirects=True)
    assert user(app, "ada2").photo_file is None and files_in(app) == []


def test_password_change_signs_out_other_sessions(app, auth):
    other = app.test_client()
    auth.signup()
    other_token = csrf_token(other)
    other.post("/login", data={"csrf_token": other_token, "username": "ada", "password": PASSWORD})
    assert other.get("/dashboard").status_code == 200
    response = auth.post("/account/password", {"current": "wrong", "password": "new password 1", "confirm": "new password 1"})
    assert response.status_code == 400 and "not your current password" in response.get_data(as_text=True)
    response = auth.post("/account/password", {"current": PASSWORD, "password": "new password 1", "confirm": "new password 1"})
    assert response.status_code == 302
    assert auth.client.get("/dashboard").status_code == 200  # this session carries on
    assert other.get("/dashboard").status_code == 302  # the other one is signed out
    auth.logout()
    assert auth.login(password="new password 1").status_code == 302


def test_delete_account_removes_every_file(app, client, auth, make_song):
    auth.signup(photo=png_bytes())
    song_id = make_song()
    assert client.get(f"/songs/{song_id}/download/midi").status_code == 200
    assert len(files_in(app)) == 2  # photo + MIDI
    response = auth.post("/account/delete", {"password": "wrong"})
    assert response.status_code == 400 and user(app) is not None
    response = auth.post("/account/delete", {"password": PASSWORD}, follow_redirects=True)
    assert "Your account and all your songs are deleted." in response.get_data(as_text=True)
    assert user(app) is None and files_in(app) == []
    with app.app_context():
        assert db.session.scalar(select(Song)) is None
    assert client.get("/dashboard").status_code == 302


def test_revoking_a_token_id_too_long_for_the_database_is_404_not_500(client, auth):
    auth.signup()
    assert auth.post(f"/account/tokens/{10**22}/revoke").status_code == 404  # was OverflowError, a 500
    assert auth.post("/account/tokens/1/revoke").status_code == 404
