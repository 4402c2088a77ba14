"""How tonal is generated music against people's, per genre, at each scale strength?

    .venv/bin/python bench/tonality.py [--model default] [--pieces 16] [--strengths 0,1,2,3]

For each genre of the model, reads the validation-split pieces of that genre's training sources
(the sources and split the model card records, so the model never trained on them) and cuts
their first SECONDS; composes PIECES pieces of SECONDS at each `--scale-strength`; prints per
row the mean number of pitch classes used, scale consistency (share of notes in the best major or
natural-minor scale), the share of pieces under 0.95 consistency, and the mean leap (MGEval's
mean absolute interval between consecutive notes of a track), also with all tracks merged into
one: Sonatina writes one track while POP909 keeps melody and accompaniment apart, so only the
merged figure compares like with like. `--strengths ""` prints the people's rows alone. Run from
the project root (the card's source paths are relative to it).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from symusic import Score, Track

from sonatina import api
from sonatina.analysis import metrics as M
from sonatina.analysis.compare import excerpt
from sonatina.data.corpus import MIDI_SUFFIXES, collect_sources
from sonatina.data.corpus.reading import converted_midi_files, read_midi
from sonatina.data.dataset import split_of
from sonatina.errors import SonatinaError

COLUMNS = ("n_pitch_classes_used", "scale_consistency", "mean_pitch_shift")


def one_track(score: Score) -> Score:
    """Every pitched note on one track (as Sonatina writes its pieces)."""
    out = Score(score.ticks_per_quarter)
    out.tempos = score.tempos
    merged = Track("all", 0, False)
    for track in score.tracks:
        if not track.is_drum:
            merged.notes.extend(track.notes)
    merged.notes.sort(key=lambda n: (n.time, n.pitch))
    out.tracks.append(merged)
    return out


def validation_pieces(sources: list[str], seconds: float) -> dict[str, list]:
    """Per genre, the opening `seconds` of every validation-split piece of the sources (works of a
    multi-work file are keyed file#N, as training keys them)."""
    by_genre: dict[str, list] = {}
    for ref in collect_sources(sources):
        try:
            files = [ref.path] if ref.path.suffix.lower() in MIDI_SUFFIXES else converted_midi_files(ref.path)
        except SonatinaError:
            continue
        for work, midi in enumerate(files):
            key = (ref.key or str(ref.path)) + (f"#{work}" if len(files) > 1 else "")
            if (ref.split or split_of(key)) != "validation":
                continue
            try:
                by_genre.setdefault(ref.genre, []).append(excerpt(read_midi(midi), seconds))
            except SonatinaError:
                pass
    return by_genre


def row(scores: list) -> dict:
    values = {name: np.array([M.METRICS[name](s) for s in scores], dtype=float) for name in COLUMNS}
    merged_leap = np.array([M.mean_pitch_shift(one_track(s)) for s in scores], dtype=float)
    return {**{name: float(np.nanmean(v)) for name, v in values.items()}, "merged_leap": float(np.nanmean(merged_leap)),
            "below_095": float(np.mean(values["scale_consistency"] < 0.95)), "pieces": len(scores)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="default")
    parser.add_argument("--pieces", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--strengths", default="0,1,2,3")
    parser.add_argument("--genres", help="comma-separated; default: every genre of the model")
    args = parser.parse_args()
    model = api.load_model(args.model)
    strengths = [float(x) for x in args.strengths.split(",") if x.strip()]
    human = validation_pieces(model.card["data"]["sources"], args.seconds)
    genres = args.genres.split(",") if args.genres else model.genres
    print("| genre | music | scale strength | pieces | pitch classes / 30 s | scale consistency | "
          "share < 0.95 | mean leap (semitones) | mean leap, one track |")
    print("|---|---|---|---|---|---|---|---|---|")

    def line(genre, who, strength, r):
        print(f"| {genre} | {who} | {strength} | {r['pieces']} | {r['n_pitch_classes_used']:.2f} | "
              f"{r['scale_consistency']:.3f} | {r['below_095']:.2f} | {r['mean_pitch_shift']:.2f} | "
              f"{r['merged_leap']:.2f} |", flush=True)

    for genre in genres:
        if human.get(genre):
            line(genre, "people (validation)", "-", row(human[genre]))
        for strength in strengths:
            started, pieces = time.monotonic(), []
            for first_seed in range(1, args.pieces + 1, 8):  # compose takes at most 8 variations a call
                pieces += api.compose(model, genre=genre, seconds=args.seconds, seed=first_seed,
                                      variations=min(8, args.pieces + 1 - first_seed), scale_strength=strength)
            line(genre, f"generated ({time.monotonic() - started:.0f} s)", f"{strength:g}", row([p.score for p in pieces]))


if __name__ == "__main__":
    main()
