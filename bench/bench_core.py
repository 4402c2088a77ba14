"""Core benchmarks: ingestion speed, training throughput, composing speed, CLI start-up.

    .venv/bin/python bench/bench_core.py --data ../shared/datasets [--files 40]
    .venv/bin/python bench/bench_core.py --startup-only     # just the `sonatina` process timings
    # against another version's source tree, run alternately under the same load:
    git archive db28a48 src | tar -x -C /tmp/before
    .venv/bin/python bench/bench_core.py --startup-only --against /tmp/before/src

Prints a Markdown table; the recorded results live in bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

from sonatina import api
from sonatina.data.corpus import music_files
from sonatina.data.dataset import BatchSampler, TokenizedPiece
from sonatina.data.tokens import Vocabulary, build_tokenizer, encode, prepare_score
from sonatina.model.checkpoint import preset
from sonatina.model.lstm import MusicLSTM

SONATINA = Path(sys.executable).parent / "sonatina"


def ingest(files: list[Path]) -> tuple[float, float]:
    """Files per second: symusic read + prepare + MidiTok encode, versus music21 parsing alone."""
    from symusic import Score

    tok = build_tokenizer()
    t = time.perf_counter()
    for f in files:
        encode(tok, prepare_score(Score(str(f))).score)
    ours = len(files) / (time.perf_counter() - t)
    import music21

    few = files[: max(3, len(files) // 8)]  # music21 is slow; a sample is enough for a rate
    t = time.perf_counter()
    for f in few:
        music21.converter.parse(str(f), forceSource=True)  # not music21's own pickle cache
    return ours, len(few) / (time.perf_counter() - t)


def training_tokens_per_second(preset_name: str, files: list[Path], steps: int = 15) -> float:
    tok = build_tokenizer()
    vocab = Vocabulary(tok)
    from symusic import Score

    pieces = []
    for f in files[:20]:
        p = prepare_score(Score(str(f)))
        pieces.append(TokenizedPiece(f.name, "pop", "train", encode(tok, p.score), p.mode, p.tonic, p.tempo, p.notes))
    config = preset(preset_name)
    config.vocab_size = vocab.size
    model = MusicLSTM(config)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    sampler = BatchSampler(pieces, vocab, {"pop": 0}, 256, 32)
    t, tokens = None, 0
    for step in range(steps + 2):
        if step == 2:  # first steps warm up allocators
            t, tokens = time.perf_counter(), 0
        x, y, g, m = (torch.from_numpy(a) for a in sampler())
        logits, _ = model(x, g, m)
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()
        tokens += y.numel()
    return tokens / (time.perf_counter() - t)


def compose_seconds(seconds: float, runs: int = 5, **options) -> tuple[float, int]:
    model = api.load_model("default")
    api.compose(model, seconds=seconds, seed=0, **options)  # warm-up
    times, notes = [], 0
    for seed in range(1, runs + 1):
        t = time.perf_counter()
        piece = api.compose(model, seconds=seconds, seed=seed, **options)[0]
        times.append(time.perf_counter() - t)
        notes += piece.score.note_num()
    return statistics.median(times), notes // runs


STARTUP_COMMANDS = (("`sonatina --help`", ["--help"]), ("`sonatina models`", ["models"]),
                    ("`sonatina generate --seconds 30 --out a.mid --seed 1`",
                     ["generate", "--seconds", "30", "--out", "{tmp}/a.mid", "--seed", "1"]))


def process_seconds(args: list[str], src: str | None = None) -> tuple[float, float]:
    """(wall, CPU user+sys) seconds of one whole `sonatina ARGS` process, start-up included;
    `src` runs another version's source tree instead (PYTHONPATH goes before the installed one)."""
    env = {**os.environ, "PYTHONPATH": src} if src else None
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    subprocess.run([str(SONATINA), *args], check=True, capture_output=True, env=env)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime


def startup_rows(against: str | None = None, runs: int = 5) -> None:
    """Median wall and CPU time of each start-up command; with `against`, that tree's numbers
    too, each run alternating between the two so both see the same machine load."""
    trees = {"this tree": None, **({against: against} if against else {})}
    with tempfile.TemporaryDirectory() as tmp:
        for label, args in STARTUP_COMMANDS:
            args = [a.format(tmp=tmp) for a in args]
            times = {name: [] for name in trees}
            for _ in range(runs):
                for name, src in trees.items():
                    times[name].append(process_seconds(args, src))
            cells = [f"{name}: {statistics.median(w for w, _ in v):.2f} s wall, "
                     f"{statistics.median(c for _, c in v):.2f} s CPU" for name, v in times.items()]
            print(f"| {label}, whole process, median of {runs} | {'; '.join(cells)} |")
    print(f"\nload average (1 min) at the end: {os.getloadavg()[0]:.1f}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, help="the shared datasets folder (uses pop909/)")
    parser.add_argument("--files", type=int, default=40)
    parser.add_argument("--startup-only", action="store_true", help="only time whole `sonatina` processes")
    parser.add_argument("--against", help="another version's src/ folder to time alternately with this one")
    args = parser.parse_args()
    if args.startup_only:
        print("| measure | result |\n|---|---|")
        startup_rows(args.against)
        return
    if args.data is None:
        parser.error("--data is required (the datasets folder holding pop909/), except with --startup-only")
    files = music_files(args.data / "pop909")[: args.files]
    print(f"torch threads: {torch.get_num_threads()}\n")
    print("| measure | result |\n|---|---|")
    ours, m21 = ingest(files)
    print(f"| ingest, symusic + MidiTok (read, prepare, tokenize) | {ours:.1f} files/s |")
    print(f"| ingest, music21 parsing only | {m21:.2f} files/s ({ours / m21:.0f}x slower) |")
    for name in ("small", "medium"):
        print(f"| training throughput, preset {name} (batch 32 x 256) | {training_tokens_per_second(name, files):,.0f} tokens/s |")
    for tempo in (None, 120.0):
        median, notes = compose_seconds(60.0, tempo=tempo)
        label = "genre's typical tempo" if tempo is None else f"{tempo:g} BPM"
        print(f"| compose 60 s with `default` ({label}), median of 5 | {median:.3f} s ({notes} notes) |")
    startup_rows()


if __name__ == "__main__":
    main()
