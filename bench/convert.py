"""Genre conversion measured on held-out pieces: every source genre into every target genre.

    .venv/bin/python bench/convert.py --data ../shared/datasets [--pieces 4 --bars 16]

Pieces come from the test split (sonatina's split_of, as the shipped models and the classifier
use it, so none of them was learned from), cropped to their first --bars bars. Each is converted
with the shipped `default` model and groove model, seed 1, and judged by:
  target   share of conversions the shipped genre classifier puts in the target genre
           (classical counts chorale too; it knows no rock, so rock has no figure); it learned
           from unaccompanied folk tunes and jazz solos, so it cannot hear accompanied folk or jazz
  drums    share whose drum part the drum-style judge (model.judges, Groove MIDI Dataset) hears in
           the target style; only rock, jazz and pop have drums and a class
  accomp.  share whose new accompaniment the accompaniment judge hears as the target (classical
           counts chorale too); it has classes for classical and pop only: no accompanied folk,
           jazz or rock music exists here to learn from. For the others the table shows what it
           hears, in brackets, not a verdict
  judged   share where every judge that can say anything says the target (n/a: none can)
  melody   share of the source melody's notes found in the output's melody at the same onset
           (within 1/32 note) and pitch
  harmony  share of the source's chord beats (music.chords) whose root the output keeps
  length   output length over source length
  density  the output's pitched notes outside its melody per bar (printed beside it: the
           source's own accompaniment, its pitched notes outside the top line, per bar)
  speed    seconds of computing per 60 s of music (wall clock; cpu: this process's CPU time,
           which says more on a shared, loaded box)
"""

from __future__ import annotations

import argparse
import ast
import sys
import time
import warnings
from collections import Counter
from pathlib import Path

import numpy as np
from symusic import Score

sys.path.insert(0, str(Path(__file__).parent))
from classifier import SOURCES, works  # noqa: E402  (the same pieces and splits as the classifier's bench)

from sonatina import api  # noqa: E402
from sonatina.data.corpus import collect_sources  # noqa: E402
from sonatina.data.corpus.reading import read_midi  # noqa: E402
from sonatina.data.dataset import split_of  # noqa: E402
from sonatina.errors import SonatinaError  # noqa: E402
from sonatina.model.judges import hear, verdicts  # noqa: E402
from sonatina.model.registry import genre_classifier  # noqa: E402
from sonatina.music.chords import estimate_chords  # noqa: E402
from sonatina.music.melody import extract_melody  # noqa: E402

SOURCE_GENRES = ("classical", "folk", "jazz", "pop")
TARGETS = ("classical", "folk", "jazz", "pop", "rock")
ACCEPTED = {"classical": {"classical", "chorale"}}
TOLERANCE = 480 // 8  # 1/32 note at 480 ticks per quarter


def crop(score: Score, bars: int) -> Score:
    score = score.resample(480)
    end = bars * 4 * 480
    for track in score.tracks:
        kept = [n for n in track.notes if n.time < end]
        track.notes.clear()
        track.notes.extend(kept)
    score.tempos = [t for t in score.tempos if t.time < end]
    return score


def seconds(score: Score) -> float:
    """When the last note ends, in seconds."""
    return float(max(n.time + n.duration for t in score.to("second").tracks for n in t.notes))


def held_out(data: Path, genre: str, count: int, bars: int, split: str = "test") -> list[tuple[str, Score]]:
    sources = [s if s.startswith("music21:") else str(data / s) for s in SOURCES[genre]]
    if genre == "classical":
        sources = [str(data / "giantmidi-eval/ground_truth")]  # the score version: one per piece
    out = []
    for ref in collect_sources(sources, genre=genre):
        for midi, key in works(ref):
            if split_of(key) != split:
                continue
            try:
                score = crop(read_midi(midi), bars)
            except SonatinaError:
                continue
            if score.note_num() >= 16:
                out.append((key, score))
            if len(out) == count:
                return out
    return out


def melody_kept(source: Score, output: Score) -> float:
    melody, _ = extract_melody(source)
    made = next(t for t in output.tracks if t.name == "Melody").notes
    onsets = {}
    for n in made:
        onsets.setdefault(n.pitch, []).append(n.time)
    found = sum(any(abs(t - n.time) <= TOLERANCE for t in onsets.get(n.pitch, ())) for n in melody)
    return found / len(melody)


def harmony_kept(source: Score, output: Score) -> float:
    a, b = estimate_chords(source), estimate_chords(output)
    pairs = [(x.root, y.root) for x, y in zip(a, b) if x.root is not None]
    return float(np.mean([x == y for x, y in pairs])) if pairs else float("nan")


