"""Login and session hardening (issue 9, items 3-6 and 9): safe ?next=, logout that ends the
session, an atomic per-account and per-address login limit, no timing hint for unknown users,
strong passwords, CSP and HSTS headers."""

from __future__ import annotations

import re
import statistics
import threading
import time
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from pathlib import Path

from sonatina.web import create_app, security
from webhelpers import PASSWORD, AuthActions, csrf_token, login


# ---------------------------------------------------------------- 3. open redirect

OFF_SITE = ["/\t/evil.example", "//evil.example", "/\\evil.example", "\\\\evil.example", "https://evil.example/",
            "javascript:alert(1)", "/\n/evil.example", " //evil.example", "/%2F/evil.example", "/%5Cevil.example",
            "///evil.example", "http:/evil.example", "evil.example", "/\r\n//evil.example", "/\x00/evil.example"]


def test_next_never_leaves_the_site(client, auth):
    auth.signup()
    for target in OFF_SITE:
        auth.logout()
        response = login(client, query={"next": target})
        assert response.status_code == 302 and response.headers["Location"] == "/dashboard", repr(target)


def test_next_with_an_encoded_tab_as_reported(client, auth):
    auth.signup()
    auth.logout()
    response = login(client, query="next=/%09/evil.example")
    assert response.headers["Location"] == "/dashboard"


def test_next_to_a_page_here_is_followed(client, auth):
    auth.signup()
    auth.logout()
    response = login(client, query={"next": "/songs/3?autoplay=1"})
    assert response.headers["Location"] == "/songs/3?autoplay=1"


# ---------------------------------------------------------------- 4. logout ends the session

def test_a_session_cookie_copied_before_logout_is_dead_after_it(app, client, auth):
    auth.signup()
    stolen = {"session": client.get_cookie("session").value}
    thief = app.test_client()
    for name, value in stolen.items():
        thief.set_cookie(name, value)
    assert thief.get("/dashboard").status_code == 200  # the copy works while the session lives
    assert auth.logout().status_code == 302
    assert thief.get("/dashboard").status_code == 302
    assert client.get("/dashboard").status_code == 302
    assert login(client).status_code == 302 and client.get("/dashboard").status_code == 200  # logging in again works


def test_remember_me_cookie_is_short_and_dies_at_logout(app, client, auth):
    auth.signup()
    auth.logout()
    response = auth.login(remember=True)
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("remember_token="))
    expires = parsedate_to_datetime(re.search(r"Expires=([^;]+)", cookie).group(1))
    assert expires - datetime.now(timezone.utc) <= timedelta(days=30)
    remembered = client.get_cookie("remember_token").value
    auth.logout()
    thief = app.test_client()
    thief.set_cookie("remember_token", remembered)
    assert thief.get("/dashboard").status_code == 302
    # A new login gives a new remember-me value: the old one is not reissued.
    auth.login(remember=True)
    assert client.get_cookie("remember_token").value != remembered


# ---------------------------------------------------------------- 5. login limit

def test_a_burst_of_concurrent_guesses_checks_at_most_the_limit(app, auth):
    auth.signup()
    auth.logout()
    statuses = burst(app, 30)
    assert statuses.count(401) <= security.LOGIN_LIMIT, statuses
    assert statuses.count(429) >= 30 - security.LOGIN_LIMIT and set(statuses) <= {401, 429}


