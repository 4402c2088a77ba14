"""analysis/repetition.py: the share of bar-aligned windows whose top line comes back later, in any key."""

from __future__ import annotations

import math

import numpy as np
from symusic import Note, Score, Tempo, TimeSignature, Track

from sonatina.analysis.repetition import recurring_share, repetition

TPQ = 480
BAR = 4 * TPQ


def piece(phrases: list[list[int]], bass: list[list[int]] | None = None, offset: int = 0) -> Score:
    """One bar per list of pitches (eighth notes), optionally a chord under each bar; the whole
    piece may start `offset` ticks late (a pickup)."""
    score = Score(TPQ)
    score.tempos.append(Tempo(0, qpm=120))
    score.time_signatures.append(TimeSignature(0, 4, 4))
    tune, low = Track(name="tune"), Track(name="bass")
    for bar, pitches in enumerate(phrases):
        for i, pitch in enumerate(pitches):
            tune.notes.append(Note(offset + bar * BAR + i * TPQ // 2, TPQ // 2, pitch, 80))
        for pitch in (bass[bar] if bass else []):
            low.notes.append(Note(offset + bar * BAR, BAR, pitch, 60))
    score.tracks.extend([tune, low])
    return score


def random_bars(count: int, seed: int) -> list[list[int]]:
    rng = np.random.default_rng(seed)
    return [list(map(int, rng.integers(60, 84, 8))) for _ in range(count)]


def test_a_phrase_played_again_a_fourth_higher_counts_as_recurring():
    phrase = random_bars(4, seed=1)
    score = piece(phrase + [[p + 5 for p in bar] for bar in phrase])
    # 2-bar windows start at bars 0..6; those at 0, 1 and 2 come back at 4, 5 and 6
    assert recurring_share(score, 2) == 3 / 7
    # 4-bar windows start at bars 0..4; only the first comes back
    assert recurring_share(score, 4) == 1 / 5


def test_music_that_never_repeats_scores_zero():
    assert recurring_share(piece(random_bars(8, seed=2)), 2) == 0.0


def test_the_accompaniment_under_the_tune_does_not_hide_a_repeat():
    phrase = random_bars(2, seed=3)
    chords = [[36, 43], [41, 48], [38, 45], [43, 50]]  # other chords under the repeat
    assert recurring_share(piece(phrase + phrase, bass=chords), 2) == 1 / 3


def test_a_repeat_off_the_bar_lines_is_found():
    """A tune with a one-beat pickup repeats across bar lines (as a 6/8 jig tokenized in 4/4 does)."""
    phrase = random_bars(4, seed=4)
    plain, shifted = piece(phrase + phrase), piece(phrase + phrase, offset=TPQ)
    assert recurring_share(plain, 2) > 0 and recurring_share(shifted, 2) > 0


def test_too_few_notes_is_nan_and_sets_average_their_pieces():
    assert math.isnan(recurring_share(piece([[60, 62]]), 2))
    phrase = random_bars(4, seed=1)
    result = repetition([piece(phrase + phrase), piece(random_bars(8, seed=5)), piece([[60]])])
    assert result["repetition_2_bars"] == (3 / 7 + 0.0) / 2
    assert set(result) == {"repetition_2_bars", "repetition_4_bars"}


def test_compare_reports_repetition_beside_diversity():
    from sonatina.analysis.compare import PieceSet, compare_sets
    from sonatina.analysis.report import public

    phrase = random_bars(4, seed=1)
    generated = PieceSet("generated", "-", scores=[piece(phrase + phrase), piece(phrase + phrase)])
    reference = PieceSet("reference", "-", scores=[piece(random_bars(8, seed=s)) for s in (6, 7)])
    diversity = public(compare_sets(generated, reference))["diversity"]
    assert diversity["generated"]["repetition_2_bars"] == 3 / 7
    assert diversity["reference"]["repetition_2_bars"] == 0.0
