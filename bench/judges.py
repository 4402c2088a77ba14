"""Train the conversion judges (model.judges) and measure them on held-out music.

    .venv/bin/python bench/judges.py --data ../shared/datasets [--out src/sonatina/pretrained/judges]

drums          Groove MIDI Dataset (CC BY 4.0), its own train/validation/test split from labels.csv.
               Classes: rock, jazz, pop, and other (every other style). Trained on 4-bar windows of
               the train split's beats and fills; judged on whole held-out beats (not fills).
accompaniment  16-bar windows of: POP909 (pop), the GiantMIDI evaluation set's score MIDI (classical),
               Bach chorales (chorale), each piece in sonatina's split_of split; the melody is taken
               out (music.melody) and the rest judged.
Settings (classes, window length, L2) were chosen on the validation split; the test split is
reported. With --out, writes both judges with their reports inside.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np
from symusic import Score

sys.path.insert(0, str(Path(__file__).parent))
from classifier import works  # noqa: E402  (the same piece names and splits as the classifier's bench)

from sonatina.data.corpus import collect_sources  # noqa: E402
from sonatina.data.corpus.reading import read_midi  # noqa: E402
from sonatina.data.dataset import split_of  # noqa: E402
from sonatina.errors import SonatinaError  # noqa: E402
from sonatina.model import accompaniment, drum_style  # noqa: E402
from sonatina.model.classify import confusion, fit  # noqa: E402
from sonatina.model.drums import STEPS_PER_BAR, read_groove  # noqa: E402
from sonatina.model.registry import drum_model  # noqa: E402

DRUM_CLASSES = ("rock", "jazz", "pop")  # the conversion targets with drums; every other style is "other"
DRUM_WINDOW_BARS, DRUM_L2 = 4, 3e-3  # validation accuracy 0.74 (8 bars: 0.63-0.67; beats only: 0.70)
ACCOMPANIMENT = {"classical": ["giantmidi-eval/ground_truth"], "chorale": ["music21:bach"], "pop": ["pop909"]}
WINDOWS_PER_PIECE = {"classical": 12, "chorale": 1, "pop": 3}  # a few hundred windows of each
WINDOW_BARS, ACCOMPANIMENT_L2 = 16, 1e-3  # validation accuracy 0.97 (1e-2: 0.96, 1e-1: 0.95)


def drum_data(folder: Path) -> dict[str, tuple[np.ndarray, list[str]]]:
    """Per split, (features, labels): train windows of beats and fills, held-out whole beats."""
    out = {s: ([], []) for s in ("train", "validation", "test")}
    bar = STEPS_PER_BAR
    for p in read_groove(folder):
        label = p.style if p.style in DRUM_CLASSES else "other"
        if p.split == "train":
            bars = len(p.hits) // bar
            starts = range(0, max(1, bars - DRUM_WINDOW_BARS + 1), 2)
            for s in starts:
                part = (a[s * bar:(s + DRUM_WINDOW_BARS) * bar] for a in (p.hits, p.velocity, p.offset))
                out["train"][0].append(drum_style.grid_features(*part))
                out["train"][1].append(label)
        elif not p.fill:
            out[p.split][0].append(drum_style.grid_features(p.hits, p.velocity, p.offset))
            out[p.split][1].append(label)
    return {s: (np.array(x), y) for s, (x, y) in out.items()}


def windows(score: Score, bars: int, most: int) -> list[Score]:
    """Up to `most` consecutive `bars`-bar windows of a score, from its first bar."""
    score = score.resample(480)
    length = bars * 4 * 480
    first = min(n.time for t in score.tracks for n in t.notes) // 1920 * 1920
    end = max(n.time + n.duration for t in score.tracks for n in t.notes)
    out = []
    for start in range(first, end, length):
        if len(out) == most:
            break
        window = Score(480)
        for track in score.tracks:
            part = track.copy()
            part.notes.clear()
            for note in track.notes:
                if start <= note.time < start + length:
                    moved = note.copy()
                    moved.time -= start
                    part.notes.append(moved)
            window.tracks.append(part)
        out.append(window)
    return out


def accompaniment_data(data: Path) -> dict[str, tuple[np.ndarray, list[str]]]:
    out = {s: ([], []) for s in ("train", "validation", "test")}
    for genre, sources in ACCOMPANIMENT.items():
        refs = collect_sources([s if s.startswith("music21:") else str(data / s) for s in sources], genre=genre)
        for ref in refs:
            for midi, key in works(ref):
                try:
                    score = read_midi(midi)
                except SonatinaError:
                    continue
                if score.note_num() < 16:
                    continue
                for window in windows(score, WINDOW_BARS, WINDOWS_PER_PIECE[genre]):
                    x = accompaniment.features(window)
                    if x is not None:
                        out[split_of(key)][0].append(x)
                        out[split_of(key)][1].append(genre)
    return {s: (np.array(x), y) for s, (x, y) in out.items()}


def report(name: str, split_data, l2: float, classes: list[str], source: dict):
    train_x, train_y = split_data["train"]
    judge = fit(train_x, train_y, classes, l2=l2)
    result = {s: confusion(judge, *split_data[s]) for s in ("validation", "test")}
    result["test"].update(train=dict(Counter(train_y)), validation_accuracy=result["validation"]["accuracy"],
                          data=source)
    print(f"\n{name}: {len(train_y)} training windows {dict(Counter(train_y))}; validation accuracy "
          f"{result['validation']['accuracy']:.3f}, test accuracy {result['test']['accuracy']:.3f} "
          f"on {result['test']['pieces']}\n")
    print("| true \\ judged | " + " | ".join(classes) + " | accuracy |")
    print("|---|" + "---|" * (len(classes) + 1))
    for c, row in zip(classes, result["test"]["confusion"]):
        accuracy = result["test"]["per_genre"][c]
        print(f"| {c} | " + " | ".join(map(str, row)) + f" | {'n/a' if accuracy is None else f'{accuracy:.2f}'} |")
    judge.report = result["test"]
    return judge


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/datasets"))
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    started = time.perf_counter()
    drums = report("drums", drum_data(args.data / "groove"), DRUM_L2, sorted((*DRUM_CLASSES, "other")),
                   {"groove": "Groove MIDI Dataset v1.0.0 (Gillick et al. 2019), CC BY 4.0"})
    parts = report("accompaniment", accompaniment_data(args.data), ACCOMPANIMENT_L2, sorted(ACCOMPANIMENT),
                   ACCOMPANIMENT)
    print("\nthe groove model's own drum parts (what conversions get), 16 bars, seeds 0-29: judged as")
    grooves = drum_model()
    made = {}
    for style in DRUM_CLASSES:
        heard = []
        for seed in range(30):
            score = Score(480)
            score.tracks.append(grooves.track(style, 16, 480, seed=seed))
            p = drums.predict_proba(drum_style.features(score)[None])[0]
            heard.append(drums.genres[int(p.argmax())])
        made[style] = dict(Counter(heard))
        print(f"  {style}: {heard.count(style) / len(heard):.0%} ({dict(Counter(heard).most_common())})")
    drums.report["groove_model_parts"] = made
    print(f"\n{time.perf_counter() - started:.0f} s")
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        drums.save(args.out / "drum_style.json", names=drum_style.feature_names())
        parts.save(args.out / "accompaniment.json", names=accompaniment.feature_names())
        print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
