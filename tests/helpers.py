"""Helpers shared by the tests of every folder and by the benchmarks in bench/.

pytest finds this module through `pythonpath = ["tests"]` (pyproject); bench scripts put tests/
on sys.path themselves. Flask test-client helpers (CSRF, AuthActions) stay in web/webhelpers.py.

- ``make_score``: a tiny two-voice piece built in memory with symusic, in a chosen key
- ``free_port``, ``sonatina_command``: for starting real processes
- ``Studio``: `sonatina serve` as a real process on a free port, answering before it returns
- ``HttpUser``: a user signed up through the real form over HTTP, with its own cookies
- ``serve_player_page``: the player partial alone on a tiny Flask server (no studio back end)
- ``CHROMIUM_ARGS``: how the browser tests and the player benchmark start headless Chromium
- ``upgrade_with_two_songs``: a studio database made at an old migration, with rows, upgraded to head
- ``one_second_per_batch``: training's clock made to tick one simulated second per batch
- ``use_web_read_limits``, ``survived``: the fuzz tests' bounds, and their check of one CLI run
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

import numpy as np
from symusic import Note, Score, Tempo, Track

PASSWORD = "correct horse battery"  # passes the sign-up form's password rules
MAJOR = [0, 2, 4, 5, 7, 9, 11]
MINOR = [0, 2, 3, 5, 7, 8, 10]

CHROMIUM_ARGS = [
    "--no-sandbox",  # we run as root in CI containers
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--autoplay-policy=no-user-gesture-required",
]


def make_score(seed: int = 0, bars: int = 8, tonic: int = 60, minor: bool = False, tempo: float = 100.0,
               tpq: int = 480) -> Score:
    """A two-voice piece: a stepwise melody over a root-fifth bass, in a given key, 4/4."""
    rng = np.random.default_rng(seed)
    scale = MINOR if minor else MAJOR
    score = Score(tpq)
    score.tempos.append(Tempo(0, qpm=tempo))
    melody, bass = Track(name="melody", program=0), Track(name="bass", program=32)
    degree, t = 0, 0
    for _ in range(bars * 4 * 2):  # eighth-note grid
        if rng.random() < 0.8:
            degree = int(np.clip(degree + rng.choice([-2, -1, 1, 2]), -3, 9))
            pitch = tonic + 12 * (degree // 7) + scale[degree % 7]
            melody.notes.append(Note(t, tpq // 2, int(pitch), int(rng.integers(60, 100))))
        t += tpq // 2
    for bar in range(bars):
        root = tonic - 24 + scale[[0, 3, 4, 0][bar % 4]]
        for beat in range(4):
            melody_free = beat % 2 == 0
            bass.notes.append(Note((bar * 4 + beat) * tpq, tpq, int(root + (0 if melody_free else 7)), 70))
    score.tracks.extend([melody, bass])
    return score


def free_port() -> int:
    """A loopback TCP port nothing listens on right now (the OS picks it)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def sonatina_command() -> list[str]:
    """The `sonatina` CLI of the running interpreter's environment."""
    script = Path(sys.executable).with_name("sonatina")
    return [str(script)] if script.exists() else [sys.executable, "-m", "sonatina"]


