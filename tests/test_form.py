"""compose/form.py: form plans and the bar copier, and --form / --repetition end to end."""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner

from sonatina import api
from sonatina.analysis import metrics as M
from sonatina.cli.core_commands import generate as generate_command
from sonatina.compose import form as F
from sonatina.compose.form import BarCopier, FormPlan, parse_form
from sonatina.data.tokens import Vocabulary, build_tokenizer
from sonatina.request import GenerationRequest, SettingError


def test_a_repeated_section_copies_the_first_one_bar_for_bar():
    plan = FormPlan("AABA", 4)
    assert [plan.source_bar(b) for b in range(16)] == [None] * 4 + [0, 1, 2, 3] + [None] * 4 + [0, 1, 2, 3]
    assert [plan.source_bar(b) for b in (16, 20, 24, 28)] == [0, 0, 8, 0]  # a second round repeats the first
    verse_chorus = FormPlan("ABABCB", 2)
    assert [verse_chorus.source_bar(b) for b in range(12)] == [None, None, None, None, 0, 1, 2, 3, None, None, 2, 3]


def test_sections_are_as_long_as_the_piece_allows():
    assert FormPlan.fitting("AABA", 33).section_bars == 8
    assert FormPlan.fitting("AABA", 20).section_bars == 4
    assert FormPlan.fitting("ABABCB", 10).section_bars == 2


@pytest.mark.parametrize("text,letters", [("aaba", "AABA"), ("A-A-B-A", "AABA"), (" abab cb ", "ABABCB"),
                                          ("none", None), (None, None)])
def test_forms_are_read_forgivingly(text, letters):
    assert parse_form(text) == letters


@pytest.mark.parametrize("text", ["A", "AXBA", "AABA" * 5, "12"])
def test_a_bad_form_is_one_sentence_on_the_cli_too(text):
    with pytest.raises(SettingError) as refused:
        GenerationRequest.validate({"form": text})
    assert "section letters A-H" in str(refused.value)
    result = CliRunner().invoke(generate_command, ["--form", text, "--out", "x.mid"])
    assert result.exit_code == 2 and result.output.strip() == f"Error: {refused.value}"


def _ids(vocab_map, *names):
    return [vocab_map[n] for n in names]


def test_the_copier_follows_the_source_bar_through_variations_and_resumes_at_its_next_onset():
    tokenizer = build_tokenizer()
    vocab, ids = Vocabulary(tokenizer), tokenizer.vocab
    velocity = sorted(n for n in ids if n.startswith("Velocity_"))
    duration = sorted(n for n in ids if n.startswith("Duration_"))
    copier = BarCopier(vocab, 1, lambda bar: [bar - 1], strength=3.0)
    first_bar = _ids(ids, "Bar_None", "Position_0", "Pitch_60", velocity[3], duration[2],
                     "Position_8", "Pitch_64", velocity[3], duration[2])
    for token in first_bar + [ids["Bar_None"]]:
        copier.advance(0, token)
    expect = lambda *names: {ids[n] for n in names}  # noqa: E731
    assert copier.proposals(0) == expect("Position_0")
    copier.advance(0, ids["Position_0"])
    assert copier.proposals(0) == expect("Pitch_60")
    copier.advance(0, ids["Pitch_62"])  # another pitch: a variation, the copy goes on
    assert copier.proposals(0) == expect(velocity[3])
    copier.advance(0, ids[velocity[9]])
    assert copier.proposals(0) == expect(duration[2])
    copier.advance(0, ids[duration[2]])
    assert copier.proposals(0) == expect("Position_8")
    copier.advance(0, ids["Position_4"])  # an onset the source does not have: out of step
    assert copier.proposals(0) == expect("Position_8")  # ... so the bonus goes to its next onset
    copier.advance(0, ids["Position_8"])
    assert copier.proposals(0) == expect("Pitch_64")
    for name in ("Pitch_64", velocity[3], duration[2]):
        copier.advance(0, ids[name])
    assert copier.proposals(0) == expect("Bar_None")  # the source bar is used up: on to the next bar

    scores = np.zeros((1, vocab.size))
    scores[0, ids["Pitch_70"]] = -np.inf
    biased = copier(scores)
    assert biased[0, ids["Bar_None"]] == 3.0 and np.isneginf(biased[0, ids["Pitch_70"]])
    assert np.count_nonzero(biased[0] == 3.0) == 1


