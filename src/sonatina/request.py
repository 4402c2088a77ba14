"""What a user may ask for, written once: each setting's type, bounds, default and help.

`GenerationRequest` is the one place the limits of a generation live. The CLI builds its
`generate` options from it, `compose()` and `SamplingConfig` check through it, the web form
takes its min/max attributes from it, and the JSON API's OpenAPI schema is generated from it,
so a limit changes in one line. `validate()` turns raw values (CLI text, form strings, JSON,
Python arguments) into checked, typed values or raises one clear sentence.

Two ways of reading raw values: "text" (CLI, HTML forms, multipart: strings are parsed,
empty means the default) and "json" (a JSON body: a number must be a JSON number, a name a
JSON string; the types the OpenAPI document promises, nothing else).

A later request kind (convert) is another `RequestSpec` built from its own `Setting`s.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from sonatina.errors import BadInputError


class SettingError(BadInputError):
    """One setting is out of bounds or of the wrong type; `.setting` names it (forms highlight it)."""

    def __init__(self, setting: str, message: str):
        super().__init__(message)
        self.setting = setting


@dataclass(frozen=True)
class Setting:
    name: str
    kind: str  # "text" | "integer" | "number" | "key" | "instrument" | "file"
    label: str  # the subject of error sentences and the form's label
    help: str
    default: object = None
    minimum: float | None = None
    maximum: float | None = None
    step: float | None = None  # the form widget's granularity
    examples: tuple = ()
    choices: tuple[str, ...] = ()  # for text settings: the only values accepted

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")

    def default_text(self) -> str:
        """The default as a form shows it ("30", "1"), empty when there is none."""
        return "" if self.default is None else _num(self.default) if self.kind in ("integer", "number") \
            else str(self.default)

    def range_text(self) -> str:
        """'5 to 600' for help texts; empty for a setting without bounds."""
        if self.minimum is None:
            return ""
        return f"{_num(self.minimum)} to {_num(self.maximum)}" if self.maximum is not None else \
            f"at least {_num(self.minimum)}"

    def input_attrs(self) -> dict:
        """min/max/step for an HTML number input."""
        attrs = {"min": self.minimum, "max": self.maximum, "step": self.step}
        return {k: _num(v) for k, v in attrs.items() if v is not None}

    def check(self, raw, source: str = "text"):
        """The typed value (the default when raw is None, or empty text) or a SettingError."""
        if raw is None or (source == "text" and isinstance(raw, str) and not raw.strip()):
            return self.default
        if self.kind in ("integer", "number"):
            return self._in_bounds(self._number(raw, source))
        if self.kind == "instrument":
            return self._instrument(raw, source)
        if self.kind == "span":
            return self._span(raw)
        if self.kind == "file":
            if source == "json":
                raise SettingError(self.name, f"Send the {self.label.lower()} as a file in multipart form data.")
            return raw
        if not isinstance(raw, str):
            raise SettingError(self.name, f"{self.label} must be text, not {_show(raw)}.")
        text = raw.strip() if source == "text" else raw  # JSON strings are taken exactly as sent
        if not text.strip():
            raise SettingError(self.name, f"{self.label} cannot be empty; leave it out for the default.")
        if "\x00" in text or len(text) > 200:
            raise SettingError(self.name, f"{self.label} '{_show(text)}' is not one Sonatina knows.")
        if self.choices and text not in self.choices:
            raise SettingError(self.name, f"{self.label} must be one of {', '.join(self.choices)}, not {_show(text)}.")
        if self.kind == "form":
            letters = re.sub(r"[\s\-]", "", text).upper()
            if letters != "NONE" and not re.fullmatch(FORM_PATTERN, letters):
                raise SettingError(self.name, f"{self.label} must be 2 to 16 section letters A-H such as AABA, ABAB "
                                              f"or ABABCB, or 'none', not {_show(text)}.")
            return letters.lower() if letters == "NONE" else letters
        if self.kind == "key":
            from sonatina.music.keys import key_name, parse_key

            if not re.search(KEY_PATTERN, raw):
                raise SettingError(self.name, f"Unknown key '{text}'; write it like 'C major', 'D minor' or 'F# minor'.")
            return key_name(*parse_key(raw), spelled=raw)  # 'Gb major' stays Gb, not F#
        return text

    def _number(self, raw, source):
        if isinstance(raw, bool) or not isinstance(raw, (int, float, str)) or (source == "json" and isinstance(raw, str)):
            raise SettingError(self.name, f"{self.label} must be a number, not {_show(raw)}.")
        if isinstance(raw, str) and self.kind == "integer" and re.fullmatch(r"\s*[-+]?\d{1,400}\s*", raw):
            return int(raw)
        if isinstance(raw, str):
            try:
                value = float(raw.strip())
            except ValueError:
                raise SettingError(self.name, f"{self.label} must be a number, not {_show(raw)}.") from None
        elif isinstance(raw, int):  # exact: a 400-digit integer is out of bounds, not an overflow
            return raw if self.kind == "integer" or abs(raw) > 2**53 else float(raw)
        else:
            value = float(raw)
        if not math.isfinite(value):
            raise SettingError(self.name, f"{self.label} must be a finite number.")
        if self.kind == "integer":
            if value != int(value):
                raise SettingError(self.name, f"{self.label} must be a whole number, not {_show(raw)}.")
            return int(raw) if isinstance(raw, int) else int(value)
        return value

    def _in_bounds(self, value):
        low, high = self.minimum, self.maximum
        if (low is not None and value < low) or (high is not None and value > high):
            raise SettingError(self.name, f"{self.label} must be {self._range_words()}, not {_num(value)}.")
        return value

    def _span(self, raw) -> tuple:
        """'9-12' -> (9, 12): a range of bars (whole numbers when step is 1) or of seconds."""
        whole = self.step == 1
        match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*[-–]\s*(\d+(?:\.\d+)?)\s*", raw) if isinstance(raw, str) else None
        example = "9-12" if whole else "20-30"
        if match is None or len(raw) > 40 or (whole and ("." in match[1] or "." in match[2])):
            raise SettingError(self.name, f"{self.label} must be written FIRST-LAST, e.g. {example}, not {_show(raw)}.")
        first, last = (int(g) if whole else float(g) for g in match.groups())
        if not last > first if not whole else last < first:
            raise SettingError(self.name, f"{self.label} {_num(first)}-{_num(last)} ends before it starts; "
                                          f"write FIRST-LAST, e.g. {example}.")
        for value in (first, last):
            self._in_bounds(value)
        return first, last

    def _range_words(self) -> str:
        if self.maximum is None:
            return f"at least {_num(self.minimum)}"
        return f"between {_num(self.minimum)} and {_num(self.maximum)}"

    def _instrument(self, raw, source):
        from sonatina.music.instruments import resolve_instrument

        if isinstance(raw, float) and raw.is_integer():  # JSON Schema counts 30.0 as the integer 30
            raw = int(raw)
        if isinstance(raw, bool) or not isinstance(raw, (int, str)) or (isinstance(raw, str) and len(raw) > 200):
            raise SettingError(self.name, f"{self.label} must be a General MIDI name or a program number 0-127, "
                                          f"not {_show(raw)}.")
        try:
            program = resolve_instrument(raw)
        except BadInputError as exc:
            raise SettingError(self.name, str(exc)) from None
        if source == "json" and isinstance(raw, str) and raw not in instrument_names():
            raise SettingError(self.name, f"Send the instrument as an integer 0-127 or a name exactly as the API "
                                          f"schema lists it (e.g. 'strings'), not {_show(raw)}.")
        return program


def instrument_names() -> list[str]:
    """The instrument names a JSON request may send: GM names in lower case and the aliases."""
    from sonatina.music.instruments import ALIASES, GM_PROGRAM_NAMES

    names = {" ".join(n.lower().replace("_", " ").replace("-", " ").split()) for n in GM_PROGRAM_NAMES}
    return sorted(names | set(ALIASES))


def _num(value) -> str:
    """5, 0.05, 4294967295: bounds and values as people write them."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        value = int(value)
    return _show(value) if isinstance(value, int) else f"{value:g}"


