"""The one place that knows the vocabulary: tokenizer settings, score preparation, encode/decode.

Pieces are reduced to what the model learns: every pitched note of every non-drum track on one
stream, transposed so its tonic is C (the key and mode are remembered as conditioning), tokenized
with MidiTok's REMI (Bar, Position, Pitch, Velocity, Duration). Instrument, tempo and key are
chosen at generation time, so they are not tokens.
"""

from __future__ import annotations

import importlib.abc
import sys
from dataclasses import dataclass
from importlib.metadata import version as _package_version

import numpy as np
from symusic import Score, Tempo, Track

from sonatina.music.keys import estimate_key, shift_to
from sonatina.music.metre import source_metre


class _SkipMiditokTorch(importlib.abc.MetaPathFinder):
    """miditok's __init__ imports its PyTorch datasets when torch is installed (about 1.5 s),
    inside `try: ... except ImportError`. Sonatina never uses them, and composing must not pay
    for torch, so that one submodule reads as missing while miditok loads. Nothing is left
    in sys.modules for it: code that wants it can still `import miditok.pytorch_data` later."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname == "miditok.pytorch_data":
            raise ImportError("skipped by sonatina: not needed to tokenize", name=fullname)
        return None


def _import_miditok():
    if "miditok" in sys.modules or "torch" in sys.modules:  # nothing to save
        import miditok
        return miditok
    finder = _SkipMiditokTorch()
    sys.meta_path.insert(0, finder)
    try:
        import miditok
    finally:
        sys.meta_path.remove(finder)
    return miditok


miditok = _import_miditok()

# Saved into every checkpoint; build_tokenizer(settings) rebuilds the exact vocabulary.
DEFAULT_SETTINGS = {
    "kind": "REMI",
    "pitch_range": [21, 109],
    "beat_res": [[0, 4, 8], [4, 12, 4]],  # positions per beat for durations up to 4 / 12 beats
    "num_velocities": 16,
    "miditok_version": _package_version("miditok"),
}
BEATS_PER_BAR = 4  # REMI without time-signature tokens assumes 4/4 bars
DEFAULT_TEMPO = 120.0


def build_tokenizer(settings: dict | None = None) -> miditok.REMI:
    s = {**DEFAULT_SETTINGS, **(settings or {})}
    config = miditok.TokenizerConfig(
        pitch_range=tuple(s["pitch_range"]),
        beat_res={(a, b): r for a, b, r in s["beat_res"]},
        num_velocities=s["num_velocities"],
        use_velocities=True,
        use_tempos=False,
        use_programs=False,
        use_time_signatures=False,
        special_tokens=["PAD", "BOS", "EOS"],
    )
    return miditok.REMI(config)


@dataclass
class PreparedPiece:
    score: Score  # one track, tonic moved to C
    tonic: int  # original tonic pitch class
    mode: str  # "major" | "minor"
    tempo: float  # first tempo in quarter notes per minute
    notes: int
    metre: str | None = None  # the original's metres when not 4/4 (music.metre.source_metre)


def prepare_score(score: Score, pitch_range=(21, 109)) -> PreparedPiece:
    """Merge pitched tracks into one, move the tonic to C, keep notes inside the pitch range."""
    notes = [n for t in score.tracks if not t.is_drum for n in t.notes]
    pitches = np.array([n.pitch for n in notes], dtype=np.int64)
    durations = np.array([max(n.duration, 1) for n in notes], dtype=float)
    tonic, mode = estimate_key(pitches, durations)
    shift = shift_to(tonic, 0)
    merged = Track(name="music", program=0)
    for n in notes:
        pitch = n.pitch + shift
        if pitch_range[0] <= pitch < pitch_range[1]:
            m = n.copy()
            m.pitch = pitch
            merged.notes.append(m)
    merged.notes.sort(key=lambda n: (n.time, n.pitch))
    out = Score(score.ticks_per_quarter)
    out.time_signatures = score.time_signatures
    out.tracks.append(merged)
    tempo = float(score.tempos[0].qpm) if len(score.tempos) else DEFAULT_TEMPO
    return PreparedPiece(out, tonic, mode, tempo, len(merged.notes), source_metre(score))


def encode(tokenizer: miditok.REMI, prepared: Score) -> np.ndarray:
    """Token ids of a prepared (single-track) score, without BOS/EOS."""
    seqs = tokenizer.encode(prepared)
    seq = seqs[0] if isinstance(seqs, list) else seqs
    return np.asarray(seq.ids, dtype=np.int32)


def decode(tokenizer: miditok.REMI, ids, tempo: float, program: int) -> Score:
    """Token ids (specials are ignored) -> a one-track Score at `tempo`, 480 ticks per quarter."""
    specials = {tokenizer.vocab[t] for t in ("PAD_None", "BOS_None", "EOS_None")}
    body = [int(i) for i in ids if int(i) not in specials]
    score = tokenizer.decode([body]) if body else Score(tokenizer.time_division)
    score = score.resample(480)
    score.tempos = [Tempo(0, qpm=float(tempo))]
    if not score.tracks:
        score.tracks.append(Track(program=program))
    for track in score.tracks:
        track.program = program
        track.is_drum = False
        track.name = "Sonatina"
    return score


class Vocabulary:
    """Ids of each token family, for counting notes and for the sampler's grammar.

    Everything is read from the tokenizer itself, so a checkpoint made with other settings
    (another beat resolution, say) gets its own positions per beat."""

    def __init__(self, tokenizer: miditok.REMI):
        vocab = tokenizer.vocab
        self.size = len(vocab)
        self.pad, self.bos, self.eos = vocab["PAD_None"], vocab["BOS_None"], vocab["EOS_None"]
        self.bar = vocab["Bar_None"]
        self.kind = np.empty(self.size, dtype=object)
        self.positions_per_beat = max(tokenizer.config.beat_res.values())
        self.position_of = np.full(self.size, -1, dtype=np.int64)  # Position_k -> k
        self.length_of = np.zeros(self.size, dtype=np.int64)  # Duration_beats.ticks.resolution -> positions
        self.pitch_of = np.full(self.size, -1, dtype=np.int64)  # Pitch_p -> p
        for token, i in vocab.items():
            kind, _, value = token.partition("_")
            self.kind[i] = kind
            if kind == "Position":
                self.position_of[i] = int(value)
            elif kind == "Pitch":
                self.pitch_of[i] = int(value)
            elif kind == "Duration":
                beats, ticks, resolution = (int(v) for v in value.split("."))
                self.length_of[i] = round((beats + ticks / resolution) * self.positions_per_beat)
        self.pitch_ids = np.flatnonzero(self.kind == "Pitch")

    def count_notes(self, ids: np.ndarray) -> int:
        return int(np.isin(ids, self.pitch_ids).sum())
