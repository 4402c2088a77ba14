"""Repeats shaped like people's (issue 11): a repeated section comes back whole or, once it leaves
its first occurrence, goes on as new music to the section's end, instead of single notes varied
all over it (bench/RESULTS.md "Repeats shaped like people's")."""

from __future__ import annotations

from functools import partial

import numpy as np
import pytest

from sonatina import api
from sonatina.analysis import metrics as M
from sonatina.compose import form as F
from sonatina.compose.form import BarCopier, FormPlan, Variation, form_processors, form_variation
from sonatina.data.tokens import Vocabulary, build_tokenizer
from sonatina.model.registry import load_model


def _note(ids, pitch):
    velocity, duration = (sorted(n for n in ids if n.startswith(kind)) for kind in ("Velocity_", "Duration_"))
    return [ids[f"Pitch_{pitch}"], ids[velocity[3]], ids[duration[2]]]


def test_a_variation_carries_to_the_end_of_its_section_and_the_next_section_copies_again():
    tokenizer = build_tokenizer()
    vocab, ids = Vocabulary(tokenizer), tokenizer.vocab
    plan = FormPlan("AA", 2)  # bars 2-3 repeat bars 0-1, bars 4-5 (the second round) too
    copier = BarCopier(vocab, 1, F.plan_sources(plan), 5.0, partial(plan.phrase_end, phrase_bars=2))
    source_bar = [ids["Bar_None"], ids["Position_0"], *_note(ids, 60), ids["Position_8"], *_note(ids, 64)]
    for token in source_bar * 2:  # bars 0 and 1
        copier.advance(0, token)
    copier.advance(0, ids["Bar_None"])  # bar 2 copies bar 0
    copier.advance(0, ids["Position_0"])
    assert copier.proposals(0) == {ids["Pitch_60"]}
    for token in _note(ids, 62):  # another pitch: without carry the copy would go on to Position_8
        copier.advance(0, token)
    assert copier.proposals(0) == set() and not copier.in_step(0)
    scores = np.zeros((1, vocab.size))
    assert (copier(scores) == scores).all()  # the rest of the bar is the model's own
    copier.advance(0, ids["Bar_None"])  # bar 3: same section, still new music
    assert copier.proposals(0) == set()
    copier.advance(0, ids["Bar_None"])  # bar 4: a new section copies its first occurrence again
    assert copier.proposals(0) == {ids["Position_0"]}


def test_a_carried_variation_keeps_to_the_register_of_the_bars_it_replaces():
    tokenizer = build_tokenizer()
    vocab, ids = Vocabulary(tokenizer), tokenizer.vocab
    plan = FormPlan("AA", 2)
    copier = BarCopier(vocab, 1, F.plan_sources(plan), 5.0, partial(plan.phrase_end, phrase_bars=2), register=2.0)
    for pitches in ((60, 64), (62, 67)):  # bars 0 and 1: 60-67 between them
        for token in [ids["Bar_None"], ids["Position_0"], *_note(ids, pitches[0]), ids["Position_8"],
                      *_note(ids, pitches[1])]:
            copier.advance(0, token)
    for token in [ids["Bar_None"], ids["Position_0"], *_note(ids, 59)]:  # bar 2 leaves the copy a semitone low
        copier.advance(0, token)
    biased = copier(np.zeros((1, vocab.size)))[0]
    assert [biased[ids[f"Pitch_{p}"]] for p in (55, 58, 59, 64, 67, 68, 70)] == [-8.0, -2.0, 0, 0, 0, -2.0, -6.0]
    assert biased[ids["Position_8"]] == 0  # nothing else is touched
    copier.advance(0, ids["Bar_None"])
    copier.advance(0, ids["Bar_None"])  # bar 4, a new section: the copy and no register
    assert (copier(np.zeros((1, vocab.size)))[0][vocab.pitch_ids] == 0).all()


def test_without_carry_the_same_variation_is_one_note_and_the_copy_goes_on():
    tokenizer = build_tokenizer()
    vocab, ids = Vocabulary(tokenizer), tokenizer.vocab
    copier = BarCopier(vocab, 1, F.plan_sources(FormPlan("AA", 2)), 5.0)
    for token in [ids["Bar_None"], ids["Position_0"], *_note(ids, 60), ids["Position_8"], *_note(ids, 64)] * 2:
        copier.advance(0, token)
    for token in [ids["Bar_None"], ids["Position_0"], *_note(ids, 62)]:
        copier.advance(0, token)
    assert copier.proposals(0) == {ids["Position_8"]}


