"""The rhythm a score writes: note times (quarter notes) put on plain values a reader knows.

- the grid: every beat is written either in sixteenths or in eighth-note triplets, triplets only
  where onsets sit on both of the triplet's own places (a third and two thirds of the beat) and
  the beat's onsets fit triplets clearly better; a lone swung eighth is written straight.
- a constant lead or lag is taken off first: POP909's files, and the pop genre that learned from
  them, play every note a 32nd or a 12th of a beat after the beat, which the grid alone would write
  as triplets in every other beat.
- a short breath between two notes (a sixteenth at most) is written as part of the first note;
- notes and rests are cut at barlines, and a note or rest that is not on the sixteenth grid is also
  cut at the first and last beat it crosses, so every triplet stays inside one beat: music21 writes a rest of
  13/12 of a quarter (a sixteenth-grid end to a triplet-grid onset) as a "24" tuplet otherwise.
Exact fractions throughout, so that music21 sees 1/3 and not 0.333.
"""

from __future__ import annotations

from fractions import Fraction
from typing import NamedTuple

import numpy as np

SIXTEENTHS, TRIPLETS = 4, 3  # subdivisions of a quarter note
MAX_LAG = 12  # a lead or lag taken off is at most this many 96ths of a quarter (a 32nd)
TRIPLET_MARGIN = 0.02  # quarters of summed error by which triplets must fit better
# a bar longer than a breve (a file's 255/1 metre) is also cut every whole note: music21 cannot
# write a rest of 1014 quarters
LONGEST = Fraction(8)


class Item(NamedTuple):
    """A note, chord or rest (no pitches) of one staff; tie: None, "start", "continue" or "stop"."""

    onset: Fraction
    length: Fraction
    pitches: tuple[int, ...]
    tie: str | None = None


def _grid_error(x: np.ndarray, grid: int) -> np.ndarray:
    return np.abs(x * grid - np.round(x * grid)) / grid


def lag(onsets: np.ndarray) -> Fraction:
    """The constant delay (quarters, negative for a lead) of a piece's onsets from the grid, or 0
    where none clearly stands out: the shift that at least halves their mean distance from it."""
    if not len(onsets):
        return Fraction(0)

    def cost(shift: Fraction) -> float:
        shifted = onsets - float(shift)
        return float(np.minimum(_grid_error(shifted, SIXTEENTHS), _grid_error(shifted, TRIPLETS)).mean())

    def plainer(shift: Fraction) -> float:  # among shifts as good, the one with most notes on eighths
        return float(_grid_error(onsets - float(shift), 2).mean())

    shifts = [Fraction(k, 96) for k in range(-MAX_LAG, MAX_LAG + 1)]
    best = min(shifts, key=lambda shift: (round(cost(shift), 9), round(plainer(shift), 9), abs(shift)))
    return best if cost(best) < cost(Fraction(0)) / 2 else Fraction(0)


def beat_grids(onsets: np.ndarray) -> dict[int, int]:
    """Per beat that has onsets, the grid they are written on (see the module docstring)."""
    grids: dict[int, int] = {}
    beats = np.floor(onsets)
    for beat in np.unique(beats).astype(int):
        inside = onsets[beats == beat]
        errors = [_grid_error(inside, g).sum() for g in (SIXTEENTHS, TRIPLETS)]
        # the triplet's own places (a third, two thirds) its onsets are nearer to than to a sixteenth
        own = {round((x - beat) * TRIPLETS) for x in inside[_grid_error(inside, TRIPLETS) < _grid_error(inside, SIXTEENTHS)]}
        triplet = {1, 2} <= own and errors[1] + TRIPLET_MARGIN < errors[0]
        grids[beat] = TRIPLETS if triplet else SIXTEENTHS
    return grids


def quantise(quarters: float, grids: dict[int, int]) -> Fraction:
    grid = grids.get(int(np.floor(quarters)), SIXTEENTHS)
    return Fraction(round(quarters * grid), grid)