def _show(raw) -> str:
    text = repr(raw)
    return text if len(text) <= 40 else text[:37] + "..."


# a form plan's section letters (compose/form.py): AABA, ABAB, ABABCB...
FORM_PATTERN = r"[A-H]{2,16}"

# parse_key's grammar (music/keys.py), searched the way JSON Schema's `pattern` is
KEY_PATTERN = r"^\s*[a-gA-G]\s*(#|b|sharp|flat|♯|♭)?\s*(major|minor|maj|min|m)?\s*$"


class RequestSpec:
    """An ordered set of Settings with one validate() for every entry point."""

    def __init__(self, name: str, settings: list[Setting]):
        self.name = name
        self.settings = {s.name: s for s in settings}

    def __getitem__(self, name: str) -> Setting:
        return self.settings[name]

    def __iter__(self):
        return iter(self.settings.values())

    def defaults(self) -> dict:
        return {s.name: s.default for s in self}

    def validate(self, raw: dict, source: str = "text", *, only: tuple[str, ...] | None = None) -> dict:
        """Checked, typed values for every setting (defaults filled in) or one SettingError.

        Names not in the spec are refused: a misspelt setting must not be silently ignored.
        `only` limits which settings this entry point accepts (the web takes no primer path).
        """
        if not isinstance(raw, dict):
            raise BadInputError("Send the settings as a JSON object.")
        allowed = set(only) if only is not None else set(self.settings)
        unknown = sorted(str(k) for k in raw if k not in allowed)
        if unknown:
            raise SettingError(unknown[0], f"Unknown setting '{unknown[0][:40]}'; the settings are: "
                                           f"{', '.join(s for s in self.settings if s in allowed)}.")
        return {s.name: s.check(raw.get(s.name), source) for s in self if s.name in allowed}


