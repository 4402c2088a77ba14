"""General MIDI instruments: names, aliases and the one resolver everything uses.

This list is the only copy: the in-browser player's instrument menu is built from it
(`python -m sonatina.music.instruments` prints it as JSON for frontend/build.mjs).
"""

from __future__ import annotations

import json

from sonatina.errors import UnknownOptionError

# The 128 General MIDI Level 1 melodic programs, in program order (0-based).
GM_PROGRAM_NAMES = [
    "Acoustic Grand Piano", "Bright Acoustic Piano", "Electric Grand Piano", "Honky-tonk Piano",
    "Electric Piano 1", "Electric Piano 2", "Harpsichord", "Clavinet",
    "Celesta", "Glockenspiel", "Music Box", "Vibraphone",
    "Marimba", "Xylophone", "Tubular Bells", "Dulcimer",
    "Drawbar Organ", "Percussive Organ", "Rock Organ", "Church Organ",
    "Reed Organ", "Accordion", "Harmonica", "Tango Accordion",
    "Acoustic Guitar (nylon)", "Acoustic Guitar (steel)", "Electric Guitar (jazz)", "Electric Guitar (clean)",
    "Electric Guitar (muted)", "Overdriven Guitar", "Distortion Guitar", "Guitar Harmonics",
    "Acoustic Bass", "Electric Bass (finger)", "Electric Bass (pick)", "Fretless Bass",
    "Slap Bass 1", "Slap Bass 2", "Synth Bass 1", "Synth Bass 2",
    "Violin", "Viola", "Cello", "Contrabass",
    "Tremolo Strings", "Pizzicato Strings", "Orchestral Harp", "Timpani",
    "String Ensemble 1", "String Ensemble 2", "Synth Strings 1", "Synth Strings 2",
    "Choir Aahs", "Voice Oohs", "Synth Choir", "Orchestra Hit",
    "Trumpet", "Trombone", "Tuba", "Muted Trumpet",
    "French Horn", "Brass Section", "Synth Brass 1", "Synth Brass 2",
    "Soprano Sax", "Alto Sax", "Tenor Sax", "Baritone Sax",
    "Oboe", "English Horn", "Bassoon", "Clarinet",
    "Piccolo", "Flute", "Recorder", "Pan Flute",
    "Blown Bottle", "Shakuhachi", "Whistle", "Ocarina",
    "Lead 1 (square)", "Lead 2 (sawtooth)", "Lead 3 (calliope)", "Lead 4 (chiff)",
    "Lead 5 (charang)", "Lead 6 (voice)", "Lead 7 (fifths)", "Lead 8 (bass + lead)",
    "Pad 1 (new age)", "Pad 2 (warm)", "Pad 3 (polysynth)", "Pad 4 (choir)",
    "Pad 5 (bowed)", "Pad 6 (metallic)", "Pad 7 (halo)", "Pad 8 (sweep)",
    "FX 1 (rain)", "FX 2 (soundtrack)", "FX 3 (crystal)", "FX 4 (atmosphere)",
    "FX 5 (brightness)", "FX 6 (goblins)", "FX 7 (echoes)", "FX 8 (sci-fi)",
    "Sitar", "Banjo", "Shamisen", "Koto",
    "Kalimba", "Bagpipe", "Fiddle", "Shanai",
    "Tinkle Bell", "Agogo", "Steel Drums", "Woodblock",
    "Taiko Drum", "Melodic Tom", "Synth Drum", "Reverse Cymbal",
    "Guitar Fret Noise", "Breath Noise", "Seashore", "Bird Tweet",
    "Telephone Ring", "Helicopter", "Applause", "Gunshot",
]

# GM groups the programs in 16 families of eight (0-7 pianos, 8-15 chromatic percussion, ...).
GM_FAMILIES = [
    "Piano", "Chromatic percussion", "Organ", "Guitar", "Bass", "Strings", "Ensemble", "Brass",
    "Reed", "Pipe", "Synth lead", "Synth pad", "Synth effects", "Ethnic", "Percussive", "Sound effects",
]

# Everyday words people type, mapped to the program they most likely mean.
ALIASES = {
    "piano": 0, "grand piano": 0, "electric piano": 4, "epiano": 4, "rhodes": 4, "fm piano": 5,
    "fm": 5, "harpsichord": 6, "vibes": 11, "organ": 19, "jazz organ": 16, "guitar": 24,
    "nylon guitar": 24, "steel guitar": 25, "jazz guitar": 26, "electric guitar": 27, "bass": 32,
    "strings": 48, "string ensemble": 48, "violin": 40, "cello": 42, "harp": 46, "choir": 52,
    "trumpet": 56, "brass": 61, "sax": 65, "saxophone": 65, "flute": 73, "clarinet": 71,
    "synth": 80, "lead": 80, "pad": 89, "marimba": 12,
}


def _normalise(name: str) -> str:
    return " ".join(name.lower().replace("_", " ").replace("-", " ").split())


_BY_NAME = {_normalise(n): i for i, n in enumerate(GM_PROGRAM_NAMES)} | ALIASES


def resolve_instrument(value: str | int | None, default: int = 0) -> int:
    """Return a GM program number (0-127) for a name, an alias or a number (as int or text)."""
    if value is None or value == "":
        return default
    if isinstance(value, int) or (isinstance(value, str) and value.strip().isdigit()):
        program = int(value)
        if 0 <= program <= 127:
            return program
        raise UnknownOptionError(f"Instrument number {program} is outside General MIDI's 0-127.")
    key = _normalise(str(value))
    if key in _BY_NAME:
        return _BY_NAME[key]
    raise UnknownOptionError(
        f"Unknown instrument '{value}'; use a General MIDI name such as 'piano', 'strings', "
        "'electric piano', 'organ', 'guitar', or a program number 0-127."
    )


def instrument_name(program: int) -> str:
    return GM_PROGRAM_NAMES[program]


def family_name(program: int) -> str:
    return GM_FAMILIES[program // 8]


def as_json() -> str:
    """Programs and families for the front end: {"programs": [128 names], "families": [16 names]}."""
    return json.dumps({"programs": GM_PROGRAM_NAMES, "families": GM_FAMILIES}, indent=1)


if __name__ == "__main__":
    print(as_json())
