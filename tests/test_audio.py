"""Rendering: real SoundFont synthesis, in tune, loudness-normalised, every format decodes."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from symusic import Note, Score, Tempo, Track

from helpers import make_score
from sonatina.audio import synth as audio
from sonatina.audio import files as audiofile
from sonatina.audio import loudness
from sonatina.audio import soundfonts
from sonatina.errors import BadInputError, SonatinaError, UnknownOptionError

HAS_FLUIDSYNTH = shutil.which("fluidsynth") is not None
FLUID_R3 = "/usr/share/sounds/sf2/FluidR3_GM.sf2"


def sixty_second_piece() -> Score:
    score = make_score(seed=3, bars=25, tempo=100.0)  # 25 bars of 4/4 at 100 BPM = 60 s
    assert score.to("second").end() == pytest.approx(60.0, abs=0.01)
    return score


def single_note(pitch: int, program: int = 0) -> Score:
    score = Score(480)
    score.tempos.append(Tempo(0, 120))
    track = Track(program=program)
    track.notes.append(Note(0, 960, pitch, 90))  # one second
    score.tracks.append(track)
    return score


def heard_transposition(samples: np.ndarray, pitch: int, sample_rate: int = 44100) -> int:
    """Semitones between the pitch asked for and the fundamental heard: the candidate whose
    first eight harmonics carry the most spectral energy (a harmonic sum)."""
    x = samples.mean(axis=1)[int(0.1 * sample_rate):int(0.7 * sample_rate)]
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    freqs = np.fft.rfftfreq(len(x), 1 / sample_rate)
    scores = {}
    for shift in range(-24, 25):
        f0 = 440 * 2 ** ((pitch + shift - 69) / 12)
        total = 0.0
        for h in range(1, 9):
            lo, hi = np.searchsorted(freqs, [h * f0 * 2 ** (-0.3 / 12), h * f0 * 2 ** (0.3 / 12)])
            if hi > lo:
                total += spectrum[lo:hi].max() * 0.85**h
        scores[shift] = total
    return max(scores, key=scores.get)


def check_audio_file(path, *, min_seconds: float, max_seconds: float) -> np.ndarray:
    data, rate = audiofile.load_audio(path)
    assert rate == 44100 and data.ndim == 2 and data.shape[1] == 2, "stereo 44.1 kHz"
    assert min_seconds <= len(data) / rate <= max_seconds
    assert loudness.peak_dbfs(data) <= -1.0, "no clipping: peak at most -1 dBFS"
    assert np.sqrt(np.mean(data**2)) > 0.01, "not silent"
    return data


@pytest.mark.parametrize("backend", [
    "symusic",
    pytest.param("fluidsynth", marks=pytest.mark.skipif(not HAS_FLUIDSYNTH, reason="FluidSynth is not installed")),
])
def test_sixty_seconds_become_an_mp3_of_sixty_seconds_plus_tail(tmp_path, backend):
    result = audio.render(sixty_second_piece(), tmp_path / "piece.mp3", backend=backend)
    assert result["music_seconds"] == pytest.approx(60.0, abs=0.01)
    assert 60.0 <= result["seconds"] <= 60.0 + audio.MAX_TAIL_SECONDS
    data = check_audio_file(result["path"], min_seconds=60.0, max_seconds=60.0 + audio.MAX_TAIL_SECONDS + 0.2)
    # The music is there from start to end: every 10 s stretch holds sound.
    for start in range(0, 60, 10):
        assert np.abs(data[start * 44100:(start + 10) * 44100]).max() > 0.05
    assert result["loudness_lufs"] <= loudness.TARGET_LUFS + 0.01


@pytest.mark.parametrize("suffix", [".wav", ".flac"])
def test_lossless_formats_hold_the_normalised_render(tmp_path, suffix):
    score = make_score(seed=1, bars=4)
    result = audio.render(score, tmp_path / f"piece{suffix}")
    info = sf.info(result["path"])
    assert info.format == suffix[1:].upper() and info.channels == 2 and info.samplerate == 44100
    data = check_audio_file(result["path"], min_seconds=score.to("second").end(), max_seconds=score.to("second").end() + 3.1)
    assert loudness.peak_dbfs(data) == pytest.approx(result["peak_dbfs"], abs=0.05)


def test_a_midi_file_path_renders_at_another_sample_rate(tmp_path):
    midi = tmp_path / "in.mid"
    make_score(seed=2, bars=2).dump_midi(str(midi))
    result = audio.render(midi, tmp_path / "out.wav", sample_rate=22050)
    assert sf.info(result["path"]).samplerate == 22050


@pytest.mark.parametrize("soundfont", [
    "timgm6mb",
    pytest.param(FLUID_R3, marks=pytest.mark.skipif(not Path(FLUID_R3).is_file(), reason="FluidR3_GM not installed")),
])
def test_symusic_plays_in_tune(soundfont):
    """symusic 0.5.x ignores root-key overrides and clamps coarse tuning; soundfonts.for_symusic
    must compensate, or piano notes come out up to two octaves off."""
    path = soundfonts.pretty_midi_soundfont() if soundfont == "timgm6mb" else soundfont
    cases = [(0, p) for p in (36, 48, 57, 60, 69, 72, 84)]  # piano across the keyboard
    if soundfont == FLUID_R3:
        cases += [(72, 72), (72, 84), (40, 67), (56, 60)]  # piccolo (coarse -12), violin, trumpet (coarse -4)
    for program, pitch in cases:
        samples = audio.synthesize(single_note(pitch, program), soundfont=path)
        assert heard_transposition(samples, pitch) == 0, f"program {program} pitch {pitch} is out of tune"


def test_root_key_fix_is_cached_and_leaves_the_original_alone():
    original = soundfonts.pretty_midi_soundfont()
    before = original.read_bytes()
    fixed = soundfonts.for_symusic(original)
    assert fixed != original and fixed.is_file()
    assert soundfonts.for_symusic(original) == fixed  # reused, not rewritten
    assert original.read_bytes() == before
    assert fixed.stat().st_size > len(before) // 2  # a whole SoundFont, sample data included


def test_soundfont_discovery(monkeypatch, tmp_path):
    monkeypatch.delenv("SONATINA_SOUNDFONT", raising=False)
    found = soundfonts.find_soundfonts()
    assert found and found[-1].name == "TimGM6mb.sf2", "the pretty_midi wheel's SoundFont is always there"
    monkeypatch.setenv("SONATINA_SOUNDFONT", str(found[-1]))
    assert soundfonts.default_soundfont() == found[-1]
    with pytest.raises(BadInputError, match="no SoundFont at"):
        soundfonts.resolve_soundfont(tmp_path / "missing.sf2")
    fake = tmp_path / "fake.sf2"
    fake.write_bytes(b"not a soundfont at all")
    with pytest.raises(SonatinaError):
        audio.render(make_score(bars=1), tmp_path / "x.wav", soundfont=fake)


def test_loudness_matches_the_standard():
    rate = 48000
    tone = np.sin(2 * np.pi * 997 * np.arange(5 * rate) / rate)
    # BS.1770: a 0 dBFS 997 Hz sine in one channel reads -3.01 LUFS; in both, 0 LUFS.
    assert loudness.integrated_loudness(tone, rate) == pytest.approx(-3.01, abs=0.02)
    assert loudness.integrated_loudness(np.stack([tone, tone], 1), rate) == pytest.approx(0.0, abs=0.02)
    assert loudness.integrated_loudness(np.zeros((rate, 2)), rate) == float("-inf")
    scaled, levels = loudness.normalise(np.stack([tone, tone], 1) * 0.01, rate)
    assert levels["loudness_lufs"] == pytest.approx(loudness.TARGET_LUFS, abs=0.05) or levels["peak_dbfs"] <= -1.0
    assert loudness.peak_dbfs(scaled) <= -1.0 + 1e-6


def test_bad_music_gets_one_clear_error(tmp_path):
    corrupt = tmp_path / "corrupt.mid"
    corrupt.write_bytes(b"MThd\x00\x00\x00\x06\x00\x01\x00\x02\x01\xe0MTrk\x00\x00\xff\xff garbage")
    with pytest.raises(BadInputError):
        audio.render(corrupt, tmp_path / "x.wav")
    empty = Score(480)
    empty.tracks.append(Track(program=0))
    with pytest.raises(BadInputError, match="no notes"):
        audio.render(empty, tmp_path / "x.wav")
    long = single_note(60)
    long.tracks[0].notes.append(Note(480 * 2 * 60 * 180, 480, 60, 80))  # a note three hours in
    with pytest.raises(BadInputError, match="limit is 20 minutes"):
        audio.render(long, tmp_path / "x.wav")
    with pytest.raises(UnknownOptionError, match=r"\.wav, \.flac or \.mp3"):
        audio.render(single_note(60), tmp_path / "x.ogg")
    with pytest.raises(UnknownOptionError, match="backend"):
        audio.render(single_note(60), tmp_path / "x.wav", backend="timidity")
    with pytest.raises(UnknownOptionError, match="MP3 cannot hold"):
        audio.render(single_note(60), tmp_path / "x.mp3", sample_rate=96000)


def test_fluidsynth_missing_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setattr(audio.shutil, "which", lambda name: None)
    with pytest.raises(SonatinaError, match="FluidSynth"):
        audio.render(single_note(60), tmp_path / "x.wav", backend="fluidsynth")


def test_damaged_audio_files_are_refused(tmp_path):
    rate = 44100
    noise = (np.random.default_rng(0).standard_normal((rate * 4, 2)) * 0.1).astype(np.float32)
    mp3 = audiofile.write_audio(noise, rate, tmp_path / "full.mp3")["path"]
    data = open(mp3, "rb").read()
    assert len(audiofile.load_audio(mp3)[0]) >= rate * 4
    (tmp_path / "cut.mp3").write_bytes(data[:len(data) * 2 // 3 + 7])
    with pytest.raises(BadInputError, match="truncated"):
        audiofile.load_audio(tmp_path / "cut.mp3")
    wav = audiofile.write_audio(noise, rate, tmp_path / "full.wav")["path"]
    (tmp_path / "cut.wav").write_bytes(open(wav, "rb").read()[:100_000])
    with pytest.raises(BadInputError, match="truncated"):
        audiofile.load_audio(tmp_path / "cut.wav")
    sf.write(tmp_path / "empty.wav", np.zeros((0, 2), np.float32), rate)
    with pytest.raises(BadInputError, match="no audio"):
        audiofile.load_audio(tmp_path / "empty.wav")
    (tmp_path / "zero.mp3").write_bytes(b"")
    with pytest.raises(BadInputError, match="empty"):
        audiofile.load_audio(tmp_path / "zero.mp3")
    (tmp_path / "junk.flac").write_bytes(b"this is not audio" * 100)
    with pytest.raises(BadInputError, match="not readable audio"):
        audiofile.load_audio(tmp_path / "junk.flac")


def test_three_hour_recording_is_refused_before_decoding(tmp_path):
    # Three hours of 8-bit mono at 1 kHz keeps the file small (11 MB) but the duration real.
    path = tmp_path / "three_hours.wav"
    sf.write(path, np.zeros(3 * 3600 * 1000, np.float32), 1000, subtype="PCM_U8")
    with pytest.raises(BadInputError, match="lasts 180 minutes; the limit is 20 minutes"):
        audiofile.load_audio(path)


@pytest.mark.slow  # uses the session's tiny trained model
def test_a_generated_minute_becomes_an_mp3(tiny_run, tmp_path):
    from sonatina import api

    piece = api.compose(str(tiny_run), seconds=60, seed=7)[0]
    result = audio.render(piece.score, tmp_path / "generated.mp3")
    assert result["music_seconds"] >= 59.0
    check_audio_file(result["path"], min_seconds=result["music_seconds"], max_seconds=result["music_seconds"] + 3.2)
