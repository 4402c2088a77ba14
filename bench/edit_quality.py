"""Edits under the genre's defaults (issues 11, 13): is new music as tonal, and as much within the
piece's register, as the piece it is written into?

    OMP_NUM_THREADS=1 nice -n 10 env PYTHONPATH=/tmp/old-edit/src .venv/bin/python bench/edit_quality.py \\
        --json /tmp/edit-before.json          # the code before (a worktree of the revision before)
    OMP_NUM_THREADS=1 nice -n 10 .venv/bin/python bench/edit_quality.py --json /tmp/edit-after.json
    .venv/bin/python bench/edit_quality.py --table /tmp/edit-before.json /tmp/edit-after.json

Pieces, per genre (--genres, default pop and jazz), --pieces of each kind, 16 bars each:
  held-out  test-split pieces of the genre's sources (bench/edit.py's held_out: none was learned from)
  generated pieces composed by the default model with the genre's defaults, seeds 1, 2, ... (made
            once and kept in --generated, so both sides of a before/after edit the same MIDI files)
Two edits of each, in the piece's genre, seed 1:
  regen     bars 7-10 written anew (8 candidates, as `sonatina regenerate` does)
  extend    8 bars added at the end (as `sonatina extend` does)
Judged on the new notes, against the piece's key (estimated from all its notes, as regenerate
moves the piece to C by it; major, or minor with the raised 7th, as ScaleBias counts):
  out-of-key   share of new notes outside the key (`kept` column: the same share of the kept notes;
               `original`: the human passage that was replaced)
  scale cons.  MusPy's scale consistency of the new notes alone (best of the 24 major/minor scales)
  outside      share of new notes outside the kept notes' lowest-highest range
  widening     semitones the edit adds to the piece's range (edited piece's range minus the kept notes')
  notes/bar    new notes per bar of the passage (`kept`: the kept notes per kept bar)
  next-LL      (regen) nats per token the model gives the kept bars 11-14 after the passage
  CPU          process CPU seconds per edit (the box is shared: loaded by other work)
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from symusic import Score

sys.path.insert(0, str(Path(__file__).parent))
from edit import held_out, next_loglik  # noqa: E402  (the same held-out pieces and judge as bench/edit.py)

from sonatina import api  # noqa: E402
from sonatina.analysis.metrics import SCALES  # noqa: E402
from sonatina.compose.regenerate import Passage, bar_ticks, extend_piece, regenerate_passage  # noqa: E402
from sonatina.model.registry import load_model  # noqa: E402
from sonatina.music.keys import estimate_key  # noqa: E402

BARS, FIRST, LAST, EXTEND_BARS = 16, 7, 10, 8
IN_KEY = {"major": (0, 2, 4, 5, 7, 9, 11), "minor": (0, 2, 3, 5, 7, 8, 10, 11)}  # as compose.sample's ScaleBias


def generated(model, genre: str, count: int, folder: Path) -> list[tuple[str, Score, str]]:
    """`count` 16-bar pieces of `genre` by the model's defaults, composed once into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    pieces = []
    for seed in range(1, count + 1):
        path = folder / f"{genre}-{seed}.mid"
        if not path.exists():
            score = api.compose(model, seconds=90, genre=genre, seed=seed)[0].score
            score.clip(0, BARS * bar_ticks(score), clip_end=True).dump_midi(str(path))
        pieces.append((genre, Score(str(path)), path.name))
    return pieces


def pitched(score: Score, keep=lambda tick: True) -> list:
    return [n for t in score.tracks if not t.is_drum for n in t.notes if keep(n.time)]


def judge(original: Score, edited: Score, passage: Passage, key: tuple[int, str], kept_bars: int) -> dict:
    """The new notes' tonality and register against the kept notes (see the module docstring)."""
    tonic, mode = key
    scale = {(tonic + pc) % 12 for pc in IN_KEY[mode]}
    new = np.array([n.pitch for n in pitched(edited, passage.holds)])
    kept = np.array([n.pitch for n in pitched(edited, lambda tick: not passage.holds(tick))])
    replaced = np.array([n.pitch for n in pitched(original, passage.holds)])

    def out_of_key(pitches):
        return float(np.mean([p % 12 not in scale for p in pitches])) if len(pitches) else float("nan")

    counts = np.bincount(new % 12, minlength=12) if len(new) else np.zeros(12)
    low, high = kept.min(), kept.max()
    return {"new_notes": int(len(new)), "out_of_key": out_of_key(new), "kept_out_of_key": out_of_key(kept),
            "original_out_of_key": out_of_key(replaced),
            "scale_consistency": float((SCALES @ counts).max() / counts.sum()) if len(new) else float("nan"),
            "outside": float(np.mean((new < low) | (new > high))) if len(new) else float("nan"),
            "notes_per_bar": len(new) * bar_ticks(edited) / (passage.end - passage.start),
            "kept_notes_per_bar": len(kept) / kept_bars,
            "widening": float(max(high, new.max(initial=high)) - min(low, new.min(initial=low)) - (high - low))}