GenerationRequest = RequestSpec("generation", [
    Setting("model", "text", "Model", "Shipped model name (see `sonatina models`); the CLI also takes a checkpoint "
            "file or run folder. Seed designs take no genre or mode (genre sets only the default tempo and key); classic "
            "and twolayer write one note or chord per half beat at one length and velocity.", default="default"),
    Setting("genre", "text", "Genre", "Style to compose in, one of the model's genres (default: the one it learned the most music of)."),
    Setting("seconds", "number", "Length in seconds", "Length of each piece in seconds.", default=30.0,
            minimum=5, maximum=600, step=1),
    Setting("tempo", "number", "Tempo (BPM)", "Beats per minute (default: typical for the genre or the primer).",
            minimum=30, maximum=300, step=1),
    Setting("key", "key", "Key", "e.g. 'D minor', 'F# major' (default: drawn from the seed, or the primer's).",
            examples=("D minor", "F# major")),
    Setting("instrument", "instrument", "Instrument", "General MIDI name (e.g. 'strings') or program number 0-127 "
            "(default: piano)."),
    Setting("temperature", "number", "Temperature", "Below 1 safer and more repetitive, above 1 more adventurous.",
            default=1.0, minimum=0.05, maximum=3, step=0.05),
    Setting("top_k", "integer", "Top-k", "Sample only from the K most likely tokens (default: off).",
            minimum=1, maximum=10_000, step=1),
    Setting("top_p", "number", "Top-p", "Sample from the smallest set of tokens whose probability reaches P "
            "(default: off).", minimum=0.01, maximum=1, step=0.01),
    Setting("scale_strength", "number", "Scale strength", "How strongly notes outside the key are avoided: each "
            "loses this many nats of logit (1 makes one 2.7x less likely, 3 makes it 20x; 0 off; default: the "
            "genre's, e.g. pop more tonal than jazz; see the README).", minimum=0, maximum=10, step=0.5),
    Setting("pitch_range", "integer", "Pitch range", "The widest span in semitones from a piece's lowest note to "
            "its highest: a note that would stretch it further is avoided (127: no limit; default: drawn per piece "
            "from the genre's typical span where it has one, e.g. jazz 18-36; see the README).",
            minimum=12, maximum=127, step=1),
    Setting("seed", "integer", "Seed", "Same seed and settings, same piece (default: random).",
            minimum=0, maximum=2**32 - 1, step=1),
    Setting("form", "form", "Form", "Sections that come back, e.g. AABA, ABAB, AABB or ABABCB (verse-chorus): a "
            "repeated letter replays that section with variation; 'none' for free form (default: the genre's, "
            "see the README).", examples=("AABA", "ABAB", "AABB", "ABABCB", "none")),
    Setting("repetition", "number", "Repetition", "How strongly each bar repeats what was played 1, 2 or 4 bars "
            "before: a bonus in nats for the note that continues such a copy (0 off; default: the genre's).",
            minimum=0, maximum=8, step=0.5),
    Setting("variations", "integer", "Number of variations", "Pieces to compose, with seeds seed, seed+1, ...",
            default=1, minimum=1, maximum=8, step=1),
    Setting("primer", "file", "Primer", "A MIDI, MusicXML or ABC file (or audio, where transcription is installed) "
            "to continue."),
])