def events(notes: list[tuple[float, float, int]]) -> list[Item]:
    """(onset, length, pitch) notes in quarters, lag already taken off, as one voice: notes that
    start together are one chord, held until the next onset at most."""
    if not notes:
        return []
    grids = beat_grids(np.array([n[0] for n in notes]))
    by_onset: dict[Fraction, list] = {}
    for n in notes:
        by_onset.setdefault(quantise(n[0], grids), []).append(n)
    onsets = sorted(by_onset)
    out = []
    for i, onset in enumerate(onsets):
        group = by_onset[onset]
        end = quantise(max(start + length for start, length, _ in group), grids)
        if i + 1 < len(onsets):
            following = onsets[i + 1]
            # a short breath before the next note (at most a sixteenth, no longer than the note) is
            # written as part of the note: a sixteenth rest after every dotted eighth reads badly
            if end < following and following - end <= min(Fraction(1, SIXTEENTHS), end - onset):
                end = following
            end = min(end, following)
        shortest = Fraction(1, grids.get(int(onset), SIXTEENTHS))
        out.append(Item(onset, max(end - onset, shortest), tuple(sorted({p for _, _, p in group}))))
    return out


def _cuts(start: Fraction, end: Fraction, bar: Fraction) -> list[Fraction]:
    """Where [start, end) is cut: at barlines, and, when it is off the sixteenth grid, where its
    first whole beat starts and its last ends (a triplet's part stays in its beat)."""
    points = {start, end} | {bar * k for k in range(int(start // bar) + 1, int(-(-end // bar)))}
    if bar > LONGEST:  # every whole note of each bar it touches
        for first in range(int(start // bar), int(-(-end // bar))):
            points |= {bar * first + 4 * k for k in range(1, int(-(-bar // 4)))}
    if (start * SIXTEENTHS).denominator != 1 or (end * SIXTEENTHS).denominator != 1:
        points |= {Fraction(-(-start // 1)), Fraction(end // 1)}  # the first and the last beat inside
    return sorted(p for p in points if start <= p <= end)


def written(items: list[Item], bar: Fraction, until: Fraction = Fraction(0)) -> list[Item]:
    """A staff's notes with rests filling every gap up to the barline at or after `until` (the
    piece's end, so that every staff has as many bars) and after its own last note, cut and tied
    as the module docstring says: what music21 is given, one item per written note or rest."""
    out: list[Item] = []
    time = Fraction(0)
    end = max([until, *(i.onset + i.length for i in items)])
    end = bar * max(1, int(-(-end // bar)))
    for item in [*items, Item(end, Fraction(0), ())]:
        if item.onset > time:
            out.extend(_cut(Item(time, item.onset - time, ()), bar))
        if item.length:
            out.extend(_cut(item, bar))
        time = max(time, item.onset + item.length)
    return out


def _cut(item: Item, bar: Fraction) -> list[Item]:
    points = _cuts(item.onset, item.onset + item.length, bar)
    pieces = list(zip(points, points[1:]))
    if len(pieces) == 1 or not item.pitches:
        return [Item(a, b - a, item.pitches) for a, b in pieces]
    ties = ["start", *["continue"] * (len(pieces) - 2), "stop"]
    return [Item(a, b - a, item.pitches, tie) for (a, b), tie in zip(pieces, ties)]


def tuplets_written(musicxml: bytes) -> tuple[dict[tuple[int, int], int], int, int]:
    """How a MusicXML writes tuplets: ({(actual, normal): notes and rests in it}, brackets drawn,
    brackets enclosing only rests). Read by the tests and bench/edit.py to check plain rhythms."""
    import xml.etree.ElementTree as ET

    ratios: dict[tuple[int, int], int] = {}
    brackets = rests_only = 0
    for measure in ET.fromstring(musicxml).iter("measure"):
        inside = None  # whether each note since the open bracket's start is a rest
        for note in measure.iter("note"):
            modification = note.find("time-modification")
            if modification is not None:
                ratio = (int(modification.findtext("actual-notes")), int(modification.findtext("normal-notes")))
                ratios[ratio] = ratios.get(ratio, 0) + 1
            marks = [t.get("type") for t in note.iter("tuplet")]
            if "start" in marks:
                inside, brackets = [], brackets + 1
            if inside is not None:
                inside.append(note.find("rest") is not None)
            if "stop" in marks and inside is not None:
                rests_only, inside = rests_only + all(inside), None
    return ratios, brackets, rests_only