def test_the_opening_bar_of_a_repeated_phrase_has_its_own_strength():
    plan, variation = FormPlan("AABA", 4), Variation(7.0, opening=5.5, carry_bars=4)
    assert [variation.strength_at(plan, bar) for bar in range(4, 10)] == [5.5, 7.0, 7.0, 7.0, 5.5, 7.0]
    assert Variation(5.5).strength_at(plan, 4) == 5.5
    # in 8-bar sections (a longer piece) each 4-bar phrase opens at 5.5
    assert [variation.strength_at(FormPlan("AABA", 8), bar) for bar in (8, 9, 12, 13, 16)] == [5.5, 7.0, 5.5, 7.0, 5.5]


def test_a_phrase_ends_with_its_section():
    assert [FormPlan("AABA", 4).phrase_end(bar, 4) for bar in (0, 3, 4, 7, 8)] == [4, 4, 8, 8, 12]
    assert [FormPlan("AAB", 8).phrase_end(bar, 4) for bar in (0, 3, 4, 7, 8, 13)] == [4, 4, 8, 8, 12, 16]
    assert [FormPlan("AABA", 4).phrase_end(bar, 3) for bar in (0, 2, 3, 4)] == [3, 3, 4, 7]  # cut at the section


def test_pop_keeps_one_strength_and_no_carry():
    # pop's repeats were not reshaped: its copier is the one before this change, byte for byte
    vocab = Vocabulary(build_tokenizer())
    assert form_variation("pop") == Variation(5.5)
    [copier], _ = form_processors(vocab, 2, 120.0, "AABA", 0.0, "pop")
    assert copier.strength == 5.5 and copier.carry_until is None
    assert all(F.GENRE_DEFAULTS["pop"].get(k) is None for k in ("opening_strength", "carry_bars"))


def _bar(score, bar):
    notes, steps = M.note_arrays(score), M.bar_steps(score)
    keep = (notes["time"] >= bar * steps) & (notes["time"] < (bar + 1) * steps)
    return list(zip(notes["time"][keep] - bar * steps, notes["pitch"][keep]))


def _repeated_sections(pieces):
    """Per repeated section of each piece: for each bar, whether its onsets and pitches equal its source bar's."""
    sections = []
    for piece in pieces:
        plan = FormPlan(piece.settings["form"], piece.settings["form_section_bars"])
        whole_bars = int(M.note_arrays(piece.score)["time"].max()) // M.bar_steps(piece.score)  # the last may be cut
        for start in range(0, whole_bars, plan.section_bars):
            section = range(start, min(start + plan.section_bars, whole_bars))
            bars = [b for b in section if plan.source_bar(b) is not None]
            if bars:
                sections.append([_bar(piece.score, b) == _bar(piece.score, plan.source_bar(b)) for b in bars])
    return sections


@pytest.mark.parametrize("genre", ["folk", "chorale"])
def test_default_folk_and_chorales_vary_a_repeated_section_from_where_it_leaves_the_copy_to_its_end(genre, monkeypatch):
    model = load_model("default")
    assert form_variation(genre).carry_bars
    sections = _repeated_sections(api.compose(model, seconds=60, genre=genre, seed=101, variations=8))
    resumed = sum(any(not a and b for a, b in zip(s, s[1:])) for s in sections)
    # a bar after the variation may equal its source only where the model, free, plays it again
    assert len(sections) >= 12 and resumed <= len(sections) // 10, (resumed, len(sections))
    assert any(all(s) for s in sections) and any(not any(s) for s in sections)
    # the copier as it was (one strength, the copy resumes after each variation) scatters them
    monkeypatch.setitem(F.GENRE_DEFAULTS, genre, {"form": F.GENRE_DEFAULTS[genre]["form"], "form_strength": 5.5})
    before = _repeated_sections(api.compose(model, seconds=60, genre=genre, seed=101, variations=8))
    assert sum(any(not a and b for a, b in zip(s, s[1:])) for s in before) >= len(before) // 4