class Studio:
    """`sonatina serve` on a free loopback port with its own instance folder (SQLite database,
    files, queue), started and answering "/" when the constructor returns. Use as a context
    manager, or call ``stop``; the server's output goes to ``instance/server.log``."""

    def __init__(self, instance: str | Path, *args: str, env: dict[str, str] | None = None, timeout: float = 90):
        self.instance = Path(instance)
        self.instance.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        full_env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
        for name in ("DATABASE_URL", "SONATINA_REDIS_URL"):  # the instance's SQLite, whatever the shell has
            full_env.pop(name, None)
        self.log_path = self.instance / "server.log"
        self._log = self.log_path.open("w")
        self.proc = subprocess.Popen(
            sonatina_command() + ["serve", "--host", "127.0.0.1", "--port", str(self.port),
                                  "--instance", str(self.instance), *args],
            stdout=self._log, stderr=subprocess.STDOUT, env=full_env)
        self._wait_until_answering(timeout)

    def _wait_until_answering(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                self._fail(f"sonatina serve exited with {self.proc.returncode}")
            try:
                urllib.request.urlopen(self.base + "/", timeout=2).close()
                return
            except OSError:
                if time.monotonic() > deadline:
                    self._fail(f"sonatina serve did not answer in {timeout:g} s")
                time.sleep(0.3)

    def _fail(self, why: str) -> None:
        log = self.log()  # read before stop(), which may remove the instance folder
        self.stop()
        raise RuntimeError(f"{why}:\n{log}")

    def log(self) -> str:
        return self.log_path.read_text()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()

    def __enter__(self) -> Studio:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


class HttpUser:
    """One browser without a browser: a cookie jar, signed up (and so logged in) through the
    real sign-up form of a running studio, sending the CSRF token with its JSON calls."""

    def __init__(self, base: str, name: str, password: str = PASSWORD):
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        html = self.get("/signup").decode()
        self.csrf = re.search(r'name="csrf-token" content="([^"]+)"', html).group(1)
        form = {"csrf_token": self.csrf, "username": name, "email": f"{name}@example.com",
                "password": password, "confirm": password}
        with self.opener.open(base + "/signup", data=urllib.parse.urlencode(form).encode(), timeout=60) as response:
            self.landed = response.geturl()  # the dashboard when sign-up worked

    def get(self, path: str) -> bytes:
        with self.opener.open(self.base + path, timeout=60) as response:
            return response.read()

    def api(self, path: str, body: dict | None = None) -> dict:
        """GET (no body) or POST JSON to the studio's API; the decoded JSON answer."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base + path, data=data, method="POST" if data else "GET",
                                         headers={"Content-Type": "application/json", "X-CSRFToken": self.csrf})
        with self.opener.open(request, timeout=60) as response:
            return json.loads(response.read())

    def wait(self, job: dict, timeout: float = 600) -> dict:
        """Poll a job until it is done or failed; its final state."""
        deadline = time.monotonic() + timeout
        while job["status"] in ("queued", "running"):
            if time.monotonic() > deadline:
                raise TimeoutError(f"job {job['id']} did not finish in {timeout:g} s")
            time.sleep(0.2)
            job = self.api(job["urls"]["self"])
        return job


PLAYER_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>{{ song.title }}</title></head>
<body><h1>{{ song.title }}</h1>{% include "player/_player.html" %}</body></html>"""


def serve_player_page(midi: bytes, song):
    """The player partial rendered as the song page includes it, for ``song`` (an object with
    id, title, duration_s, settings), playing ``midi``; served from a thread at BASE/song (the
    MIDI at BASE/song.mid). Returns (BASE, server); call ``server.shutdown()`` when done."""
    from flask import Flask, Response, render_template_string
    from werkzeug.serving import make_server

    import sonatina

    web = Path(sonatina.__file__).parent / "web"
    app = Flask("player_page", template_folder=str(web / "templates"), static_folder=str(web / "static"))
    app.add_url_rule("/song", "song", lambda: render_template_string(PLAYER_PAGE, song=song, midi_url="/song.mid",
                                                                       audio_urls={}))
    app.add_url_rule("/song.mid", "midi", lambda: Response(midi, mimetype="audio/midi"))
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{httpd.server_port}", httpd


def upgrade_with_two_songs(url: str, revision: str):
    """The studio database at `url` migrated to `revision`, given user 1 ('ada'), done job 'j1' and
    songs 1 and 2 of that job, then upgraded to head; returns its engine (dispose it when done), for
    a test of what the later migrations kept and added."""
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import text

    from sonatina.web.database import MIGRATIONS_DIR, make_engine

    engine = make_engine(url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
        connection.execute(text("insert into users (id, username, email, password_hash, bio, session_version, "
                                "created_at) values (1, 'ada', 'a@example.com', 'x', '', 1, CURRENT_TIMESTAMP)"))
        connection.execute(text("insert into jobs (id, owner_id, status, progress, params, created_at) "
                                "values ('j1', 1, 'done', 1, '{}', CURRENT_TIMESTAMP)"))
        for song_id in (1, 2):
            connection.execute(text(
                "insert into songs (id, owner_id, job_id, title, model, duration_s, seed, settings, midi_file, "
                f"created_at) values ({song_id}, 1, 'j1', 't', 'default', 1, 1, '{{}}', 'm.mid', CURRENT_TIMESTAMP)"))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    return engine


def one_second_per_batch(monkeypatch) -> None:
    """Make sonatina.model.train's clock advance one simulated second per training batch, and not
    otherwise, so a --max-minutes limit stops after a known number of steps on any machine."""
    import types

    from sonatina.model import train as T

    clock = {"now": 0.0}

    class TickingSampler(T.BatchSampler):
        def __call__(self):
            clock["now"] += 1.0
            return super().__call__()

    monkeypatch.setattr(T, "BatchSampler", TickingSampler)
    monkeypatch.setattr(T, "time", types.SimpleNamespace(monotonic=lambda: clock["now"]))


def use_web_read_limits(monkeypatch) -> None:
    """The studio's limits for reading untrusted files in the CLI too, so a mutated score that would
    make music21 think for minutes stops at 8 s."""
    from sonatina.data import untrusted

    monkeypatch.setattr(untrusted, "CLI_LIMITS", untrusted.WEB_LIMITS)
    monkeypatch.setattr(untrusted.read_score, "__kwdefaults__", {"name": None, "limits": untrusted.WEB_LIMITS})


def survived(runner, args: list[str], label: str) -> int:
    """The exit code of `sonatina ARGS` run in-process by a click CliRunner, asserted to be 0, or 2
    with one "Error: ..." sentence last and no traceback (`label` names the case in a failure)."""
    from sonatina.cli import main

    result = runner.invoke(main, args)
    assert result.exit_code in (0, 2), (label, result.exit_code, result.output, result.exception)
    assert result.exception is None or isinstance(result.exception, SystemExit), (label, result.exception)
    if result.exit_code == 2:
        lines = result.output.strip().splitlines()
        assert lines[-1].startswith("Error: ") and "Traceback" not in result.output, (label, result.output)
    return result.exit_code
