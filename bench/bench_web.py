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
import json
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from helpers import HttpUser as User, Studio  # noqa: E402 (the tests' helpers: one copy of each)


class Server(Studio):
    """The studio in a temporary instance folder, removed when it stops."""

    def __init__(self, *extra: str):
        try:
            super().__init__(tempfile.mkdtemp(prefix="sonatina-bench-"), *extra, timeout=120)
        except RuntimeError as exc:
            raise SystemExit(str(exc)) from None

    def stop(self):
        super().stop()
        shutil.rmtree(self.instance, ignore_errors=True)


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