def test_out_of_step_the_copy_picks_the_next_onset_without_cutting_the_chord_short():
    tokenizer = build_tokenizer()
    vocab, ids = Vocabulary(tokenizer), tokenizer.vocab
    velocity, duration = (sorted(n for n in ids if n.startswith(kind)) for kind in ("Velocity_", "Duration_"))
    copier = BarCopier(vocab, 1, lambda bar: [bar - 1], strength=5.0)
    for name in ("Bar_None", "Position_0", "Pitch_60", velocity[3], duration[2], "Position_8", "Pitch_64",
                 velocity[3], duration[2], "Bar_None", "Position_4", "Pitch_62", velocity[3], duration[2]):
        copier.advance(0, ids[name])  # the new bar plays a note at an onset the source lacks: out of step
    assert not copier.in_step(0) and copier.proposals(0) == {ids["Position_8"]}
    scores = np.zeros((1, vocab.size))
    scores[0, [i for n, i in ids.items() if n.startswith("Position_") and int(n[9:]) <= 4]] = -np.inf
    biased = copier(scores)
    time = copier.time_ids
    moving_on = lambda s: np.logaddexp.reduce(s[0, time])  # noqa: E731
    # another note at onset 4 keeps the odds the model gave it against moving on ...
    assert moving_on(biased) == pytest.approx(moving_on(scores))
    assert (biased[0, vocab.pitch_ids] == 0).all()
    # ... and of the onsets, the source's next one is now the likeliest, by the strength
    others = biased[0, [ids["Position_12"], ids["Bar_None"]]]
    assert biased[0, ids["Position_8"]] - others == pytest.approx([5.0, 5.0])


def _bars(score, first, count):
    notes = M.note_arrays(score)
    bar = M.bar_steps(score)
    keep = (notes["time"] >= first * bar) & (notes["time"] < (first + count) * bar)
    return list(zip(notes["time"][keep] - first * bar, notes["pitch"][keep]))


def test_generate_with_a_form_plays_the_a_section_again(tiny_run, monkeypatch):
    monkeypatch.setattr(F, "FORM_STRENGTH", 40.0)  # a copy the model cannot refuse: the replay is exact
    piece = api.compose(str(tiny_run), seconds=40, tempo=120, seed=3, form="aaba")[0]
    assert (piece.settings["form"], piece.settings["form_section_bars"]) == ("AABA", 4)
    first, again, bridge = _bars(piece.score, 0, 4), _bars(piece.score, 4, 4), _bars(piece.score, 8, 4)
    assert len(first) >= 8 and again == first and bridge != first
    free = api.compose(str(tiny_run), seconds=40, tempo=120, seed=3, form="none")[0]
    assert free.settings["form"] == "none" and _bars(free.score, 4, 4) != _bars(free.score, 0, 4)


def test_repetition_makes_bars_copy_the_bars_before(tiny_run):
    copied = {}
    for strength in (0, 8):
        pieces = api.compose(str(tiny_run), seconds=40, tempo=120, seed=11, variations=3, form="none",
                             repetition=strength)
        assert all(p.settings["repetition"] == strength for p in pieces)
        same = [any(_bars(p.score, b, 1) == _bars(p.score, b - k, 1) for k in (1, 2, 4) if b >= k)
                for p in pieces for b in range(1, 19)]
        copied[strength] = np.mean(same)
    assert copied[8] > 0.6 and copied[0] < 0.3, copied
