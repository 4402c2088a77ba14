"""`sonatina serve --no-worker` and `sonatina worker` as real processes sharing an instance folder."""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import subprocess
import time
import urllib.parse
import urllib.request

from click.testing import CliRunner

from helpers import free_port, sonatina_command
from sonatina.cli import main
from webhelpers import PASSWORD


def test_commands_are_registered():
    runner = CliRunner()
    serve = runner.invoke(main, ["serve", "--help"])
    assert serve.exit_code == 0 and "--instance" in serve.output and "--no-worker" in serve.output
    worker = runner.invoke(main, ["worker", "--help"])
    assert worker.exit_code == 0 and "--instance" in worker.output


def test_server_and_separate_worker(tmp_path, tiny_run):
    instance, port = tmp_path / "instance", free_port()
    env = {**os.environ, "SONATINA_MODELS": str(tiny_run)}
    env.pop("DATABASE_URL", None)
    env.pop("SONATINA_REDIS_URL", None)
    log = (tmp_path / "log.txt").open("w")
    server = subprocess.Popen(sonatina_command() + ["serve", "--port", str(port), "--instance", str(instance), "--no-worker"],
                              env=env, stdout=log, stderr=subprocess.STDOUT)
    worker = None
    base = f"http://127.0.0.1:{port}"
    try:
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        deadline = time.monotonic() + 60
        while True:
            try:
                html = opener.open(base + "/signup", timeout=2).read().decode()
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, (tmp_path / "log.txt").read_text()
                time.sleep(0.3)
        token = re.search(r'name="csrf-token" content="([^"]+)"', html).group(1)
        form = urllib.parse.urlencode({"csrf_token": token, "username": "ada", "email": "ada@example.com",
                                       "password": PASSWORD, "confirm": PASSWORD}).encode()
        assert "/dashboard" in opener.open(base + "/signup", data=form).geturl()

        request = urllib.request.Request(base + "/api/generate", method="POST",
                                         data=json.dumps({"model": tiny_run.name, "seconds": 6}).encode(),
                                         headers={"Content-Type": "application/json", "X-CSRFToken": token})
        job = json.loads(opener.open(request).read())
        time.sleep(1.0)
        assert json.loads(opener.open(base + job["urls"]["self"]).read())["status"] == "queued"  # no worker yet

        worker = subprocess.Popen(sonatina_command() + ["worker", "--instance", str(instance)], env=env,
                                  stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 90
        while (state := json.loads(opener.open(base + job["urls"]["self"]).read()))["status"] in ("queued", "running"):
            assert time.monotonic() < deadline, (tmp_path / "log.txt").read_text()
            time.sleep(0.3)
        assert state["status"] == "done" and len(state["songs"]) == 1
        midi = opener.open(base + state["songs"][0]["urls"]["midi"]).read()
        assert midi.startswith(b"MThd")
    finally:
        for proc in (worker, server):
            if proc is not None:
                proc.terminate()
                proc.wait(timeout=20)
        log.close()
