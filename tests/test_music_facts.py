"""Small music facts are written once: pitch names in music/pitches.py, General MIDI names in
music/instruments.py (the browser player is built from that list, not from a copy)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from sonatina.analysis import metrics as M
from sonatina.music import pitches
from sonatina.music.instruments import GM_FAMILIES, GM_PROGRAM_NAMES, family_name
from sonatina.music.keys import key_name

FRONTEND_SRC = Path(__file__).resolve().parents[1] / "frontend" / "src"


def test_keys_and_analysis_labels_spell_pitches_alike():
    assert M.PITCH_CLASS_NAMES is pitches.PITCH_CLASS_NAMES
    assert key_name(3, "major") == "Eb major" and key_name(13, "minor") == "C# minor"
    assert pitches.pitch_class_name(70) == "Bb"


def test_instrument_list_is_printed_as_json_for_the_front_end():
    out = subprocess.run([sys.executable, "-m", "sonatina.music.instruments"], capture_output=True, text=True,
                         check=True).stdout
    facts = json.loads(out)
    assert facts["programs"] == GM_PROGRAM_NAMES and len(facts["programs"]) == 128
    assert facts["families"] == GM_FAMILIES and len(GM_FAMILIES) == 16
    assert facts["programs"][54] == "Synth Choir" and family_name(54) == "Ensemble"


def test_front_end_sources_hold_no_copy_of_the_gm_names():
    sources = {p.name: p.read_text() for p in FRONTEND_SRC.glob("*.js")}
    assert sources, f"no front-end sources under {FRONTEND_SRC}"
    copied = {name: file for file, text in sources.items() for name in GM_PROGRAM_NAMES[1:] if f'"{name}"' in text}
    assert not copied, f"GM names copied into the front end: {copied}"


def test_pitch_names_are_listed_in_one_module():
    src = Path(pitches.__file__).resolve().parents[1]
    spelled = [str(p.relative_to(src)) for p in src.rglob("*.py")
               if '"C#", "D"' in p.read_text() or '"C", "Db"' in p.read_text()]
    assert spelled == ["music/pitches.py"]
