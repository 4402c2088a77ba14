"""Train the shipped genre classifier and measure it on held-out pieces.

    .venv/bin/python bench/classifier.py --data ../shared/datasets [--out src/sonatina/pretrained/genre_classifier.json]

Genres and their music (every piece's split comes from sonatina's own split_of, so the held-out
pieces are the ones the shipped models never trained on):
  classical  GiantMIDI evaluation set: score MIDI, MAESTRO performance and transcription of 52
             piano pieces (the three versions of a piece share one split, so none leaks)
  chorale    Bach chorales (music21 corpus)
  folk       O'Neill's 1850 Irish tunes (music21 corpus)
  jazz       Weimar Jazz Database solos
  pop        POP909
Prints the held-out accuracy per genre and the confusion matrix; with --out, writes the
classifier (trained on the train split only) with that report inside.
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from pathlib import Path

import numpy as np

from sonatina.data.corpus import MIDI_SUFFIXES, collect_sources
from sonatina.data.corpus.reading import converted_midi_files, read_midi
from sonatina.data.dataset import split_of
from sonatina.errors import SonatinaError
from sonatina.model.classify import confusion, features, fit

SOURCES = {
    "classical": ["giantmidi-eval/ground_truth", "giantmidi-eval/maestro", "giantmidi-eval/giantmidi-piano"],
    "chorale": ["music21:bach"],
    "folk": ["music21:oneills1850"],
    "jazz": ["wjazzd"],
    "pop": ["pop909"],
}


def works(ref) -> list[tuple[Path, str]]:
    """(MIDI file, split key) of every work in a source file, named as training names them."""
    if ref.path.suffix.lower() in MIDI_SUFFIXES:
        files = [ref.path]
    else:
        try:
            files = converted_midi_files(ref.path)
        except SonatinaError:
            return []
    # the GiantMIDI set holds each piece three times: split by the piece, not the version
    key = f"giantmidi/{ref.path.stem}" if "giantmidi-eval" in str(ref.path) else ref.key
    return [(midi, key + (f"#{i}" if len(files) > 1 else "")) for i, midi in enumerate(files)]


def collect(data: Path, max_per_genre: int) -> tuple[list[np.ndarray], list[str], list[str]]:
    xs, labels, splits = [], [], []
    for genre, sources in SOURCES.items():
        refs = collect_sources([s if s.startswith("music21:") else str(data / s) for s in sources], genre=genre)
        items = [item for ref in refs for item in works(ref)]
        if len(items) > max_per_genre:
            items = [items[i] for i in sorted(np.random.default_rng(0).choice(len(items), max_per_genre, replace=False))]
        for midi, key in items:
            try:
                xs.append(features(read_midi(midi)))
            except SonatinaError:
                continue
            labels.append(genre)
            splits.append(split_of(key))
    return xs, labels, splits


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/datasets"))
    parser.add_argument("--max-per-genre", type=int, default=1000)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    started = time.perf_counter()
    xs, labels, splits = collect(args.data, args.max_per_genre)
    x, splits = np.array(xs), np.array(splits)
    train = splits == "train"
    held = ~train
    print(f"{len(labels)} pieces read in {time.perf_counter() - started:.0f} s; "
          f"train {Counter(np.array(labels)[train]).most_common()}; held out {Counter(np.array(labels)[held]).most_common()}")
    genres = sorted(SOURCES)
    classifier = fit(x[train], list(np.array(labels)[train]), genres)
    report = confusion(classifier, x[held], list(np.array(labels)[held]))
    report["train_pieces"] = int(train.sum())
    report["data"] = {g: SOURCES[g] for g in genres}
    print(f"held-out accuracy {report['accuracy']:.3f} on {report['pieces']} pieces")
    print("| true \\ predicted | " + " | ".join(genres) + " | accuracy |")
    print("|---|" + "---|" * (len(genres) + 1))
    for g, row in zip(genres, report["confusion"]):
        print(f"| {g} | " + " | ".join(map(str, row)) + f" | {report['per_genre'][g]:.2f} |")
    if args.out:
        classifier.report = report
        classifier.save(args.out)
        print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
