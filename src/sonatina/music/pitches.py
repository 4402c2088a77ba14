"""Pitch-class names: the one list every label, key name and chord name uses.

Spelling follows common key signatures rather than one accidental throughout: C# and F# (as in
C# minor, F# major), Eb, Ab and Bb (as in Eb major, Bb major), so a key or chord reads the way a
musician writes it.
"""

PITCH_CLASS_NAMES = ["C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"]


# The same with one accidental throughout, for a key named as its signature is written
SHARP_NAMES = ["C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"]
FLAT_NAMES = ["C", "Db", "D", "Eb", "E", "F", "Gb", "G", "Ab", "A", "Bb", "B"]


def pitch_class_name(pitch: int) -> str:
    """Name of a pitch class, or of a MIDI pitch's class (60 -> "C")."""
    return PITCH_CLASS_NAMES[pitch % 12]
