"""The seed designs (issue 12): classic, twolayer and bilstm-psdv as presets beside REMI.

Each trains for a few steps from real POP909 MIDI at test sizes (the preset's shape, narrow
layers), and its checkpoint works in `generate`, `evaluate`, `models` and the web studio.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from symusic import Note, Score, Tempo, Track

from helpers import make_score, sonatina_command
from sonatina import api
from sonatina.data.corpus import collect_sources
from sonatina.data.events import (EventVocabulary, NotePiece, build_note_dataset, chord_events, event_pitches,
                                  notes_of_score, psdv_rows, psdv_to_notes)
from sonatina.errors import EmptyDatasetError
from sonatina.model.designs import DESIGN_PRESETS, windows_before

POP909 = Path("/work/shared/datasets/pop909")
DESIGNS = list(DESIGN_PRESETS)
pytestmark = pytest.mark.skipif(not POP909.is_dir(), reason="POP909 is not under /work/shared/datasets")


@pytest.fixture(scope="module")
def pop_folder(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("pop")
    for i in range(1, 9):
        shutil.copy(POP909 / f"{i:03d}" / f"{i:03d}.mid", folder / f"{i:03d}.mid")
    return folder


@pytest.fixture(scope="module")
def runs(pop_folder, tmp_path_factory) -> dict[str, Path]:
    """One test-sized run per design: the preset's layers, 16 units wide, 6 steps of 8 windows."""
    out = {}
    for design in DESIGNS:
        run = tmp_path_factory.mktemp(design)
        api.train([str(pop_folder)], run, preset=design, epochs=1, steps_per_epoch=6, batch_size=8, seq_len=12,
                  model_overrides={"hidden_size": 16}, progress=False)
        out[design] = run
    return out


def cli(*args, check=True):
    proc = subprocess.run([*sonatina_command(), *map(str, args)], capture_output=True, text=True)
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


def test_notes_and_chords_events_as_the_tutorial_reads_them():
    piece = NotePiece("p", "pop", "train", onset=np.array([0, 0, 0, 4, 9]), duration=np.array([8] * 5),
                      pitch=np.array([60, 64, 67, 76, 62]), velocity=np.array([90] * 5))
    assert chord_events(piece) == ["0.4.7", "E5", "D4"]  # a chord's classes; single notes by name
    assert event_pitches("E5") == [76] and event_pitches("0.4.7") == [60, 64, 67]
    vocab = EventVocabulary.build([piece])
    assert vocab.tokens[:2] == ["<pad>", "<unk>"] and vocab.encode(["D4", "9.1"])[1] == 1  # unseen -> UNK


def test_psdv_bins_round_trip_a_piece():
    score = Score(480)
    score.tempos.append(Tempo(0, qpm=100))
    track = Track()
    for time, dur, pitch, vel in [(0, 480, 60, 64), (0, 240, 64, 64), (240, 720, 67, 100), (1200, 120, 72, 20)]:
        track.notes.append(Note(time, dur, pitch, vel))
    score.tracks.append(track)
    notes = notes_of_score(score)
    rows = psdv_rows(SimpleNamespace(**notes))
    assert rows[:, 1].tolist() == [0, 0, 4, 16]  # steps in eighths of a beat; a chord's second note: 0
    back = psdv_to_notes(rows)
    assert [(o, d, p) for o, d, p, _ in back] == list(zip(notes["onset"], notes["duration"], notes["pitch"]))


def test_note_dataset_skips_what_it_cannot_use_as_the_token_dataset_does(tmp_path):
    make_score(0).dump_midi(str(tmp_path / "good.mid"))
    (tmp_path / "bad.mid").write_bytes(b"MThd this is not midi")
    short = Score(480)
    short.tracks.append(Track())
    short.tracks[0].notes.extend(Note(480 * k, 480, 60 + k, 80) for k in range(3))
    short.dump_midi(str(tmp_path / "short.mid"))
    dataset = build_note_dataset(collect_sources([str(tmp_path)]), progress=False)
    assert len(dataset.pieces) == 1 and dataset.pieces[0].notes >= 8
    reasons = {name.split("/")[-1]: reason for name, reason in dataset.skipped}
    assert sorted(reasons) == ["bad.mid", "short.mid"] and reasons["short.mid"] == "has fewer than 8 notes"
    (tmp_path / "good.mid").unlink()
    with pytest.raises(EmptyDatasetError, match="None of the 2 files could be used"):
        build_note_dataset(collect_sources([str(tmp_path)]), progress=False)


def test_windows_are_padded_in_front():
    w = windows_before(np.array([5, 6, 7]), [0, 2], 3)
    assert w.tolist() == [[0, 0, 0], [0, 5, 6]]


@pytest.mark.parametrize("design", DESIGNS)
def test_numpy_network_agrees_with_torch(runs, design):
    import torch

    from sonatina.model.design_train import build_net
    from sonatina.model.designs import read_design

    config, network, card = read_design(runs[design])
    net = build_net(config)
    from safetensors.torch import load_file

    net.load_state_dict(load_file(str(runs[design] / "model.safetensors")), strict=False)
    net.float().eval()
    rng = np.random.default_rng(0)
    if config.bidirectional:
        windows = np.stack([rng.integers(0, [128, 60, 60, 16], size=(config.window, 4)) for _ in range(3)])
        windows[0, :4] = -1  # padding at a piece's start
    else:
        windows = rng.integers(0, config.vocab_size, size=(3, config.window))
    with torch.no_grad():
        expected = {k: v.numpy() for k, v in net(torch.from_numpy(windows)).items()}
    got = network.logits(windows)
    for head in expected:
        np.testing.assert_allclose(got[head], expected[head], atol=2e-4)


