"""Audio -> MIDI with Spotify's basic-pitch network (ICASSP 2022), run by onnxruntime.

Only the network comes from basic-pitch: `nmp.onnx` inside the basic-pitch 0.4.0 wheel, which
`make install` puts in the venv with `pip install --no-deps` (its declared TensorFlow is never
needed). Loading, windowing and turning activations into notes are done here.

The network takes 2 s windows of 22.05 kHz mono audio (43,844 samples) and gives, per
256-sample frame (86.1 frames/s) and per piano key (A0..C8), three activations in 0..1:
"note" (the key sounds), "onset" (it starts now) and a finer pitch contour we do not use.
A window's outer frames lack context, so windows overlap and only their middle frames are
kept; the step between windows is a whole number of frames, so kept frames tile one grid.
"""

from __future__ import annotations

import functools
import importlib.util
import math
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import symusic

from sonatina.audio.files import load_audio
from sonatina.errors import BadInputError, SonatinaError

SAMPLE_RATE = 22050
HOP = 256  # audio samples per output frame
WINDOW = 2 * SAMPLE_RATE - HOP  # model input length in samples
FRAMES_PER_WINDOW = 172
MARGIN = 15  # frames dropped at each window edge
KEPT = FRAMES_PER_WINDOW - 2 * MARGIN
STEP = KEPT * HOP  # samples between window starts
FRAME_S = HOP / SAMPLE_RATE
LOWEST_KEY = 21  # MIDI pitch of the first of the 88 bins (A0)
BATCH = 16  # windows per inference call
# Frames a note may dip below frame_threshold (tremolo, beating partials) and still continue.
GAP_FRAMES = 11
SILENCE_DBFS = -70.0
# Defaults chosen on rendered MAESTRO piano (bench/bench_audio.py) and rendered melodies
# (tests): onset threshold 0.5 / 0.6 / 0.7 gave onset F1 0.82 / 0.88 / 0.90 on the piano, with
# precision rising and recall falling; lower thresholds mostly add echoes at note releases.
# Notes shorter than ~60 ms (5 frames) are mostly artefacts. Notes without an onset
# ("sustained_notes") add octave ghosts on piano, so they are opt-in (for swelling voices).
ONSET_THRESHOLD = 0.7
FRAME_THRESHOLD = 0.3
MIN_NOTE_MS = 60.0


@functools.lru_cache(maxsize=1)
def _session():
    import onnxruntime as ort

    spec = importlib.util.find_spec("basic_pitch")
    model = None
    if spec is not None and spec.submodule_search_locations:
        model = Path(list(spec.submodule_search_locations)[0]) / "saved_models" / "icassp_2022" / "nmp.onnx"
    if model is None or not model.is_file():
        raise SonatinaError("The transcription model is missing: run `make install` "
                            "(or `pip install --no-deps basic-pitch==0.4.0`).")
    options = ort.SessionOptions()
    options.log_severity_level = 3  # its shape-inference warnings mean nothing to users
    return ort.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])


