"""Render music to audio with a SoundFont: MIDI or a symusic Score in, WAV/FLAC/MP3 out.

Two synthesizers:
- "symusic" (default): symusic's built-in SoundFont synthesizer, in-process, ~100-1000x real
  time on two cores. symusic 0.6.0's render raises TypeError, hence the <0.6 pin; 0.5.x
  ignores SoundFont root-key overrides, which soundfonts.for_symusic() works around.
- "fluidsynth": the FluidSynth program (Debian package `fluidsynth`), via its fast file
  renderer; adds FluidSynth's reverb and chorus. Optional: a clear error when it is absent.

Every render is trimmed to the music plus its release tail and normalised with a plain gain
to -16 LUFS, lowered where needed to keep the peak at or under -1 dBFS (see loudness.py).
"""

from __future__ import annotations

import math
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf
import symusic

from sonatina.audio import files as audiofile
from sonatina.audio import loudness
from sonatina.audio import soundfonts
from sonatina.audio.files import MAX_AUDIO_SECONDS, load_audio  # noqa: F401  (re-exported for callers)
from sonatina.data.corpus import load_score
from sonatina.errors import BadInputError, SonatinaError, UnknownOptionError
from sonatina.audio.soundfonts import default_soundfont, find_soundfonts, resolve_soundfont  # noqa: F401

BACKENDS = ("symusic", "fluidsynth")
# Music longer than this is refused (same cap as audio input): 20 minutes of 44.1 kHz stereo
# is ~400 MB of float samples while rendering.
MAX_MUSIC_SECONDS = MAX_AUDIO_SECONDS
# Release tails (piano decay, reverb) rarely ring audibly for longer than this after the last note-off.
MAX_TAIL_SECONDS = 3.0
# The tail ends where the sound has decayed this far below the piece's peak.
TAIL_FLOOR_DB = -60.0


def read_music(source: str | Path | symusic.Score) -> symusic.Score:
    """A symusic Score from a Score or a music file (MIDI, MusicXML, ABC), checked to hold
    notes and to fit the length cap."""
    if isinstance(source, symusic.Score):
        score, name = source, "The piece"
    else:
        score, name = load_score(source), f"'{Path(source).name}'"
    if sum(len(track.notes) for track in score.tracks) == 0:
        raise BadInputError(f"{name} has no notes to render.")
    seconds = score.to("second").end()
    if seconds > MAX_MUSIC_SECONDS:
        raise BadInputError(f"{name} lasts {seconds / 60:.0f} minutes; the limit is {MAX_MUSIC_SECONDS / 60:.0f} minutes.")
    return score


def synthesize(score: symusic.Score, *, backend: str = "symusic", soundfont: str | Path | None = None,
               sample_rate: int = 44100) -> np.ndarray:
    """Raw stereo float32 audio (frames, 2) of a Score, before trimming and normalisation."""
    if backend not in BACKENDS:
        raise UnknownOptionError(f"Unknown render backend '{backend}'; choose one of: {', '.join(BACKENDS)}.")
    sf_path = resolve_soundfont(soundfont)
    if backend == "symusic":
        try:
            synth = symusic.Synthesizer(str(soundfonts.for_symusic(sf_path)), sample_rate)
            samples = np.asarray(synth.render(score, stereo=True), dtype=np.float32).T
        except Exception as exc:  # a damaged SoundFont surfaces here as a RuntimeError
            raise BadInputError(f"symusic could not render with the SoundFont '{sf_path.name}' (is it a valid SoundFont?).") from exc
    else:
        samples = _fluidsynth(score, sf_path, sample_rate)
    if samples.ndim != 2 or samples.shape[1] != 2:
        samples = np.repeat(samples.reshape(-1, 1), 2, axis=1)
    return np.nan_to_num(samples)


