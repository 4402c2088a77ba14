"""Flask test-client helpers the web tests share: CSRF tokens, sign-up/log-in through the real
forms, images. Helpers for real processes and every folder are in tests/helpers.py."""

from __future__ import annotations

import io
import re

from PIL import Image

from helpers import PASSWORD


def csrf_token(client, url: str = "/login") -> str:
    """The session's CSRF token, read from the page's <meta name="csrf-token">."""
    html = client.get(url, follow_redirects=True).get_data(as_text=True)
    match = re.search(r'<meta name="csrf-token" content="([^"]+)"', html)
    assert match, f"no CSRF token on {url}"
    return match.group(1)


def png_bytes(size=(64, 48), color=(200, 30, 90), mode="RGB", fmt="PNG") -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, color).save(buffer, fmt)
    return buffer.getvalue()


class AuthActions:
    """Sign up / log in / log out through the real forms, CSRF token included."""

    def __init__(self, client):
        self.client = client

    def signup(self, username="ada", email=None, password=PASSWORD, photo: bytes | None = None, follow=True):
        data = {"csrf_token": csrf_token(self.client, "/signup"), "username": username,
                "email": email or f"{username}@example.com", "password": password, "confirm": password}
        if photo is not None:
            data["photo"] = (io.BytesIO(photo), "me.png")
        return self.client.post("/signup", data=data, content_type="multipart/form-data", follow_redirects=follow)

    def login(self, username="ada", password=PASSWORD, remember=False):
        data = {"csrf_token": csrf_token(self.client), "username": username, "password": password}
        if remember:
            data["remember"] = "y"
        return self.client.post("/login", data=data)

    def logout(self):
        return self.client.post("/logout", data={"csrf_token": csrf_token(self.client, "/")})

    def post(self, url, data=None, **kwargs):
        """A form POST with this session's CSRF token."""
        data = dict(data or {})
        data["csrf_token"] = csrf_token(self.client, "/")
        return self.client.post(url, data=data, **kwargs)


def login(client, username="ada", password=PASSWORD, addr="127.0.0.1", query=None):
    """POST the login form from address `addr`; `query` is the URL's query (a dict, or a string
    sent as written, e.g. "next=/%09/evil.example")."""
    data = {"csrf_token": csrf_token(client), "username": username, "password": password}
    return client.post("/login", data=data, query_string=query, environ_base={"REMOTE_ADDR": addr})


def generate(auth: AuthActions, model_name: str, **fields):
    data = {"model": model_name, "seconds": "8", "temperature": "1.0", "variations": "1", "seed": "7", **fields}
    return auth.post("/studio/generate", data, content_type="multipart/form-data", follow_redirects=False)


def job_song(auth: AuthActions, response) -> int:
    """Follow a form's redirect to its job (run at once in tests) and on to the one song it made: its id."""
    assert response.status_code == 302, response.get_data(as_text=True)
    job_page = auth.client.get(response.headers["Location"])
    assert job_page.status_code == 302, job_page.get_data(as_text=True)
    return int(job_page.headers["Location"].rsplit("/", 1)[1])


def regenerate(auth: AuthActions, song_id: int, bars: str = "2-2", seed: int = 4) -> int:
    """Regenerate bars of a song through its page's form; the new version's id."""
    first, last = bars.split("-")
    return job_song(auth, auth.post(f"/songs/{song_id}/regenerate",
                                    {"bars_first": first, "bars_last": last, "seed": str(seed)}))


def generate_page_match(client, pattern: str) -> str:
    """What `pattern` (a regular expression, `.` taking newlines too) finds on the generate page."""
    html = client.get("/studio/generate").get_data(as_text=True)
    return re.search(pattern, html, re.S).group(0)


def assert_input_takes_spec_bounds(client, setting) -> None:
    """The generate page's <input> for a request Setting is bounded by the spec's minimum and maximum."""
    field = generate_page_match(client, rf'<input[^>]*id="{setting.name}"[^>]*>')
    assert f'min="{setting.minimum:g}"' in field and f'max="{setting.maximum:g}"' in field


def generate_schema(client) -> dict:
    """GenerateRequest as the API documents it in /api/openapi.json."""
    return client.get("/api/openapi.json").json["components"]["schemas"]["GenerateRequest"]


def form_refusal(auth, model_name: str, **fields) -> str:
    """The page the generate form answers bad `fields` with (asserted a 400)."""
    refused = generate(auth, model_name, **fields)
    assert refused.status_code == 400
    return refused.get_data(as_text=True)


def api_refusal(client, headers: dict, model_name: str, **fields) -> str:
    """The error POST /api/generate answers bad `fields` with (asserted a 400)."""
    refused = client.post("/api/generate", headers=headers, json={"model": model_name, **fields})
    assert refused.status_code == 400
    return refused.json["error"]


def made_song(app, auth, model_name: str, **fields) -> tuple[int, dict]:
    """The id and stored settings of a song made through the generate form."""
    from sonatina.web.extensions import db
    from sonatina.web.models import Song

    made = generate(auth, model_name, **fields)
    assert made.status_code in (302, 303), made.get_data(as_text=True)[:300]
    with app.app_context():
        song = db.session.query(Song).order_by(Song.id.desc()).first()
        return song.id, song.settings