def activations(audio: np.ndarray, progress: Callable[[float], None] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Run the network over 22.05 kHz mono audio: (note, onset) activations, each (frames, 88)."""
    session = _session()
    n_frames = max(1, math.ceil(len(audio) / HOP))
    n_windows = math.ceil(n_frames / KEPT)
    # MARGIN frames of silence in front put the first kept frame of window 0 at time 0.
    padded = np.zeros((n_windows - 1) * STEP + WINDOW, dtype=np.float32)
    padded[MARGIN * HOP:MARGIN * HOP + len(audio)] = audio
    windows = np.lib.stride_tricks.sliding_window_view(padded, WINDOW)[::STEP][:n_windows]
    inputs = session.get_inputs()[0].name
    # The export names outputs by index: ":1" is note (frame) activation, ":2" onset, ":0" contour.
    names = ["StatefulPartitionedCall:1", "StatefulPartitionedCall:2"]
    if not set(names) <= {o.name for o in session.get_outputs()}:
        raise SonatinaError("The transcription model file is not the basic-pitch model Sonatina expects.")
    note_parts, onset_parts = [], []
    for start in range(0, n_windows, BATCH):
        batch = np.ascontiguousarray(windows[start:start + BATCH])[..., None]
        note, onset = session.run(names, {inputs: batch})
        note_parts.append(note[:, MARGIN:MARGIN + KEPT].reshape(-1, 88))
        onset_parts.append(onset[:, MARGIN:MARGIN + KEPT].reshape(-1, 88))
        if progress:
            progress(min(1.0, (start + BATCH) / n_windows))
    return np.concatenate(note_parts)[:n_frames], np.concatenate(onset_parts)[:n_frames]


def _runs(active: np.ndarray) -> list[tuple[int, int]]:
    """(start, end) index pairs of the True runs in a 1-D boolean array."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], active.astype(np.int8), [0]])))
    return list(zip(edges[::2].tolist(), edges[1::2].tolist()))


def notes_from_activations(note: np.ndarray, onset: np.ndarray, *, onset_threshold: float = ONSET_THRESHOLD,
                           frame_threshold: float = FRAME_THRESHOLD, min_frames: int = 5,
                           sustained_notes: bool = False) -> list[tuple[int, int, int, float]]:
    """Decode activations into notes (start_frame, end_frame, pitch, strength 0..1).

    Per key, a note starts at each local peak of the onset activation above onset_threshold
    and lasts while the note activation stays above frame_threshold (allowing dips of up to
    GAP_FRAMES), ending at the latest where the next onset of that key begins. With
    sustained_notes, long stretches of note activation that no onset explains (a sung or
    bowed note that swells in) become notes too. Notes shorter than min_frames are dropped.
    """
    n_frames = len(note)
    before = np.vstack([np.zeros((1, 88)), onset[:-1]])
    after = np.vstack([onset[1:], np.zeros((1, 88))])
    peaks = (onset >= onset_threshold) & (onset > before) & (onset >= after)
    covered = np.zeros_like(note, dtype=bool)
    notes = []
    for key in range(88):
        starts = np.flatnonzero(peaks[:, key])
        # Sounding frames with short dips bridged: a dip shorter than GAP_FRAMES is not an end.
        sounding = note[:, key] >= frame_threshold
        for lo, hi in _runs(~sounding):
            if 0 < lo and hi < n_frames and hi - lo < GAP_FRAMES:
                sounding[lo:hi] = True
        for i, start in enumerate(starts):
            limit = starts[i + 1] if i + 1 < len(starts) else n_frames
            end = start + 1
            while end < limit and sounding[end]:
                end += 1
            if end - start >= min_frames:
                notes.append((int(start), int(end), key + LOWEST_KEY, float(note[start:end, key].mean())))
                covered[start:end, max(0, key - 1):key + 2] = True  # a neighbour key is a harmonic smear
        if sustained_notes:
            free = (note[:, key] >= frame_threshold) & ~covered[:, key]
            for lo, hi in _runs(free):
                if hi - lo >= max(min_frames, 2 * GAP_FRAMES):
                    notes.append((lo, hi, key + LOWEST_KEY, float(note[lo:hi, key].mean())))
    notes.sort()
    return notes


def transcribe_audio(audio: np.ndarray, *, onset_threshold: float = ONSET_THRESHOLD, frame_threshold: float = FRAME_THRESHOLD,
                     min_note_ms: float = MIN_NOTE_MS, sustained_notes: bool = False,
                     progress: Callable[[float], None] | None = None) -> list[tuple[float, float, int, int]]:
    """Notes (start_s, end_s, pitch, velocity) heard in 22.05 kHz mono float audio."""
    for name, value in (("onset_threshold", onset_threshold), ("frame_threshold", frame_threshold)):
        if not 0.0 < value < 1.0:
            raise BadInputError(f"{name} must be between 0 and 1 (exclusive), not {value}.")
    if not 0 <= min_note_ms <= 5000:
        raise BadInputError(f"The minimum note length must be between 0 and 5000 ms, not {min_note_ms}.")
    note, onset = activations(audio, progress)
    found = notes_from_activations(note, onset, onset_threshold=onset_threshold, frame_threshold=frame_threshold,
                                   min_frames=max(1, round(min_note_ms / 1000 / FRAME_S)),
                                   sustained_notes=sustained_notes)
    # Frame k is heard at k * FRAME_S: onsets of rendered piano land within +1..3 ms (median)
    # of the MIDI they came from, so no latency correction is needed.
    return [(s * FRAME_S, e * FRAME_S, pitch,
             int(np.clip(round(strength * 127), 1, 127))) for s, e, pitch, strength in found]


def notes_to_score(notes: list[tuple[float, float, int, int]], *, tempo: float = 120.0, program: int = 0,
                   ticks_per_quarter: int = 480) -> symusic.Score:
    """A one-track Score holding notes given in seconds, written at the given tempo."""
    score = symusic.Score(ticks_per_quarter)
    score.tempos.append(symusic.Tempo(0, tempo))
    track = symusic.Track(name="Transcription", program=program)
    ticks_per_s = tempo / 60.0 * ticks_per_quarter
    for start, end, pitch, velocity in notes:
        t0 = round(start * ticks_per_s)
        track.notes.append(symusic.Note(t0, max(1, round(end * ticks_per_s) - t0), pitch, velocity))
    score.tracks.append(track)
    return score


def transcribe(audio_path: str | Path, out_mid_path: str | Path, *, tempo: float = 120.0,
               min_note_ms: float = MIN_NOTE_MS, onset_threshold: float = ONSET_THRESHOLD, frame_threshold: float = FRAME_THRESHOLD,
               program: int = 0, sustained_notes: bool = False,
               progress: Callable[[float], None] | None = None) -> dict:
    """Transcribe a recording (WAV, FLAC, OGG, MP3) into a MIDI file usable as a primer.

    tempo only sets the MIDI file's tempo (notes keep their times in seconds); min_note_ms
    drops shorter notes; the thresholds trade missed notes (higher) for extra ones (lower).
    Returns {"path", "notes", "audio_seconds", "music_seconds", "tempo", "lowest", "highest", "transcribe_s"}.
    """
    out_mid_path = Path(out_mid_path)
    if out_mid_path.suffix.lower() not in (".mid", ".midi"):
        raise BadInputError(f"The output '{out_mid_path.name}' must end in .mid or .midi.")
    if not 20 <= tempo <= 400:
        raise BadInputError(f"The tempo must be between 20 and 400 BPM, not {tempo}.")
    if not 0 <= program <= 127:
        raise BadInputError(f"The instrument program must be a General MIDI number 0-127, not {program}.")
    start = time.perf_counter()
    audio, _ = load_audio(audio_path, sample_rate=SAMPLE_RATE, mono=True)
    peak = float(np.max(np.abs(audio)))
    if peak <= 10 ** (SILENCE_DBFS / 20):
        raise BadInputError(f"'{Path(audio_path).name}' is silent: there is nothing to transcribe.")
    # The network was trained on normally levelled audio; bring quiet takes up to a -1 dBFS peak.
    audio = audio * (10 ** (-1 / 20) / peak)
    notes = transcribe_audio(audio, onset_threshold=onset_threshold, frame_threshold=frame_threshold,
                             min_note_ms=min_note_ms, sustained_notes=sustained_notes, progress=progress)
    if not notes:
        raise BadInputError(f"No notes were heard in '{Path(audio_path).name}' (try lower thresholds).")
    score = notes_to_score(notes, tempo=tempo, program=program)
    out_mid_path.parent.mkdir(parents=True, exist_ok=True)
    out_mid_path.write_bytes(bytes(score.dumps_midi()))  # a path the system refuses: an OSError naming it
    return {
        "path": str(out_mid_path),
        "notes": len(notes),
        "audio_seconds": round(len(audio) / SAMPLE_RATE, 3),
        "music_seconds": round(max(end for _, end, _, _ in notes), 3),
        "tempo": tempo,
        "lowest": min(pitch for _, _, pitch, _ in notes),
        "highest": max(pitch for _, _, pitch, _ in notes),
        "transcribe_s": round(time.perf_counter() - start, 3),
    }


def onset_f1(reference: list[tuple[float, int]], estimate: list[tuple[float, int]],
             tolerance: float = 0.05) -> dict:
    """Note-onset precision, recall and F1 (the MIREX / mir_eval "onset only" note measure).

    reference and estimate are (onset_seconds, pitch) pairs; a pair matches when pitches are
    equal and onsets lie within tolerance; each note matches at most once. Per pitch, on a
    time line, taking the earliest compatible partner is a maximum matching.
    """
    by_pitch: dict[int, tuple[list[float], list[float]]] = {}
    for onset, pitch in reference:
        by_pitch.setdefault(pitch, ([], []))[0].append(onset)
    for onset, pitch in estimate:
        by_pitch.setdefault(pitch, ([], []))[1].append(onset)
    matched = 0
    for ref, est in by_pitch.values():
        ref.sort()
        est.sort()
        i = j = 0
        while i < len(ref) and j < len(est):
            if abs(ref[i] - est[j]) <= tolerance:
                matched, i, j = matched + 1, i + 1, j + 1
            elif ref[i] < est[j]:
                i += 1
            else:
                j += 1
    precision = matched / len(estimate) if estimate else 0.0
    recall = matched / len(reference) if reference else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4), "matched": matched}
