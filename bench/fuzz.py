"""Fuzz run over every entry point that reads a user's file, and the sandbox's cost.

    .venv/bin/python bench/fuzz.py [--scale 1.0] [--seed 1] [--skip-live]

1. The cost of reading one file safely: in-process symusic, the sandbox's fork server, a plain
   fork of this process (torch imported) and a fresh interpreter per file (spawn).
2. Mutated files (tests/fuzzing.py) through the library readers, the CLI (`metrics`, `plot`),
   and the studio's upload form, JSON API primer and profile photo (Flask test client, jobs
   run for every accepted primer). Per entry point: cases, accepted, refused, 5xx, crashes
   (sandbox children that died), slowest case.
3. A live `sonatina serve`: a 200 kB ABC tune, a 30 kB .mxl bomb (200 MB inflated) and a 2 MB
   MIDI of 100k notes uploaded while another user loads pages; upload times and the other
   user's p95 latency.

Prints Markdown tables for bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import html
import io
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "tests" / "web"))

import fuzzing  # noqa: E402
from helpers import PASSWORD, HttpUser, Studio, make_score  # noqa: E402


def overhead(folder: Path, files: int = 60) -> list[tuple[str, float]]:
    import torch  # noqa: F401  as in the CLI and the web server: the parent holds torch's threads
    from symusic import Score

    from sonatina.data.untrusted import read_score

    path = folder / "piece.mid"
    make_score(bars=16).dump_midi(str(path))
    rows = []

    def timed(label, call, n=files):
        call()
        start = time.perf_counter()
        for _ in range(n):
            call()
        rows.append((label, (time.perf_counter() - start) / n * 1000))

    timed("in-process symusic (trusted corpora)", lambda: Score(str(path)))
    timed("sandbox: fork server child + limits + MIDI back", lambda: read_score(path))

    def plain_fork():
        pid = os.fork()
        if pid == 0:
            Score(str(path)).dumps_midi()
            os._exit(0)
        os.waitpid(pid, 0)

    timed("plain fork of this process (torch loaded; unsafe with threads)", plain_fork)
    code = f"from symusic import Score; Score({str(path)!r}).dumps_midi()"
    timed("spawn: a fresh interpreter per file", lambda: subprocess.run([sys.executable, "-c", code], check=True),
          n=10)
    return rows


class Tally:
    def __init__(self):
        self.rows = {}

    def add(self, entry, kind, status, took, label):
        row = self.rows.setdefault((entry, kind), {"cases": 0, "accepted": 0, "refused": 0, "5xx": 0,
                                                    "slowest": (0.0, "")})
        row["cases"] += 1
        row["5xx" if status >= 500 else "refused" if status >= 400 else "accepted"] += 1
        row["slowest"] = max(row["slowest"], (took, label))


def library(tally, folder, scale, seed):
    from sonatina.audio.files import load_audio
    from sonatina.data.corpus import load_score
    from sonatina.data.untrusted import WEB_LIMITS
    from sonatina.errors import BadInputError

    plan = {"midi": 3000, "musicxml": 200, "mxl": 200, "abc": 200, "wav": 400, "mp3": 400}
    for kind, count in plan.items():
        for label, name, data in fuzzing.cases(kind, int(count * scale), seed):
            path = folder / name
            path.write_bytes(data)
            start = time.perf_counter()
            try:
                load_audio(path) if kind in ("wav", "mp3") else load_score(path, limits=WEB_LIMITS)
                status = 200
            except BadInputError:
                status = 400
            tally.add("library reader", kind, status, time.perf_counter() - start, label)


def cli(tally, folder, scale, seed):
    from click.testing import CliRunner

    from sonatina.cli import main
    from sonatina.data import untrusted

    untrusted.read_score.__kwdefaults__["limits"] = untrusted.WEB_LIMITS  # bound music21's minutes
    runner = CliRunner()
    plan = {"midi": ("metrics", 600), "musicxml": ("metrics", 60), "abc": ("metrics", 60), "wav": ("plot", 40),
            "mp3": ("plot", 40)}
    for kind, (command, count) in plan.items():
        for label, name, data in fuzzing.cases(kind, int(count * scale), seed + 1):
            path = folder / name
            path.write_bytes(data)
            args = [command, str(path)] + (["--kind", "spectrogram", "--out", str(folder)] if command == "plot" else [])
            start = time.perf_counter()
            result = runner.invoke(main, args)
            ok = result.exception is None or isinstance(result.exception, SystemExit)
            status = 500 if not ok or result.exit_code not in (0, 2) else 400 if result.exit_code == 2 else 200
            if status == 500:
                print("CLI failure", label, result.exit_code, repr(result.exception), file=sys.stderr)
            tally.add(f"CLI `{command}`", kind, status, time.perf_counter() - start, label)
    untrusted.read_score.__kwdefaults__["limits"] = untrusted.CLI_LIMITS


def web(tally, folder, scale, seed):
    from webhelpers import AuthActions, generate

    from sonatina.web import create_app, jobs
    from sonatina.web.extensions import db
    from sonatina.web.models import Job, Song

    instance = folder / "instance"
    app = create_app({"TESTING": True, "INSTANCE_PATH": str(instance), "HUEY_IMMEDIATE": True,
                      "DATABASE_URL": f"sqlite:///{instance / 'fuzz.db'}", "REDIS_URL": None})
    client = app.test_client()
    auth = AuthActions(client)
    auth.signup()
    first = generate(auth, "default", primer=(io.BytesIO(fuzzing.seeds("midi")[0]), "theme.mid"), seconds="5")
    assert first.status_code == 302, first.get_data(as_text=True)[:500]
    token = client.post("/api/token", json={"username": "ada", "password": PASSWORD, "name": "fuzz"}).json["token"]
    headers = {"Authorization": f"Bearer {token}"}
    with app.app_context():
        kept = {s.id: Path(app.config["FILES_DIR"], s.midi_file).read_bytes() for s in db.session.query(Song)}
    plan = {"midi": 800, "musicxml": 60, "mxl": 60, "abc": 60, "wav": 100, "mp3": 100}
    for kind, count in plan.items():
        for index, (label, name, data) in enumerate(fuzzing.cases(kind, int(count * scale), seed + 2)):
            start = time.perf_counter()
            if index % 2 == 0:
                response = generate(auth, "default", primer=(io.BytesIO(data), name), seconds="5")
                entry = "web form /studio/generate"
            else:
                response = client.post("/api/generate", headers=headers, content_type="multipart/form-data",
                                       data={"model": "default", "seconds": "5", "primer": (io.BytesIO(data), name)})
                entry = "web API /api/generate"
            tally.add(entry, kind, response.status_code, time.perf_counter() - start, label)
            if response.status_code >= 500:
                print("5xx", label, html.unescape(response.get_data(as_text=True))[:300], file=sys.stderr)
    for label, name, data in fuzzing.cases("png", int(300 * scale), seed + 3):
        start = time.perf_counter()
        response = auth.post("/account", {"username": "ada", "email": "ada@example.com",
                                          "photo": (io.BytesIO(data), name)}, content_type="multipart/form-data")
        tally.add("web form /account photo", "png", response.status_code, time.perf_counter() - start, label)
    with app.app_context():
        intact = all(db.session.get(Song, i) is not None and
                     Path(app.config["FILES_DIR"], db.session.get(Song, i).midi_file).read_bytes() == midi
                     for i, midi in kept.items())
        internal = db.session.query(Job).filter(Job.error == jobs.INTERNAL_ERROR).count()
        done = db.session.query(Job).filter(Job.status == "done").count()
        failed = [j.error for j in db.session.query(Job).filter(Job.status == "failed")]
    answering = client.get("/dashboard").status_code == 200
    return {"songs_intact": intact, "jobs_done": done, "jobs_failed": len(failed), "internal_errors": internal,
            "failure_messages": sorted(set(failed))[:5], "still_answering": answering}


def multipart(fields: dict, filename: str, data: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
             for k, v in fields.items()]
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="primer"; filename="{filename}"\r\n'
                 f"Content-Type: application/octet-stream\r\n\r\n".encode() + data + b"\r\n")
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def live(folder: Path) -> dict:
    """Big and hostile uploads to a real server while another user browses."""
    from fuzzing import dense_midi

    files = {
        "200 kB ABC tune": ("long.abc", b"X:1\nT:Long\nM:4/4\nL:1/8\nK:C\n" + b"CDEF GABc|" * 20_000 + b"\n"),
        "200 kB ABC tune book": ("book.abc", "".join(f"X:{i}\nT:Tune {i}\nM:4/4\nL:1/8\nK:G\nGABc dedB|cBAG A4|\n\n"
                                                     for i in range(1, 4000)).encode()),
        "30 kB .mxl bomb (200 MB inflated)": ("bomb.mxl", (ROOT / "tests" / "data" / "bomb.mxl").read_bytes()),
        "2 MB MIDI, 100k notes": ("big.mid", dense_midi(100_000)),
        "symusic crash MIDI": ("crash.mid", (ROOT / "tests" / "data" / "symusic-crash.mid").read_bytes()),
    }
    results, latencies, stop = {}, [], threading.Event()
    with Studio(folder / "live") as studio:
        HttpUser(studio.base, "mallory")  # signs up the uploader, whose token comes next
        browser = HttpUser(studio.base, "alice")
        token = json.loads(urllib.request.urlopen(urllib.request.Request(
            studio.base + "/api/token", data=json.dumps({"username": "mallory", "password": PASSWORD,
                                                         "name": "x"}).encode(),
            headers={"Content-Type": "application/json"}), timeout=60).read())["token"]

        def browse():
            while not stop.is_set():
                start = time.perf_counter()
                browser.get("/dashboard")
                latencies.append(time.perf_counter() - start)
                time.sleep(0.05)

        thread = threading.Thread(target=browse, daemon=True)
        thread.start()
        for label, (name, data) in files.items():
            body, kind = multipart({"model": "default", "seconds": "10"}, name, data)
            request = urllib.request.Request(studio.base + "/api/generate", data=body, method="POST",
                                             headers={"Content-Type": kind, "Authorization": f"Bearer {token}"})
            start = time.perf_counter()
            try:
                with urllib.request.urlopen(request, timeout=120) as response:
                    status, answer = response.status, json.loads(response.read())
            except urllib.error.HTTPError as exc:
                status, answer = exc.code, json.loads(exc.read() or b"{}")
            results[label] = (status, time.perf_counter() - start, answer.get("error") or answer.get("status"))
        stop.set()
        thread.join()
        alive = studio.proc.poll() is None
    latencies.sort()
    return {"uploads": results, "p95_ms": latencies[int(0.95 * (len(latencies) - 1))] * 1000,
            "max_ms": latencies[-1] * 1000, "requests": len(latencies), "server_alive": alive}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=1.0, help="Multiply every case count.")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--skip-live", action="store_true")
    args = parser.parse_args()
    from sonatina.data import untrusted

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        print("## Cost per file\n\n| way of reading one 16-bar MIDI file | ms per file |\n|---|---|")
        for label, ms in overhead(folder):
            print(f"| {label} | {ms:.2f} |")
        tally = Tally()
        started = time.perf_counter()
        library(tally, folder, args.scale, args.seed)
        cli(tally, folder, args.scale, args.seed)
        summary = web(tally, folder, args.scale, args.seed)
        print(f"\nFuzz run: {time.perf_counter() - started:.0f} s; sandbox children: {untrusted.STATS}\n")
        print("| entry point | kind | cases | accepted | refused (4xx / exit 2) | 5xx / traceback | slowest |")
        print("|---|---|---|---|---|---|---|")
        for (entry, kind), row in tally.rows.items():
            took, label = row["slowest"]
            print(f"| {entry} | {kind} | {row['cases']} | {row['accepted']} | {row['refused']} | {row['5xx']} | "
                  f"{took:.2f} s ({label}) |")
        total = sum(r["cases"] for r in tally.rows.values())
        print(f"\nTotal {total} cases, {sum(r['5xx'] for r in tally.rows.values())} 5xx; studio after the run: {summary}")
        if not args.skip_live:
            print(f"\nLive server: {live(folder)}")


if __name__ == "__main__":
    main()