@pytest.mark.parametrize("design", DESIGNS)
def test_each_design_trains_generates_evaluates_and_lists(runs, pop_folder, design, tmp_path):
    run = runs[design]
    card = json.loads((run / "model.json").read_text())
    assert card["design"] == design and card["design_config"]["num_layers"] == DESIGN_PRESETS[design].num_layers
    assert np.isfinite(card["validation"]["bits_per_note"])
    assert f"`{design}` seed design" in (run / "README.md").read_text()

    out = tmp_path / "piece.mid"
    args = ["generate", "--model", run, "--seconds", "12", "--tempo", "90", "--key", "D minor", "--instrument", "40",
            "--temperature", "0.9", "--seed", "5", "--out", out, "--json"]
    files = json.loads(cli(*args).stdout)["files"]
    score = Score(files[0]["midi"])
    assert score.note_num() > 0 and abs(score.to("second").end() - 12) < 0.5
    assert score.tracks[0].program == 40 and score.tempos[0].qpm == pytest.approx(90)
    assert files[0]["settings"]["key"] == "D minor" and files[0]["settings"]["design"] == design
    again = Score(json.loads(cli(*args[:-3], "--out", tmp_path / "again.mid", "--json").stdout)["files"][0]["midi"])
    assert [(n.time, n.pitch) for n in again.tracks[0].notes] == [(n.time, n.pitch) for n in score.tracks[0].notes]

    primer = Score(str(pop_folder / "001.mid")).clip(0, 480 * 8)
    primer.dump_midi(str(tmp_path / "primer.mid"))
    primed = api.compose(run, seconds=20, primer=tmp_path / "primer.mid", seed=1)[0].score
    assert primed.note_num() > primer.note_num()

    result = json.loads(cli("evaluate", "--model", run, pop_folder / "001.mid", "--json").stdout)
    assert result["design"] == design and result["pieces"] == 1 and np.isfinite(result["bits_per_note"])
    if design == "bilstm-psdv":  # pitch is one of its four heads
        assert 0 < result["bits_per_note_pitch"] < result["bits_per_note"]
    else:  # pitch content is all it models
        assert result["bits_per_note_pitch"] == pytest.approx(result["bits_per_note"])

    rows = json.loads(cli("models", run, "--json").stdout)["models"]
    assert rows[-1]["design"] == design and rows[-1]["path"] == str(run)


def test_composing_with_a_design_imports_no_torch(runs, tmp_path):
    code = ("import sys; from sonatina import api; "
            f"api.compose({str(runs['bilstm-psdv'])!r}, seconds=6, seed=1); print('torch' in sys.modules)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.stdout.strip() == "False", proc.stderr


def test_design_refusals_are_one_sentence(runs, pop_folder, tmp_path):
    proc = cli("train", pop_folder, "--out", tmp_path / "r", "--preset", "classic", "--resume", check=False)
    assert proc.returncode == 2 and "REMI presets only" in proc.stderr and "Traceback" not in proc.stderr
    with pytest.raises(Exception, match="needs a REMI model"):
        api.convert(pop_folder / "001.mid", to="pop", model=runs["classic"])


def test_web_studio_composes_with_a_design(runs, tmp_path):
    import symusic

    from sonatina.web import create_app
    from web.webhelpers import AuthActions, generate

    run = runs["twolayer"]
    app = create_app({"TESTING": True, "INSTANCE_PATH": str(tmp_path / "instance"), "HUEY_IMMEDIATE": True,
                      "MODEL_PATHS": [str(run)], "DATABASE_URL": f"sqlite:///{tmp_path / 'test.db'}",
                      "REDIS_URL": None})
    client = app.test_client()
    auth = AuthActions(client)
    auth.signup()
    assert f'value="{run.name}"' in client.get("/studio/generate").get_data(as_text=True)
    response = generate(auth, run.name, seconds="10", seed="3", instrument="48")
    assert response.status_code == 302, response.get_data(as_text=True)
    song_page = client.get(response.headers["Location"])
    assert song_page.status_code == 302 and "/songs/" in song_page.headers["Location"]
    assert client.get(song_page.headers["Location"]).status_code == 200
    midi = client.get(song_page.headers["Location"] + "/download/midi")
    assert midi.status_code == 200
    score = symusic.Score.from_midi(midi.data)
    assert score.note_num() > 0 and score.tracks[0].program == 48 and abs(score.to("second").end() - 10) < 0.5


def test_remi_reports_pitch_bits_that_compare(tiny_run, tiny_corpus):
    """REMI's pitch-alone bits: the Pitch tokens' share, each renormalised over pitches."""
    result = api.evaluate(tiny_run, [str(tiny_corpus / "piece00.mid")])
    assert 0 < result["bits_per_note_pitch"] < result["bits_per_note"]
    # a model that learned anything names a pitch in fewer bits than a uniform pick among 88
    assert result["bits_per_note_pitch"] < np.log2(88)


@pytest.mark.parametrize("design", ["classic", "twolayer"])
def test_stepping_starts_exactly_where_the_window_does(runs, design):
    """Composing steps once per event; after a window of padding its first draw is the windowed one."""
    from sonatina.model.designs import read_design

    config, network, _ = read_design(runs[design])
    state = network.initial_state(2)
    for _ in range(config.window):
        logits, state = network.step(np.zeros(2, dtype=np.int64), state)
    expected = network.logits(np.zeros((2, config.window), dtype=np.int64))["event"]
    np.testing.assert_allclose(logits["event"], expected, atol=1e-5)
