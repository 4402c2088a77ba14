"""Web studio benchmarks: page latency under 50 concurrent users, and generation jobs per minute.

    .venv/bin/python bench/bench_web.py                 # both parts
    .venv/bin/python bench/bench_web.py --part pages --users 50 --seconds 20
    .venv/bin/python bench/bench_web.py --part jobs --jobs 12 --workers 1 2

Starts the real server (`sonatina serve`, waitress, SQLite in a temporary instance folder) on a
free loopback port; simulated users are threads in this process, each logged in with its own
session cookie, requesting pages back to back (no think time: a worst case). Traffic goes only
to 127.0.0.1, and every loop stops by itself.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

PASSWORD = "benchmark password"
SONATINA = [str(Path(sys.executable).with_name("sonatina"))]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, *extra: str):
        self.instance = Path(tempfile.mkdtemp(prefix="sonatina-bench-"))
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SONATINA_REDIS_URL")}
        self.log = (self.instance / "server.log").open("w")
        self.proc = subprocess.Popen(SONATINA + ["serve", "--port", str(self.port), "--instance",
                                                 str(self.instance), *extra],
                                     stdout=self.log, stderr=subprocess.STDOUT, env=env)
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(self.base + "/", timeout=2).close()
                return
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit((self.instance / "server.log").read_text())
                time.sleep(0.3)

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=30)
        self.log.close()
        shutil.rmtree(self.instance, ignore_errors=True)


class User:
    """One browser: a cookie jar, logged in through the real sign-up form."""

    def __init__(self, base: str, name: str):
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        html = self.get("/signup").decode()
        self.csrf = re.search(r'name="csrf-token" content="([^"]+)"', html).group(1)
        form = {"csrf_token": self.csrf, "username": name, "email": f"{name}@example.com",
                "password": PASSWORD, "confirm": PASSWORD}
        self.opener.open(base + "/signup", data=urllib.parse.urlencode(form).encode()).read()

    def get(self, path: str) -> bytes:
        with self.opener.open(self.base + path, timeout=60) as response:
            return response.read()

    def api(self, path: str, body: dict | None = None) -> dict:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base + path, data=data, method="POST" if data else "GET",
                                         headers={"Content-Type": "application/json", "X-CSRFToken": self.csrf})
        with self.opener.open(request, timeout=60) as response:
            return json.loads(response.read())

    def wait(self, job: dict, timeout: float = 600) -> dict:
        deadline = time.monotonic() + timeout
        while job["status"] in ("queued", "running"):
            if time.monotonic() > deadline:
                raise SystemExit(f"job {job['id']} did not finish")
            time.sleep(0.2)
            job = self.api(job["urls"]["self"])
        return job


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def bench_pages(users: int, seconds: float) -> dict:
    server = Server("--workers", "1")
    try:
        t0 = time.perf_counter()
        people = [User(server.base, f"user{i:03d}") for i in range(users)]
        signup_s = time.perf_counter() - t0
        # Every user gets one real song (8 s pieces keep the set-up short), so song pages are real.
        jobs = [(p, p.api("/api/generate", {"seconds": 8, "seed": i})) for i, p in enumerate(people)]
        song_ids = [p.wait(job)["songs"][0]["id"] for p, job in jobs]
        pages = {
            "dashboard": lambda u, sid: "/dashboard",
            "song page": lambda u, sid: f"/songs/{sid}",
            "generate form": lambda u, sid: "/studio/generate",
            "api song list": lambda u, sid: "/api/songs",
            "midi download": lambda u, sid: f"/songs/{sid}/download/midi",
        }
        timings: dict[str, list[float]] = {name: [] for name in pages}
        errors = []
        stop_at = time.monotonic() + seconds
        lock = threading.Lock()

        def browse(user: User, song_id: int):
            names = list(pages)
            i = 0
            while time.monotonic() < stop_at:
                name = names[i % len(names)]
                i += 1
                start = time.perf_counter()
                try:
                    user.get(pages[name](user, song_id))
                except Exception as exc:  # noqa: BLE001 - counted and reported
                    with lock:
                        errors.append(f"{name}: {exc}")
                    continue
                elapsed = time.perf_counter() - start
                with lock:
                    timings[name].append(elapsed)

        threads = [threading.Thread(target=browse, args=(u, s)) for u, s in zip(people, song_ids)]
        started = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - started
        every = [x for xs in timings.values() for x in xs]
        return {
            "users": users, "seconds": round(wall, 1), "requests": len(every), "errors": len(errors),
            "requests_per_s": round(len(every) / wall, 1), "signup_s_per_user": round(signup_s / users, 3),
            "all": {"p50_ms": round(pct(every, 0.5) * 1000, 1), "p95_ms": round(pct(every, 0.95) * 1000, 1)},
            "pages": {name: {"n": len(xs), "p50_ms": round(pct(xs, 0.5) * 1000, 1),
                             "p95_ms": round(pct(xs, 0.95) * 1000, 1)} for name, xs in timings.items() if xs},
        }
    finally:
        server.stop()


def bench_jobs(n_jobs: int, workers: int, seconds: float) -> dict:
    server = Server("--workers", str(workers))
    try:
        user = User(server.base, "composer")
        user.wait(user.api("/api/generate", {"seconds": 5, "seed": 0}))  # load the model once
        start = time.perf_counter()
        jobs = [user.api("/api/generate", {"seconds": seconds, "seed": 100 + i}) for i in range(n_jobs)]
        done = [user.wait(job) for job in jobs]
        wall = time.perf_counter() - start
        assert all(j["status"] == "done" for j in done), [j["error"] for j in done]
        # Audio is rendered on first download; time it separately (one WAV and one MP3).
        song = done[0]["songs"][0]
        render = {}
        for fmt in ("wav", "mp3"):
            t0 = time.perf_counter()
            user.get(song["urls"][fmt])
            render[fmt] = round(time.perf_counter() - t0, 2)
        return {"jobs": n_jobs, "workers": workers, "piece_seconds": seconds, "wall_s": round(wall, 1),
                "jobs_per_minute": round(n_jobs / wall * 60, 1), "first_download_s": render}
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=["pages", "jobs", "all"], default="all")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=20.0, help="how long the users browse")
    parser.add_argument("--jobs", type=int, default=12)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--piece-seconds", type=float, default=30.0)
    args = parser.parse_args()
    results = {}
    if args.part in ("pages", "all"):
        results["pages"] = bench_pages(args.users, args.seconds)
        print(json.dumps(results["pages"], indent=2), flush=True)
    if args.part in ("jobs", "all"):
        results["jobs"] = [bench_jobs(args.jobs, w, args.piece_seconds) for w in args.workers]
        for row in results["jobs"]:
            print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
