"""An upload over the app's request limit (MAX_CONTENT_LENGTH) on a form with a file field gets
that form back with one sentence naming the limit its hint states, not a bare error page."""

from __future__ import annotations

import io
import re
from html import unescape
from pathlib import Path

from sonatina.web import songs
from webhelpers import csrf_token

OVER = 17 * 1024 * 1024  # past the 16 MB request limit


def errors(response) -> list[str]:
    return [unescape(e) for e in re.findall(r'data-testid="field-error">([^<]*)<', response.get_data(as_text=True))]


def hint_limits(response) -> set[str]:
    return set(re.findall(r"up to (\d+(?:\.\d+)? MB)", response.get_data(as_text=True)))


def stored(app) -> list[Path]:
    return [p for p in Path(app.config["FILES_DIR"]).rglob("*") if p.is_file()]


def test_photo_over_the_request_limit_gets_the_signup_and_profile_forms_back(app, client, auth):
    assert app.config["MAX_CONTENT_LENGTH"] == 16 * 1024 * 1024
    data = {"csrf_token": csrf_token(client, "/signup"), "username": "ada", "email": "ada@example.com",
            "password": "x", "confirm": "x", "photo": (io.BytesIO(b"\0" * OVER), "me.png")}
    signup = client.post("/signup", data=data, content_type="multipart/form-data")
    assert signup.status_code == 413 and 'id="signup-form"' in signup.get_data(as_text=True)
    assert errors(signup) == ["The photo is larger than 5 MB; please pick a smaller one."]
    assert hint_limits(signup) == {"5 MB"}  # the form's hint says the same limit
    auth.signup()
    profile = auth.post("/account", {"username": "ada", "email": "ada@example.com",
                                     "photo": (io.BytesIO(b"\0" * OVER), "me.png")}, content_type="multipart/form-data")
    page = profile.get_data(as_text=True)
    assert profile.status_code == 413 and 'id="profile-form"' in page and 'value="ada"' in page
    assert errors(profile) == ["The photo is larger than 5 MB; please pick a smaller one."]
    assert not [p for p in stored(app) if "photos" in p.parts]


def test_primer_and_piece_over_the_request_limit_get_their_forms_back(app, client, auth):
    auth.signup()
    mb = "15 MB" if songs.transcription_available() else "2 MB"  # what the forms' hints say
    generate = auth.post("/studio/generate", {"seconds": "8", "primer": (io.BytesIO(b"\0" * OVER), "take.wav")},
                         content_type="multipart/form-data")
    assert generate.status_code == 413 and 'id="generate-form"' in generate.get_data(as_text=True)
    assert errors(generate) == [f"The primer is larger than {mb}; please upload a shorter piece."]
    assert mb in hint_limits(generate)
    convert = auth.post("/studio/convert", {"to": "jazz", "source": (io.BytesIO(b"\0" * OVER), "take.wav")},
                        content_type="multipart/form-data")
    assert convert.status_code == 413 and 'id="convert-form"' in convert.get_data(as_text=True)
    assert errors(convert) == [f"The piece is larger than {mb}; please upload a shorter piece."]
    assert not stored(app)


def test_a_lower_request_limit_is_the_one_named(app, client, auth):
    app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024
    auth.signup()
    page = client.get("/account")
    assert hint_limits(page) == {"1 MB"}
    profile = auth.post("/account", {"username": "ada", "email": "ada@example.com",
                                     "photo": (io.BytesIO(b"\0" * (2 * 1024 * 1024)), "me.png")},
                        content_type="multipart/form-data")
    assert profile.status_code == 413 and errors(profile) == ["The photo is larger than 1 MB; please pick a smaller one."]
    # anywhere else, and for the API, the plain answer naming the request limit
    api = client.post("/api/generate", data={"primer": (io.BytesIO(b"\0" * (2 * 1024 * 1024)), "a.mid")},
                      content_type="multipart/form-data")
    assert api.status_code == 413 and "up to 1 MB" in api.json["error"]