def run(args) -> list[dict]:
    model = load_model("default")
    genres = [g for g in args.genres.split(",") if g]
    pieces = [("held-out", *p) for p in held_out(args.data, args.pieces, genres)]
    pieces += [("generated", *p) for g in genres for p in generated(model, g, args.pieces, args.generated)]
    rows = []
    for kind, genre, score, name in pieces:
        g = model.genres.index(genre)
        notes = pitched(score)
        key = estimate_key(np.array([n.pitch for n in notes]), np.array([max(1, n.duration) for n in notes]))
        size = bar_ticks(score)
        passage = Passage((FIRST - 1) * size, LAST * size)
        started = time.process_time()
        regen = regenerate_passage(model, score, passage, genre=g, seed=1)
        cpu = time.process_time() - started
        rows.append({"kind": kind, "genre": genre, "piece": name, "edit": "regen", "cpu": cpu,
                     "next_ll": next_loglik(model, regen.score, passage, g), **judge(score, regen.score, passage, key, BARS - (LAST - FIRST + 1))})
        started = time.process_time()
        extended = extend_piece(model, score, EXTEND_BARS * size // score.ticks_per_quarter, "end", genre=g, seed=1)
        cpu = time.process_time() - started
        rows.append({"kind": kind, "genre": genre, "piece": name, "edit": "extend", "cpu": cpu,
                     **judge(score, extended.score, extended.passage, key, BARS)})
        print(f"{kind:9s} {genre:5s} {name[:36]:36s} regen out-of-key {rows[-2]['out_of_key']:.2f} outside "
              f"{rows[-2]['outside']:.2f}; extend {rows[-1]['out_of_key']:.2f} / {rows[-1]['outside']:.2f}", flush=True)
    return rows


def table(before: list[dict], after: list[dict]) -> None:
    """Means per genre, kind of piece and edit, before -> after."""
    print("| genre | pieces | edit | out-of-key (kept; original) | scale cons. | outside the kept range | "
          "widening (semitones) | notes/bar (kept) | next-LL | CPU s |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    groups = sorted({(r["genre"], r["kind"], r["edit"]) for r in after}, key=lambda k: (k[0], k[1], k[2] != "regen"))
    for genre, kind, edit in groups:
        pick = lambda rows: [r for r in rows if (r["genre"], r["kind"], r["edit"]) == (genre, kind, edit)]  # noqa: E731
        b, a = pick(before), pick(after)
        mean = lambda rows, k: float(np.nanmean([r[k] for r in rows])) if rows and k in rows[0] else float("nan")  # noqa: E731
        both = lambda k, f: f"{mean(b, k):{f}} -> {mean(a, k):{f}}"  # noqa: E731
        context = f"{mean(a, 'kept_out_of_key'):.3f}" + (f"; {mean(a, 'original_out_of_key'):.3f}"
                                                         if kind == "held-out" and edit == "regen" else "")
        print(f"| {genre} | {len(a)} {kind} | {edit} | {both('out_of_key', '.3f')} ({context}) | "
              f"{both('scale_consistency', '.3f')} | {both('outside', '.3f')} | {both('widening', '.1f')} | "
              f"{both('notes_per_bar', '.1f')} ({mean(a, 'kept_notes_per_bar'):.1f}) | "
              f"{both('next_ll', '.3f') if edit == 'regen' else ''} | "
              f"{mean(b, 'cpu'):.2f} -> {mean(a, 'cpu'):.2f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/datasets"))
    parser.add_argument("--pieces", type=int, default=16, help="pieces of each kind per genre")
    parser.add_argument("--genres", default="pop,jazz")
    parser.add_argument("--generated", type=Path, default=Path("/tmp/edit-quality-pieces"),
                        help="folder the generated pieces are composed into once and read back from")
    parser.add_argument("--json", type=Path, help="write every edit's row here")
    parser.add_argument("--table", type=Path, nargs=2, metavar=("BEFORE", "AFTER"),
                        help="print the before -> after table of two --json files")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    if args.table:
        table(*(json.loads(p.read_text()) for p in args.table))
        return
    rows = run(args)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))
    table(rows, rows)


if __name__ == "__main__":
    main()
