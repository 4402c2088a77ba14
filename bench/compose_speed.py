"""Composing and converting speed, before and after: a git revision's whole source tree against the working tree's.

    nice -n 10 .venv/bin/python bench/compose_speed.py --before 40eeb3c --model /tmp/speedmodel [--rounds 3]
        [--files src/sonatina/compose/sample.py ...]
    nice -n 10 .venv/bin/python bench/compose_speed.py --tutorial --model /tmp/speedmodel  # issue 12's ratio

Each side runs in its own process (the revision's src/ unpacked by `git archive`, so everything it
imports is as it was; with --files, only those files are taken from the revision, so edits others
have in progress are on both sides), alternating for --rounds rounds so both meet the same load.
Every case runs once per round; a case's time is its smallest process CPU time over the rounds (on
a shared, loaded box CPU time says more than wall time, and the smallest is the least disturbed).
Cases: composing 60 s per genre of the model (its default settings, seed 100, as bench/designs.py
times it), settings that take other paths (no form, lookback, scale strength, temperature, top-k,
top-p, variations, primers), and converting three sources (pop, jazz, piano; 16 bars each) into
every target genre. Each case's MIDI bytes are hashed: the table says whether the two sides (and
every round) wrote byte-identical files.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "datasets"
PRIMERS = {"pop": (DATA / "pop909/003/003.mid", 4), "jazz": (DATA / "wjazzd/ArtPepper_Desafinado_FINAL.mid", 8)}
SOURCES = {"pop": DATA / "pop909/002/002.mid", "jazz": DATA / "wjazzd/ArtPepper_InAMellowTone_FINAL.mid",
           "piano": DATA / "giantmidi-eval/ground_truth/bach_bwv_858_a.mid"}
CONVERT_TARGETS = ("classical", "folk", "jazz", "pop", "rock")


def cropped(path: Path, bars: int):
    from symusic import Score

    score = Score(str(path)).resample(480)
    end = bars * 4 * 480
    for track in score.tracks:
        kept = [n for n in track.notes if n.time < end]
        track.notes.clear()
        track.notes.extend(kept)
    return score


def compose_cases(genres: list[str]) -> list[tuple[str, dict]]:
    cases = [(f"compose 60 s {g}", {"genre": g, "seed": 100}) for g in genres]
    first = genres[0]
    cases += [
        ("compose free, no scale bias", {"genre": "pop" if "pop" in genres else first, "seed": 3, "form": "none",
                                          "scale_strength": 0}),
        ("compose ABAB, lookback 2", {"genre": "folk" if "folk" in genres else first, "seed": 4, "form": "ABAB",
                                       "repetition": 2.0}),
        ("compose scale 2, t 0.9, top-k 40", {"genre": "classical" if "classical" in genres else first, "seed": 5,
                                               "scale_strength": 2.0, "temperature": 0.9, "top_k": 40}),
        ("compose top-p 0.9, 3 variations", {"genre": "jazz" if "jazz" in genres else first, "seed": 6, "top_p": 0.9,
                                              "variations": 3}),
    ]
    return [(name, {"seconds": 60, **kw}) for name, kw in cases]


def worker(src: Path, model_path: str, out: Path) -> None:
    """Run every case once with the sonatina found in `src`; write {case: [cpu_s, sha1, minutes]}."""
    sys.path.insert(0, str(src))
    from sonatina import api
    from sonatina.model.registry import load_model

    model = load_model(model_path)
    api.compose(model, seconds=10, genre=model.genres[0], seed=1)  # warm: first calls import and build tables
    results = {}

    def timed(name, call, minutes):
        started = time.process_time()
        pieces = call()
        cpu = time.process_time() - started
        digest = hashlib.sha1(b"".join(bytes(p.score.dumps_midi()) for p in pieces)).hexdigest()
        results[name] = [cpu, digest, minutes]

    for name, kw in compose_cases(model.genres):
        timed(name, lambda: api.compose(model, **kw), kw["seconds"] * kw.get("variations", 1) / 60)
    for genre, (path, bars) in PRIMERS.items():
        if genre in model.genres and path.exists():
            primer = cropped(path, bars)
            timed(f"compose 60 s {genre} with a primer",
                  lambda: api.compose(model, seconds=60, primer=primer, seed=7), 1)
    for source, path in SOURCES.items():
        if not path.exists():
            continue
        score = cropped(path, 16)
        minutes = float(score.to("second").end()) / 60
        for target in CONVERT_TARGETS:
            timed(f"convert {source} -> {target}", lambda: api.convert(score, target, model=model, seed=1), minutes)
        timed(f"convert {source} -> jazz, melody+bass, strength 0.5, 2 variations",
              lambda: api.convert(score, "jazz", model=model, seed=2, keep="melody+bass", strength=0.5, variations=2),
              2 * minutes)
    out.write_text(json.dumps(results))


def tutorial_ratio(model_path: str, rounds: int, vocab_size: int = 1112) -> None:
    """The tutorial's per-note loop for `classic` (one torch forward of the 100-event window per event,
    120 events = 60 s at 120 BPM, as bench/designs.py's predict_loop) against composing 60 s of pop
    with the REMI model, interleaved in one process so both meet the same load. The classic network
    is untrained here (its cost does not depend on its weights); vocab_size is the recorded run's.
    torch runs on one thread: on two threads the loop's CPU time grows with the box's load (9.2 s
    recorded in "Which design?", 62 s at load 5), so one thread is the loop's conservative floor."""
    import torch

    from sonatina import api
    from sonatina.model.design_train import build_net
    from sonatina.model.designs import design_preset
    from sonatina.model.registry import load_model

    torch.set_num_threads(1)  # the fairest floor for the loop: torch's threads spinning on a busy box cost CPU time
    config = design_preset("classic")
    config.vocab_size = vocab_size
    net = build_net(config).float().eval()
    model = load_model(model_path)
    genre = "pop" if "pop" in model.genres else model.genres[0]
    api.compose(model, seconds=10, genre=genre, seed=1)

    def loop() -> None:
        rng = np.random.default_rng(0)
        window = list(rng.integers(2, config.vocab_size, size=config.window))
        with torch.no_grad():
            for _ in range(120):
                probs = torch.softmax(net(torch.tensor([window[-config.window:]]))["event"][0], dim=-1)
                probs = probs.numpy().astype(np.float64)
                window.append(int(rng.choice(len(probs), p=probs / probs.sum())))

    times = {"tutorial loop": [], "compose": []}
    for _ in range(rounds):
        for name, call in (("tutorial loop", loop), ("compose", lambda: api.compose(model, seconds=60, genre=genre,
                                                                                    seed=100))):
            started = time.process_time()
            call()
            times[name].append(time.process_time() - started)
    best = {name: min(values) for name, values in times.items()}
    print(f"60 s of music, process CPU s (smallest of {rounds}): tutorial loop {best['tutorial loop']:.2f}, "
          f"{genre} composed {best['compose']:.3f}: {best['tutorial loop'] / best['compose']:.0f}x")