def _fluidsynth(score: symusic.Score, sf_path: Path, sample_rate: int) -> np.ndarray:
    exe = shutil.which("fluidsynth")
    if exe is None:
        raise SonatinaError("The fluidsynth backend needs the FluidSynth program, which is not installed "
                            "(Debian: apt-get install fluidsynth); use --backend symusic instead.")
    with tempfile.TemporaryDirectory(prefix="sonatina-fs-") as tmp:
        midi, wav = Path(tmp) / "in.mid", Path(tmp) / "out.wav"
        score.dump_midi(str(midi))  # a clean re-written file: FluidSynth skips what it cannot parse
        # -ni: no shell, no MIDI input; -F: render as fast as possible to a file; float samples
        # so nothing clips before we normalise.
        cmd = [exe, "-ni", "-q", "-g", "1.0", "-r", str(sample_rate), "-O", "float", "-T", "wav",
               "-F", str(wav), str(sf_path), str(midi)]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
        if proc.returncode != 0 or not wav.is_file() or wav.stat().st_size <= 44:
            detail = (proc.stderr or proc.stdout).strip().splitlines()
            raise SonatinaError(f"FluidSynth failed to render ({detail[-1] if detail else 'no output'}).")
        samples, _ = sf.read(str(wav), dtype="float32", always_2d=True)
    return samples


def trim_tail(samples: np.ndarray, sample_rate: int, music_seconds: float) -> np.ndarray:
    """Keep the music plus its release tail: up to where the sound decays TAIL_FLOOR_DB below its
    peak, at most MAX_TAIL_SECONDS after the last note ends; pad with silence if the synth stopped early."""
    end_of_music = int(math.ceil(music_seconds * sample_rate))
    peak = max(float(samples.max()), -float(samples.min())) if samples.size else 0.0
    cutoff = end_of_music
    tail = np.abs(samples[end_of_music:end_of_music + int(MAX_TAIL_SECONDS * sample_rate)]).max(axis=1)
    loud = np.flatnonzero(tail > peak * 10 ** (TAIL_FLOOR_DB / 20))
    if peak > 0 and loud.size:
        cutoff = end_of_music + int(loud[-1]) + 1
    if cutoff > len(samples):
        samples = np.concatenate([samples, np.zeros((cutoff - len(samples), samples.shape[1]), np.float32)])
    return samples[:cutoff]


def render(source: str | Path | symusic.Score, out_path: str | Path, *, backend: str = "symusic",
           soundfont: str | Path | None = None, sample_rate: int = 44100) -> dict:
    """Render a MIDI file or Score to out_path (.wav, .flac or .mp3), stereo, normalised.

    Returns {"path", "format", "seconds", "music_seconds", "sample_rate", "channels", "backend",
    "soundfont", "peak_dbfs", "loudness_lufs", "gain_db", "bytes", "render_s", "encode_s"}.
    """
    fmt = audiofile.output_format(out_path)  # refuse a bad name before any work
    audiofile.check_sample_rate(sample_rate, fmt)
    score = read_music(source)
    sf_path = resolve_soundfont(soundfont)
    start = time.perf_counter()
    samples = synthesize(score, backend=backend, soundfont=sf_path, sample_rate=sample_rate)
    music_seconds = float(score.to("second").end())
    samples = trim_tail(samples, sample_rate, music_seconds)
    if not np.any(samples):
        raise BadInputError("The piece rendered to silence: its instruments may be missing from the SoundFont.")
    # MP3 encoding overshoots sample peaks a little (its filters ring); leave it headroom.
    ceiling = loudness.PEAK_CEILING_DBFS - (0.5 if fmt == "MP3" else 0.0)
    samples, levels = loudness.normalise(samples, sample_rate, ceiling_dbfs=ceiling)
    render_s = time.perf_counter() - start
    written = audiofile.write_audio(samples, sample_rate, out_path)
    return {
        **written,
        "seconds": round(len(samples) / sample_rate, 3),
        "music_seconds": round(music_seconds, 3),
        "sample_rate": sample_rate,
        "channels": samples.shape[1],
        "backend": backend,
        "soundfont": str(sf_path),
        **levels,
        "render_s": round(render_s, 3),
    }
