"""Core benchmarks: ingestion speed, training throughput, composing speed, CLI start-up.

    .venv/bin/python bench/bench_core.py --data ../shared/datasets [--files 40]
    .venv/bin/python bench/bench_core.py --startup-only     # just the `sonatina` process timings

Prints a Markdown table; the recorded results live in bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
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


def cli_seconds(*args: str, runs: int = 5) -> tuple[float, float]:
    """(median, max) wall seconds of a whole `sonatina ARGS` process, start-up included."""
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run([str(SONATINA), *args], check=True, capture_output=True)
        times.append(time.perf_counter() - t)
    return statistics.median(times), max(times)


def startup_rows() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        for label, args in (("`sonatina --help`", ["--help"]), ("`sonatina models`", ["models"]),
                            ("`sonatina generate --seconds 30 --out a.mid --seed 1`",
                             ["generate", "--seconds", "30", "--out", f"{tmp}/a.mid", "--seed", "1"])):
            median, worst = cli_seconds(*args)
            print(f"| {label}, whole process, median of 5 | {median:.2f} s (max {worst:.2f} s) |")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, help="the shared datasets folder (uses pop909/)")
    parser.add_argument("--files", type=int, default=40)
    parser.add_argument("--startup-only", action="store_true", help="only time whole `sonatina` processes")
    args = parser.parse_args()
    if args.startup_only:
        print("| measure | result |\n|---|---|")
        startup_rows()
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
