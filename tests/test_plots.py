"""Plots: each writes a real PNG of the promised pixel size, with content in it."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf
from PIL import Image
from symusic import Note, Score, Tempo, Track

from sonatina.analysis import plots
from sonatina.errors import BadInputError, SonatinaError

from helpers import make_score

HEADER = "epoch,step,tokens_seen,elapsed_s,train_loss,val_loss,val_bits_per_token,val_bits_per_note\n"


def png_info(path) -> tuple[int, int, float]:
    """(width, height, percent of pixels that are saturated colour): axes, text and grid are
    grey, so only drawn data (notes, bars, heat) makes the last number non-zero."""
    with Image.open(path) as image:
        assert image.format == "PNG"
        rgb = np.asarray(image.convert("RGB"), dtype=int)
        colourful = (rgb.max(axis=2) - rgb.min(axis=2)) > 60
        return image.width, image.height, 100 * colourful.mean()


def size_of(figsize) -> tuple[int, int]:
    return round(figsize[0] * plots.DPI), round(figsize[1] * plots.DPI)


@pytest.mark.parametrize("unit", ["seconds", "bars"])
def test_piano_roll(tmp_path, unit):
    out = plots.piano_roll(make_score(bars=4), tmp_path / "roll.png", time_unit=unit)
    width, height, colours = png_info(out)
    assert (width, height) == size_of(plots.SIZE_WIDE)
    assert colours > 0.3  # the notes of two coloured tracks


def test_piano_roll_empty_and_bad_unit(tmp_path):
    with pytest.raises(BadInputError, match="no notes"):
        plots.piano_roll(Score(480), tmp_path / "x.png")
    with pytest.raises(BadInputError, match="time unit"):
        plots.piano_roll(make_score(), tmp_path / "x.png", time_unit="beats")


def test_pitch_class_histogram_and_transitions(tmp_path):
    score = make_score()
    hist = plots.pitch_class_histogram(score, tmp_path / "pc.png")
    width, height, colours = png_info(hist)
    assert (width, height) == size_of(plots.SIZE_BARS) and colours > 1
    heat = plots.transition_heatmap(score, tmp_path / "tr.png")
    width, height, colours = png_info(heat)
    assert (width, height) == size_of(plots.SIZE_SQUARE) and colours > 1


def test_spectrogram_of_a_wav(tmp_path):
    rate = 22050
    t = np.arange(rate * 2) / rate
    sf.write(tmp_path / "tone.wav", 0.3 * np.sin(2 * np.pi * 440 * t), rate)
    out = plots.spectrogram(tmp_path / "tone.wav", tmp_path / "spec.png")
    width, height, colours = png_info(out)
    assert (width, height) == size_of(plots.SIZE_WIDE) and colours > 1


def test_spectrogram_of_midi_renders_it(tmp_path):
    from sonatina.audio.soundfonts import find_soundfonts

    if not find_soundfonts():
        pytest.skip("no SoundFont installed (make sysdeps installs fluid-soundfont-gm)")
    out = plots.spectrogram(make_score(bars=2), tmp_path / "spec.png")
    assert png_info(out)[:2] == size_of(plots.SIZE_WIDE)


def test_learning_curve_from_one_row_and_many(tmp_path):
    (tmp_path / "learning_curve.csv").write_text(HEADER + "1,100,51200,12.5,3.2,3.4,4.9,9.8\n")
    out = plots.learning_curve(tmp_path, tmp_path / "learning_curve.png")
    width, height, colours = png_info(out)
    assert (width, height) == size_of(plots.SIZE_WIDE) and colours > 0.01  # the single points show
    rows = "".join(f"{e},{e * 100},{e * 51200},{e * 12.5},{3.2 / e},{3.4 / e ** 0.5},{4.9 / e},{9.8 / e}\n" for e in range(1, 8))
    (tmp_path / "many.csv").write_text(HEADER + rows)
    out = plots.learning_curve(tmp_path / "many.csv", tmp_path / "many.png")
    assert png_info(out)[2] > 0.5


def test_learning_curve_of_a_real_training_run(tiny_run, tmp_path):
    out = plots.learning_curve(tiny_run, tmp_path / "curve.png")
    assert png_info(out)[:2] == size_of(plots.SIZE_WIDE)


def test_learning_curve_bad_inputs(tmp_path):
    with pytest.raises(BadInputError, match="No learning curve"):
        plots.learning_curve(tmp_path, tmp_path / "x.png")
    (tmp_path / "learning_curve.csv").write_text(HEADER)
    with pytest.raises(BadInputError, match="no learning-curve rows"):
        plots.learning_curve(tmp_path, tmp_path / "x.png")


def test_unwritable_output_is_a_user_error(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(SonatinaError):
        plots.pitch_class_histogram(make_score(), tmp_path / "file" / "pc.png")


def test_drum_track_is_drawn_and_labelled(tmp_path):
    score = make_score(bars=2)
    drums = Track("kit", 0, True)
    for i in range(8):
        drums.notes.append(Note(i * 480, 120, 36, 100))
    score.tracks.append(drums)
    score.tempos.append(Tempo(0, 90.0))
    assert png_info(plots.piano_roll(score, tmp_path / "roll.png"))[2] > 0.3


def test_curve_plots_are_named_after_their_run(tmp_path):
    """`sonatina plot runs/a` and `plot runs/b` into one folder must not overwrite each other."""
    from click.testing import CliRunner

    from sonatina.cli import main

    for name in ("a", "b"):
        (tmp_path / "runs" / name).mkdir(parents=True)
        (tmp_path / "runs" / name / "learning_curve.csv").write_text(HEADER + "1,100,51200,12.5,3.2,3.4,4.9,9.8\n")
    assert plots.run_name(tmp_path / "runs" / "a") == "a"
    assert plots.run_name(tmp_path / "runs" / "b" / "learning_curve.csv") == "b"
    assert plots.run_name(tmp_path / "many.csv") == "many"
    out = tmp_path / "plots"
    for name in ("a", "b"):
        result = CliRunner().invoke(main, ["plot", str(tmp_path / "runs" / name), "--out", str(out)])
        assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["a.learning_curve.png", "b.learning_curve.png"]


def test_importing_plots_leaves_matplotlib_backend_alone():
    """A notebook's (or program's) own backend survives `import sonatina.analysis.plots`."""
    import os
    import subprocess
    import sys

    code = ("import sys, matplotlib; import sonatina.analysis.plots; "
            "print(matplotlib.get_backend(), 'matplotlib.pyplot' in sys.modules)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "MPLBACKEND": "svg"})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["svg", "False"]
