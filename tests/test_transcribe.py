"""Transcription: render a melody, hear it back with basic-pitch's network, compare onsets."""

from __future__ import annotations

import numpy as np
import pytest
from symusic import Note, Score, Tempo, Track

from helpers import make_score
from sonatina.audio import synth as audio
from sonatina.audio import transcribe
from sonatina.data.corpus import load_score
from sonatina.errors import BadInputError


def melody(seed: int = 0, notes: int = 24, tempo: float = 110.0) -> Score:
    """A piano line of quarter and eighth notes over two octaves, about 10 s long."""
    rng = np.random.default_rng(seed)
    score = Score(480)
    score.tempos.append(Tempo(0, tempo))
    track = Track(program=0)
    t = 0
    for _ in range(notes):
        length = int(rng.choice([240, 480, 480, 720]))
        track.notes.append(Note(t, length - 30, int(rng.integers(55, 80)), int(rng.integers(70, 110))))
        t += length
    score.tracks.append(track)
    return score


def onsets(score: Score) -> list[tuple[float, int]]:
    seconds = score.to("second")
    return [(note.time, note.pitch) for track in seconds.tracks for note in track.notes]


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    folder = tmp_path_factory.mktemp("transcribe")
    score = melody()
    audio.render(score, folder / "melody.wav")
    return score, folder / "melody.wav"


def test_a_rendered_melody_comes_back_note_for_note(rendered, tmp_path):
    score, wav = rendered
    result = transcribe.transcribe(wav, tmp_path / "back.mid", tempo=110)
    back = load_score(result["path"])  # readable MIDI, usable as a primer
    assert back.tempos[0].qpm == pytest.approx(110, abs=0.01)
    f1 = transcribe.onset_f1(onsets(score), onsets(back))
    assert f1["f1"] >= 0.9, f1
    assert result["notes"] == len(back.tracks[0].notes)
    assert abs(result["music_seconds"] - score.to("second").end()) < 1.0  # the last note rings on a little


def test_an_mp3_of_a_polyphonic_piece_transcribes(tmp_path):
    score = make_score(seed=5, bars=4, tempo=90.0)  # melody over a bass line, 10.7 s
    audio.render(score, tmp_path / "duet.mp3")
    result = transcribe.transcribe(tmp_path / "duet.mp3", tmp_path / "duet.mid", tempo=90)
    f1 = transcribe.onset_f1(onsets(score), onsets(load_score(result["path"])))
    assert f1["f1"] >= 0.75, f1


def test_options_change_the_outcome(rendered, tmp_path):
    _, wav = rendered
    default = transcribe.transcribe(wav, tmp_path / "a.mid")
    strict = transcribe.transcribe(wav, tmp_path / "b.mid", onset_threshold=0.95, min_note_ms=400)
    assert strict["notes"] < default["notes"]
    organ = transcribe.transcribe(wav, tmp_path / "c.mid", program=19, tempo=60)
    score = load_score(organ["path"])
    assert score.tracks[0].program == 19
    assert score.tempos[0].qpm == pytest.approx(60)
    # The tempo only changes the ticks, not when notes sound.
    reference = onsets(load_score(default["path"]))
    assert [p for _, p in onsets(score)] == [p for _, p in reference]
    assert np.allclose([t for t, _ in onsets(score)], [t for t, _ in reference], atol=0.002)
    with_sustained = transcribe.transcribe(wav, tmp_path / "d.mid", sustained_notes=True, onset_threshold=0.5)
    assert with_sustained["notes"] > default["notes"]


def test_windows_tile_long_audio_without_drift():
    """Notes far apart in a long recording land at the right frame in every window."""
    rate = transcribe.SAMPLE_RATE
    score = Score(480)
    score.tempos.append(Tempo(0, 120))
    track = Track(program=0)
    times = [0.5, 3.3, 7.1, 12.9, 19.4]
    for t in times:
        track.notes.append(Note(int(t * 960), 400, 64, 100))
    score.tracks.append(track)
    samples = audio.synthesize(score, sample_rate=44100).mean(axis=1)
    from sonatina.audio.files import resample

    notes = transcribe.transcribe_audio(resample(samples, 44100, rate) * 3)
    found = sorted(start for start, _, pitch, _ in notes if pitch == 64)
    assert len(found) == len(times)
    assert np.abs(np.array(found) - times).max() < 0.03


def test_onset_f1_matches_one_to_one():
    ref = [(1.0, 60), (1.5, 62), (2.0, 64)]
    assert transcribe.onset_f1(ref, ref)["f1"] == 1.0
    assert transcribe.onset_f1(ref, [(t + 0.04, p) for t, p in ref])["f1"] == 1.0
    assert transcribe.onset_f1(ref, [(t + 0.06, p) for t, p in ref])["f1"] == 0.0
    assert transcribe.onset_f1(ref, [(t, p + 1) for t, p in ref])["f1"] == 0.0
    doubled = transcribe.onset_f1(ref, ref + [(1.01, 60)])  # one extra note cannot match twice
    assert doubled["matched"] == 3 and doubled["precision"] == 0.75 and doubled["recall"] == 1.0
    assert transcribe.onset_f1([], ref)["f1"] == 0.0


def test_unusable_recordings_are_refused(tmp_path):
    import soundfile as sf

    sf.write(tmp_path / "silence.wav", np.zeros((44100, 2), np.float32), 44100)
    with pytest.raises(BadInputError, match="silent"):
        transcribe.transcribe(tmp_path / "silence.wav", tmp_path / "x.mid")
    sf.write(tmp_path / "empty.wav", np.zeros((0, 1), np.float32), 44100)
    with pytest.raises(BadInputError, match="no audio"):
        transcribe.transcribe(tmp_path / "empty.wav", tmp_path / "x.mid")
    with pytest.raises(BadInputError, match="no audio file"):
        transcribe.transcribe(tmp_path / "missing.wav", tmp_path / "x.mid")
    with pytest.raises(BadInputError, match="must end in .mid"):
        transcribe.transcribe(tmp_path / "silence.wav", tmp_path / "x.wav")
    with pytest.raises(BadInputError, match="between 0 and 1"):
        transcribe.transcribe_audio(np.zeros(1000, np.float32), onset_threshold=1.5)


@pytest.mark.slow  # shares the session's tiny trained model (a few seconds of training)
def test_a_transcription_primes_composition(rendered, tiny_run, tmp_path):
    """What a user does with a recorded idea: transcribe it, then ask a model to continue it."""
    from sonatina import api

    _, wav = rendered
    primer = transcribe.transcribe(wav, tmp_path / "idea.mid", tempo=110)["path"]
    piece = api.compose(str(tiny_run), seconds=20, primer=primer, seed=1)[0]
    assert piece.settings["tempo"] == pytest.approx(110, abs=1)
    heard = [(t, p) for t, p in onsets(load_score(primer)) if t < 4.0]
    # The model's tokens sit on a grid, so the primer's onsets come back quantised (< 0.1 s).
    kept = transcribe.onset_f1(heard, onsets(piece.score), tolerance=0.1)
    assert len(heard) >= 5 and kept["recall"] >= 0.8, kept
