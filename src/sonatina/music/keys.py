"""Keys: parsing what users type, estimating a piece's key, and transposing between keys.

Key estimation uses the Krumhansl-Schmuckler algorithm: correlate the piece's
duration-weighted pitch-class histogram with the Krumhansl-Kessler major and minor
profiles (Krumhansl 1990, "Cognitive Foundations of Musical Pitch") in all 12 rotations.
"""

from __future__ import annotations

import re

import numpy as np

from sonatina.errors import UnknownOptionError
from sonatina.music.pitches import FLAT_NAMES, PITCH_CLASS_NAMES, SHARP_NAMES  # noqa: F401 (the web lists keys from PITCH_CLASS_NAMES)

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


_LETTER_FIFTHS = {"c": 0, "g": 1, "d": 2, "a": 3, "e": 4, "b": 5, "f": -1}  # major keys' sharps (- flats)
_STANDARD_FIFTHS = {0: 0, 7: 1, 2: 2, 9: 3, 4: 4, 11: 5, 6: 6, 5: -1, 10: -2, 3: -3, 8: -4, 1: -5}  # by major tonic


def _spelled_tonic(text: str | None) -> tuple[str, int] | None:
    """('Gb', -1) for 'gb major', ('F#', 1) for 'F sharp minor': the tonic as a user wrote it."""
    match = _KEY_RE.match(text or "")
    if not match:
        return None
    letter, accidental = match.group(1).upper(), match.group(2)
    alter = 1 if accidental in ("#", "sharp", "♯") else -1 if accidental in ("b", "flat", "♭") else 0
    return letter + {1: "#", -1: "b", 0: ""}[alter], alter


def _fifths_as_spelled(tonic: int, mode: str, spelled: str | None) -> int | None:
    """Accidentals of the key signature of (tonic, mode) with its tonic spelled as in `spelled`,
    or None when `spelled` names another tonic or would need more than seven (G# major, Fb major)."""
    tonic_spelling = _spelled_tonic(spelled)
    if tonic_spelling is None or parse_key(spelled)[0] != tonic % 12:
        return None
    name, alter = tonic_spelling
    fifths = _LETTER_FIFTHS[name[0].lower()] + 7 * alter - (3 if mode == "minor" else 0)
    return fifths if -7 <= fifths <= 7 else None


def key_name(tonic: int, mode: str, spelled: str | None = None) -> str:
    """'F# major'; with `spelled` (the key as a user wrote it, say 'Gb major') its tonic keeps the
    user's spelling when it is this tonic and a real key signature spells it ('Gb major')."""
    if _fifths_as_spelled(tonic, mode, spelled) is not None:
        return f"{_spelled_tonic(spelled)[0]} {mode}"
    # otherwise spelled as its written signature spells it (Db major's five flats, D# minor's six sharps)
    names = FLAT_NAMES if key_fifths(tonic, mode) < 0 else SHARP_NAMES
    return f"{names[tonic % 12]} {mode}"


def key_fifths(tonic: int, mode: str, spelled: str | None = None) -> int:
    """Sharps (positive) or flats (negative) of the key signature, -7..7, as MIDI's key-signature
    event counts them; spelled as key_name spells the key."""
    as_spelled = _fifths_as_spelled(tonic, mode, spelled)
    if as_spelled is not None:
        return as_spelled
    return _STANDARD_FIFTHS[(tonic + 3) % 12 if mode == "minor" else tonic % 12]


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
