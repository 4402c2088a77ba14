"""Keys: parsing what users type, estimating a piece's key, and transposing between keys.

Key estimation uses the Krumhansl-Schmuckler algorithm: correlate the piece's
duration-weighted pitch-class histogram with the Krumhansl-Kessler major and minor
profiles (Krumhansl 1990, "Cognitive Foundations of Musical Pitch") in all 12 rotations.
"""

from __future__ import annotations

import re

import numpy as np

from sonatina.errors import UnknownOptionError
from sonatina.music.pitches import PITCH_CLASS_NAMES, pitch_class_name  # noqa: F401 (the web lists keys from it)

MODES = ("major", "minor")

_KK_MAJOR = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
_KK_MINOR = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])

_LETTER_PC = {"c": 0, "d": 2, "e": 4, "f": 5, "g": 7, "a": 9, "b": 11}
_KEY_RE = re.compile(r"^\s*([a-gA-G])\s*(#|b|sharp|flat|♯|♭)?\s*(major|minor|maj|min|m)?\s*$")


def parse_key(text: str) -> tuple[int, str]:
    """'D minor', 'F# major', 'Bb', 'c#m' -> (tonic pitch class, 'major'|'minor')."""
    match = _KEY_RE.match(text or "")
    if not match:
        raise UnknownOptionError(f"Unknown key '{text}'; write it like 'C major', 'D minor' or 'F# minor'.")
    letter, accidental, mode = match.groups()
    pc = _LETTER_PC[letter.lower()]
    if accidental in ("#", "sharp", "♯"):
        pc += 1
    elif accidental in ("b", "flat", "♭"):
        pc -= 1
    is_minor = mode in ("minor", "min", "m")
    return pc % 12, "minor" if is_minor else "major"


def key_name(tonic: int, mode: str) -> str:
    return f"{pitch_class_name(tonic)} {mode}"


def pitch_class_histogram(pitches: np.ndarray, durations: np.ndarray) -> np.ndarray:
    hist = np.zeros(12)
    np.add.at(hist, np.asarray(pitches, dtype=np.int64) % 12, np.asarray(durations, dtype=float))
    return hist


def estimate_key(pitches: np.ndarray, durations: np.ndarray) -> tuple[int, str]:
    """Most likely (tonic, mode) of notes given as pitch and duration arrays; C major if empty."""
    hist = pitch_class_histogram(pitches, durations)
    if hist.sum() == 0:
        return 0, "major"
    best = (-2.0, 0, "major")
    for mode, profile in (("major", _KK_MAJOR), ("minor", _KK_MINOR)):
        for tonic in range(12):
            r = np.corrcoef(hist, np.roll(profile, tonic))[0, 1]
            if np.isfinite(r) and r > best[0]:
                best = (r, tonic, mode)
    return best[1], best[2]


def shift_to(from_tonic: int, to_tonic: int) -> int:
    """Smallest transposition (-5..+6 semitones) that moves one tonic onto another."""
    d = (to_tonic - from_tonic) % 12
    return d - 12 if d > 6 else d