def burst(app, n: int) -> list[int]:
    """n clients that all post a wrong password for 'ada' at the same moment."""
    clients = [app.test_client() for _ in range(n)]
    forms = [{"csrf_token": csrf_token(c), "username": "ada", "password": "wrong guess 1"} for c in clients]
    gate, statuses = threading.Barrier(n), []

    def attempt(c, form):
        gate.wait()
        statuses.append(c.post("/login", data=form).status_code)

    threads = [threading.Thread(target=attempt, args=pair) for pair in zip(clients, forms)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return statuses


def test_username_and_email_count_as_one_account(client, auth):
    auth.signup()
    auth.logout()
    for name in ("ada", "ADA@example.com", "ada", "ada@example.com", " Ada "):
        assert login(client, name, "wrong guess 1").status_code == 401
    response = login(client, "ada@example.com")
    assert response.status_code == 429 and "Too many failed logins" in response.get_data(as_text=True)
    # The token endpoint shares the limit.
    assert client.post("/api/token", json={"username": "ada", "password": PASSWORD}).status_code == 429


def test_one_password_across_many_usernames_is_throttled(client, auth):
    auth.signup()
    auth.logout()
    statuses = [login(client, f"user{i}", "Summer2024!", addr="203.0.113.9").status_code
                for i in range(security.ADDRESS_LIMIT + 2)]
    assert statuses[:security.ADDRESS_LIMIT] == [401] * security.ADDRESS_LIMIT
    assert statuses[security.ADDRESS_LIMIT:] == [429, 429]
    # Another address is not affected, and neither is a right password from elsewhere.
    assert login(client, "user0", "Summer2024!", addr="198.51.100.4").status_code == 401
    assert login(client, addr="198.51.100.5").status_code == 302


def test_ipv6_neighbours_share_one_address_limit():
    assert security._address("2001:db8:1:2::5") == security._address("2001:db8:1:2:ffff::9")
    assert security._address("2001:db8:1:3::5") != security._address("2001:db8:1:2::5")
    assert security._address("::ffff:203.0.113.9") == "203.0.113.9"


# ---------------------------------------------------------------- 6. timing

class CountingHasher:
    def __init__(self, inner):
        self.inner, self.verified = inner, 0

    def verify(self, *args):
        self.verified += 1
        return self.inner.verify(*args)

    def __getattr__(self, name):
        return getattr(self.inner, name)


def test_an_unknown_user_costs_a_password_check_like_a_known_one(app, client, auth, monkeypatch):
    auth.signup()
    auth.logout()
    security._dummy_hash()  # made once per process; not part of what a login costs
    spy = CountingHasher(security._hasher)
    monkeypatch.setattr(security, "_hasher", spy)
    timings = {"ada": [], "nobody-here": []}
    for round_ in range(5):
        for name in timings:
            started = time.perf_counter()
            assert login(client, name, "wrong guess 1", addr=f"192.0.2.{10 * round_ + len(name)}").status_code == 401
            timings[name].append(time.perf_counter() - started)
    assert spy.verified == 10  # one argon2 verification per attempt, known user or not
    known, unknown = statistics.median(timings["ada"]), statistics.median(timings["nobody-here"])
    assert unknown > 0.5 * known, (known, unknown)


# ---------------------------------------------------------------- 9. passwords and headers

WEAK = ["password", "12345678", "Password123!", "qwertyuiop", "abcdefgh", "aaaaaaaaaa", "12121212", "iloveyou1",
        "87654321", "aabbaabb"]


def test_weak_passwords_are_refused_at_signup(app, auth):
    from sonatina.web.extensions import db
    from sonatina.web.models import User

    for weak in WEAK:
        response = auth.signup(password=weak)
        html = response.get_data(as_text=True)
        assert response.status_code == 400, weak
        assert "most common" in html or "keyboard run" in html or "different characters" in html, weak
    with app.app_context():
        assert db.session.query(User).count() == 0


def test_password_change_refuses_weak_and_name_based_passwords(client, auth):
    auth.signup("gabriella")
    for weak, said in (("letmein1", "most common"), ("Gabriella2024", "username or email")):
        response = auth.post("/account/password", {"current": PASSWORD, "password": weak, "confirm": weak})
        assert response.status_code == 400 and said in response.get_data(as_text=True)


def test_reasonable_passwords_pass():
    from sonatina.web.auth.passwords import password_problem

    for good in (PASSWORD, "new password 1", "Tr0mb0ne-Sunday", "bach and brahms 1685"):
        assert password_problem(good, "ada", "ada@example.com") is None, good


def test_strict_content_security_policy(client, auth, make_song):
    policy = client.get("/login").headers["Content-Security-Policy"]
    rules = dict(rule.strip().split(" ", 1) for rule in policy.split(";"))
    assert rules["default-src"] == "'self'" and rules["object-src"] == "'none'"
    assert rules["frame-ancestors"] == "'none'" and rules["base-uri"] == "'none'" and rules["form-action"] == "'self'"
    assert "'unsafe-inline'" not in policy and "'unsafe-eval'" not in policy and "*" not in policy
    # Every page keeps to it: no inline <script>/<style> blocks or style attributes, and each
    # inline event handler (the player's "not built" message) is allowed by its hash.
    auth.signup()
    song_id = make_song()
    import base64
    import hashlib

    for url in ("/login", "/signup", "/dashboard", f"/songs/{song_id}", "/studio/generate", "/account", "/api/docs"):
        html = client.get(url).get_data(as_text=True)
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), url
        assert "<style" not in html and not re.search(r"\sstyle=", html), url
        for handler in re.findall(r'\son[a-z]+="([^"]*)"', html):
            digest = base64.b64encode(hashlib.sha256(handler.encode()).digest()).decode()
            assert f"'sha256-{digest}'" in rules["script-src"], (url, handler)


def test_hsts_only_when_cookies_are_secure(app_config, client):
    assert "Strict-Transport-Security" not in client.get("/login").headers
    secure = create_app({**app_config, "SESSION_COOKIE_SECURE": True, "REMEMBER_COOKIE_SECURE": True})
    header = secure.test_client().get("/login", base_url="https://localhost").headers["Strict-Transport-Security"]
    assert int(re.search(r"max-age=(\d+)", header).group(1)) >= 180 * 86400


def test_instance_files_are_private(app_config, instance):
    app = create_app({**app_config, "HUEY_IMMEDIATE": False, "DATABASE_URL": f"sqlite:///{instance / 'sonatina.db'}"})
    client = app.test_client()
    AuthActions(client).signup()
    mode = lambda p: oct(Path(p).stat().st_mode & 0o777)  # noqa: E731
    assert mode(instance) == "0o700" and mode(app.config["FILES_DIR"]) == "0o700"
    for name in ("sonatina.db", "queue.db", "secret_key", "sonatina.db-wal"):
        assert mode(instance / name) == "0o600", name
    # An instance made by an older version (world-readable) is tightened at the next start.
    (instance / "sonatina.db").chmod(0o644)
    instance.chmod(0o755)
    create_app({**app_config, "HUEY_IMMEDIATE": False, "DATABASE_URL": f"sqlite:///{instance / 'sonatina.db'}"})
    assert mode(instance / "sonatina.db") == "0o600" and mode(instance) == "0o700"


def test_song_files_and_their_folders_are_private(app, auth, make_song):
    auth.signup()
    make_song()
    midi = [p for p in Path(app.config["FILES_DIR"]).rglob("*") if p.is_file()]
    assert len(midi) == 1 and oct(midi[0].stat().st_mode & 0o777) == "0o600"
    assert oct(midi[0].parent.stat().st_mode & 0o777) == "0o700"