def unpack(revision: str, files: list[str]) -> Path:
    """The revision's src/ in a new folder; with `files`, the working tree's src/ with only those
    files as they were at the revision (so others' edits in progress are on both sides)."""
    folder = Path(tempfile.mkdtemp(prefix="sonatina-before-"))
    if files:
        shutil.copytree(ROOT / "src", folder / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        for name in files:
            show = ["git", "show", f"{revision}:{name}"]
            (folder / name).write_bytes(subprocess.run(show, cwd=ROOT, check=True, capture_output=True).stdout)
        return folder / "src"
    archive = subprocess.run(["git", "archive", revision, "src"], cwd=ROOT, check=True, capture_output=True).stdout
    archive_path = folder / "src.tar"
    archive_path.write_bytes(archive)
    with tarfile.open(archive_path) as tar:
        tar.extractall(folder, filter="data")
    return folder / "src"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", help="git revision to compare the working tree with")
    parser.add_argument("--tutorial", action="store_true",
                        help="instead: the tutorial's per-note loop for classic against composing 60 s (issue 12)")
    parser.add_argument("--model", default="default", help="model name or folder (use a private copy)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--files", nargs="*", default=[],
                        help="compare only these files (paths from the repository root) at the revision")
    parser.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker(args.worker, args.model, args.out)
    if args.tutorial:
        return tutorial_ratio(args.model, args.rounds)
    if not args.before:
        parser.error("say --before REVISION (or --tutorial)")
    sides = {"before": unpack(args.before, args.files), "now": ROOT / "src"}
    runs: dict[str, list[dict]] = {"before": [], "now": []}
    for round_ in range(args.rounds):
        for side, src in sorted(sides.items(), reverse=round_ % 2 == 1):  # alternate who goes first
            out = Path(tempfile.mkstemp(suffix=".json")[1])
            subprocess.run([sys.executable, __file__, "--before", args.before, "--model", args.model,
                            "--worker", str(src), "--out", str(out)], check=True)
            runs[side].append(json.loads(out.read_text()))
            out.unlink()
        print(f"round {round_ + 1} of {args.rounds} done", file=sys.stderr, flush=True)
    shutil.rmtree(sides["before"].parent)
    print(f"CPU seconds per minute of music (smallest of {args.rounds} rounds), {args.before} -> working tree\n")
    print("| case | before | now | speed-up | same MIDI bytes |")
    print("|---|---|---|---|---|")
    totals = {"compose": [0.0, 0.0], "convert": [0.0, 0.0]}
    identical = 0
    names = list(runs["now"][0])
    for name in names:
        best = {side: min(r[name][0] for r in runs[side]) / runs[side][0][name][2] for side in runs}
        hashes = {r[name][1] for side in runs for r in runs[side]}
        identical += len(hashes) == 1
        kind = name.split()[0]
        totals[kind][0] += best["before"]
        totals[kind][1] += best["now"]
        print(f"| {name} | {best['before']:.3f} | {best['now']:.3f} | {best['before'] / best['now']:.1f}x | "
              f"{'yes' if len(hashes) == 1 else 'NO'} |")
    counts = {kind: sum(n.startswith(kind) for n in names) for kind in totals}
    for kind, (before, now) in totals.items():
        if counts[kind]:
            print(f"\nmean {kind}: {before / counts[kind]:.3f} -> {now / counts[kind]:.3f} CPU s per minute of music")
    print(f"identical MIDI bytes in {identical} of {len(names)} cases")


if __name__ == "__main__":
    main()
