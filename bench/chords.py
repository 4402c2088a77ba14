"""Chord recognition accuracy on POP909's annotations (chord_midi.txt: seconds, Harte labels).

    .venv/bin/python bench/chords.py --data ../shared/datasets [--songs 909]

Each song's chords are estimated per beat from its MIDI (all three tracks), then compared with
the annotation at the middle of every beat the annotation gives a chord for ("N" beats are left
out): root accuracy, and MIREX-style major/minor accuracy over beats whose annotated chord has a
major or minor third.
"""

from __future__ import annotations

import argparse
import bisect
import time
from pathlib import Path

import numpy as np
import symusic

from sonatina.music.chords import estimate_chords, major_or_minor, parse_label


def seconds_of(score: symusic.Score, ticks: np.ndarray) -> np.ndarray:
    """Tick -> seconds through the score's tempo map."""
    tempos = sorted(score.tempos, key=lambda t: t.time) or [symusic.Tempo(0, 120.0)]
    starts, secs, rates = [0], [0.0], [60.0 / (tempos[0].qpm * score.ticks_per_quarter)]
    for tempo in tempos[1:]:
        secs.append(secs[-1] + (tempo.time - starts[-1]) * rates[-1])
        starts.append(tempo.time)
        rates.append(60.0 / (tempo.qpm * score.ticks_per_quarter))
    out = np.empty(len(ticks))
    for i, tick in enumerate(ticks):
        j = bisect.bisect_right(starts, tick) - 1
        out[i] = secs[j] + (tick - starts[j]) * rates[j]
    return out


def evaluate_song(folder: Path) -> tuple[int, int, int, int]:
    score = symusic.Score(str(folder / f"{folder.name}.mid"))
    chords = estimate_chords(score)
    middles = seconds_of(score, np.array([(c.start + c.end) / 2 for c in chords]))
    spans = [line.split("\t") for line in (folder / "chord_midi.txt").read_text().splitlines() if line.strip()]
    starts = [float(s[0]) for s in spans]
    root_ok = root_n = mm_ok = mm_n = 0
    for chord, t in zip(chords, middles):
        j = bisect.bisect_right(starts, t) - 1
        if j < 0 or t >= float(spans[j][1]):
            continue
        root, quality = parse_label(spans[j][2])
        if root is None:
            continue
        root_n += 1
        root_ok += chord.root == root
        reduced = major_or_minor(quality)
        if reduced is not None:
            mm_n += 1
            mm_ok += chord.root == root and major_or_minor(chord.quality) == reduced
    return root_ok, root_n, mm_ok, mm_n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="../shared/datasets")
    parser.add_argument("--songs", type=int, default=909)
    args = parser.parse_args()
    folders = sorted(p for p in (Path(args.data) / "pop909").iterdir() if (p / "chord_midi.txt").is_file())[: args.songs]
    totals = np.zeros(4)
    started = time.perf_counter()
    per_song = []
    for folder in folders:
        result = np.array(evaluate_song(folder))
        totals += result
        per_song.append(result[0] / max(1, result[1]))
    took = time.perf_counter() - started
    print(f"{len(folders)} songs, {int(totals[1])} annotated beats, {took:.1f} s ({took / len(folders) * 1000:.0f} ms/song)")
    print(f"root accuracy {totals[0] / totals[1]:.3f}; major/minor accuracy {totals[2] / totals[3]:.3f}; "
          f"per-song root accuracy median {np.median(per_song):.3f}, 10th percentile {np.percentile(per_song, 10):.3f}")


if __name__ == "__main__":
    main()