def accompaniment_per_bar(score: Score, bars: int) -> float:
    """Pitched notes outside the melody per bar: the output's Melody track, else the source's top line."""
    pitched = [t for t in score.tracks if not t.is_drum]
    if any(t.name == "Melody" for t in pitched):
        return sum(len(t.notes) for t in pitched if t.name != "Melody") / bars
    return (sum(len(t.notes) for t in pitched) - len(extract_melody(score)[0])) / bars


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/datasets"))
    parser.add_argument("--pieces", type=int, default=4)
    parser.add_argument("--bars", type=int, default=16)
    parser.add_argument("--split", default="test", choices=("test", "validation"),
                        help="Pieces to judge on: tune settings on validation, report on test.")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help="Try a setting of sonatina.compose.convert (e.g. NOTE_ODDS='first'; tune on validation).")
    parser.add_argument("--sources", nargs="+", default=list(SOURCE_GENRES), choices=SOURCE_GENRES,
                        help="Only these source genres (rows), e.g. for a quick probe of one column.")
    parser.add_argument("--targets", nargs="+", default=list(TARGETS), choices=TARGETS,
                        help="Only these target genres (columns).")
    args = parser.parse_args()
    from sonatina.compose import convert as converter
    for setting in args.set:
        name, _, value = setting.partition("=")
        if not hasattr(converter, name):
            parser.error(f"sonatina.compose.convert has no {name}")
        setattr(converter, name, ast.literal_eval(value))
    classifier = genre_classifier()
    api.convert(held_out(args.data, "pop", 1, 4)[0][1], to="pop", seed=0)  # load the models before timing
    rows = {}
    for source_genre in args.sources:
        pieces = held_out(args.data, source_genre, args.pieces, args.bars, args.split)
        for target in args.targets:
            stats = {"target": [], "drums": [], "accompaniment": [], "judged": [], "heard": [],
                     "melody": [], "harmony": [], "length": [], "density": [], "source density": [],
                     "speed": [], "cpu": []}
            for _, score in pieces:
                started, cpu = time.perf_counter(), time.process_time()
                piece = api.convert(score, to=target, seed=1)[0]
                took, cpu = time.perf_counter() - started, time.process_time() - cpu
                source_seconds = seconds(score)
                probabilities = classifier.probabilities(piece.score)
                stats["target"].append(max(probabilities, key=probabilities.get) in ACCEPTED.get(target, {target}))
                said = verdicts(piece.score, target)
                for judge in ("drums", "accompaniment"):
                    stats[judge].append(np.nan if said[judge] is None else float(said[judge]))
                votes = [v for v in said.values() if v is not None]
                stats["judged"].append(float(all(votes)) if votes else np.nan)
                heard = hear(piece.score)["accompaniment"]
                stats["heard"].append(next(iter(heard)) if heard else "none")
                stats["melody"].append(melody_kept(score, piece.score))
                stats["harmony"].append(harmony_kept(score, piece.score))
                stats["length"].append(seconds(piece.score) / source_seconds)
                stats["density"].append(accompaniment_per_bar(piece.score, args.bars))
                stats["source density"].append(accompaniment_per_bar(score, args.bars))
                stats["speed"].append(took / source_seconds * 60)
                stats["cpu"].append(cpu / source_seconds * 60)
            heard = stats.pop("heard")
            with warnings.catch_warnings():  # a judge with no verdict on a target averages to nan
                warnings.simplefilter("ignore", RuntimeWarning)
                rows[(source_genre, target)] = {k: float(np.nanmean(v)) for k, v in stats.items()}
            r = rows[(source_genre, target)]
            r["heard"] = ", ".join(f"{g} {c}/{len(heard)}" for g, c in Counter(heard).most_common())
            print(f"{source_genre:>9} -> {target:<9} target {r['target']:.2f}  drums {r['drums']:.2f}  "
                  f"accomp. {r['accompaniment']:.2f} ({r['heard']})  judged {r['judged']:.2f}  melody {r['melody']:.3f}  "
                  f"harmony {r['harmony']:.2f}  length {r['length']:.3f}  "
                  f"density {r['density']:.1f} (source {r['source density']:.1f})  speed {r['speed']:.2f} s/min (cpu {r['cpu']:.2f})", flush=True)
    print(f"\n{args.pieces} {args.split}-split pieces per source genre, first {args.bars} bars, seed 1\n")
    for measure, fmt in (("target", "{:.0%}"), ("drums", "{:.0%}"), ("accompaniment", "{:.0%}"), ("judged", "{:.0%}"),
                         ("melody", "{:.3f}"), ("harmony", "{:.2f}"), ("density", "{:.1f}"), ("speed", "{:.2f}"),
                         ("cpu", "{:.2f}")):
        print(f"**{measure}** (rows: source genre, columns: target)\n")
        print("| source \\ target | " + " | ".join(args.targets) + " |")
        print("|---|" + "---|" * len(args.targets))
        for s in args.sources:
            cells = [cell(rows[(s, t)], measure, fmt, t) for t in args.targets]
            print(f"| {s} | " + " | ".join(cells) + " |")
        print()
    judged = {t: [rows[(s, t)]["judged"] for s in args.sources] for t in args.targets}
    print("judged target rate over all sources: " + ", ".join(
        f"{t} {np.mean(v):.0%}" if not np.isnan(v).all() else f"{t} n/a" for t, v in judged.items()))
    means = {m: np.nanmean([r[m] for r in rows.values()]) for m in ("judged", "harmony", "density", "cpu")}
    print(f"means over the cells{' (' + ' '.join(args.set) + ')' if args.set else ''}: judged {means['judged']:.3f}  "
          f"harmony {means['harmony']:.3f} (worst cell {min(r['harmony'] for r in rows.values()):.2f})  density {means['density']:.1f}  cpu {means['cpu']:.2f} s/min")


def cell(row: dict, measure: str, fmt: str, target: str) -> str:
    value = row[measure]
    if measure == "accompaniment" and np.isnan(value):
        return f"n/a (hears {row['heard']})"
    if np.isnan(value) or (measure == "target" and target == "rock"):
        return "n/a"
    return fmt.format(value)


if __name__ == "__main__":
    main()