def _shared(name: str, **changes) -> Setting:
    """A generation setting reused by another request, with the same bounds."""
    from dataclasses import replace

    return replace(GenerationRequest[name], **changes)


# Genre conversion (sonatina.compose.convert): the piece's melody kept, the rest made anew.
ConvertRequest = RequestSpec("conversion", [
    Setting("to", "text", "Target genre", "Genre to convert to.", choices=("classical", "folk", "jazz", "pop", "rock")),
    _shared("model", help="Model whose genres write the new parts (see `sonatina models`); the CLI also takes a "
            "run folder, e.g. one trained with `sonatina train rock=FOLDER`."),
    Setting("strength", "number", "Strength", "Share of the bars whose original accompaniment is replaced; in the "
            "others it plays on under the new parts (0 keeps all of it, 1 replaces all of it).", default=1.0, minimum=0,
            maximum=1, step=0.05),
    Setting("keep", "text", "Keep", "What stays exactly as it is: the melody, or the melody and the bass line.",
            default="melody", choices=("melody", "melody+bass")),
    Setting("melody_track", "integer", "Melody track", "Track number holding the melody (default: found "
            "automatically: a track named melody/vocal/lead, else the one that carries the tune).",
            minimum=0, maximum=255, step=1),
    _shared("tempo", help="Beats per minute (default: the original tempo, so the length is kept)."),
    _shared("key", help="Transpose to this key's tonic, e.g. 'D major' (default: the original key); the mode "
            "stays the piece's own, since its melody is kept note for note."),
    _shared("instrument", help="Instrument for the melody, a General MIDI name or program 0-127 "
            "(default: the genre's lead, e.g. tenor sax in jazz)."),
    _shared("temperature"), _shared("top_k"), _shared("top_p"), _shared("seed"),
    _shared("variations", help="Versions to make, with seeds seed, seed+1, ..."),
])


# Editing a piece (sonatina.compose.regenerate): a passage written anew, or the piece extended.
SPAN_PATTERN = r"^\s*\d+(\.\d+)?\s*[-–]\s*\d+(\.\d+)?\s*$"  # "9-12", "20.5-30" as JSON Schema's `pattern`
_EDIT_COMMON = [
    Setting("tracks", "text", "Tracks", "Tracks to write anew, by number or name, comma-separated, or 'melody' / "
            "'accompaniment' (the track carrying the tune / the others); default: every pitched track. Tracks not "
            "chosen are kept and heard.", examples=("piano", "0,2", "accompaniment")),
    _shared("model", help="Model that writes the new music (see `sonatina models`); the CLI also takes a run folder."),
    _shared("genre", help="Style of the new music, one of the model's genres (default: what the genre classifier "
            "hears in the piece, if the model knows it)."),
    _shared("temperature"), _shared("top_k"), _shared("top_p"),
    _shared("seed", help="Same seed and settings, same result (default: random)."),
    Setting("candidates", "integer", "Candidates", "Passages sampled; the one that leads best into the music after "
            "it is kept (1: plain continuation).", default=8, minimum=1, maximum=16, step=1),
]

RegenerateRequest = RequestSpec("regeneration", [
    Setting("bars", "span", "Bars", "Bars to write anew, FIRST-LAST counted from 1, e.g. 9-12.",
            minimum=1, maximum=960, step=1, examples=("9-12",)),
    Setting("seconds", "span", "Seconds", "Or the passage in seconds, START-END, e.g. 20-30 (snapped to beats).",
            minimum=0, maximum=3600, step=0.5, examples=("20-30",)),
    *_EDIT_COMMON,
])

ExtendRequest = RequestSpec("extension", [
    Setting("seconds", "number", "Seconds to add", "How much music to add, in seconds (at the start it is rounded "
            "up to whole bars).", default=16.0, minimum=1, maximum=300, step=1),
    Setting("at", "text", "Where", "Add the music at the end or at the start.", default="end", choices=("end", "start")),
    *_EDIT_COMMON,
])
