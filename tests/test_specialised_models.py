"""The specialised jazz model shipped beside `default` (issue 11, "ship specialised models where
one conditioned model is not enough"): usable by name in generate and convert, listed by
`sonatina models`, and its card records that it beats the default on held-out jazz."""

from __future__ import annotations

import json
import subprocess

from symusic import Score

from helpers import make_score, sonatina_command
from sonatina.model.registry import PRETRAINED_DIR, load_model, resolve_model_path

SPECIALIST = "jazz"  # the model's name; it knows one genre, the one it is named after


def sonatina(*args, check=True):
    proc = subprocess.run([*sonatina_command(), *map(str, args)], capture_output=True, text=True, timeout=300)
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


def _card(name: str) -> dict:
    return json.loads((PRETRAINED_DIR / name / "model.json").read_text())


def test_specialist_is_found_by_name_and_listed():
    name, folder = resolve_model_path(SPECIALIST)
    assert (name, folder) == (SPECIALIST, PRETRAINED_DIR / SPECIALIST)
    listing = {m["name"]: m for m in json.loads(sonatina("models", "--json").stdout)["models"]}
    assert listing[SPECIALIST]["genres"] == [SPECIALIST]
    assert "default" in listing


def test_specialist_was_fine_tuned_from_default_on_the_same_split():
    """Its genre's held-out pieces are the default's (same source, same split), and on them it
    scores fewer bits per note than the default: the reason it is shipped."""
    own, default = _card(SPECIALIST), _card("default")
    assert own["genres"] == [SPECIALIST] and own["fine_tuned_from"] == "default"
    source = [s for s in default["data"]["sources"] if s.startswith(f"{SPECIALIST}=")]
    assert own["data"]["sources"] == source
    for split in ("validation", "test"):
        mine, theirs = own["held_out"][split][SPECIALIST], default["held_out"][split][SPECIALIST]
        assert mine["pieces"] == theirs["pieces"]
        assert mine["bits_per_note"] < theirs["bits_per_note"]
    network = ("embed_dim", "hidden_size", "num_layers", "vocab_size")
    assert {k: own["model_config"][k] for k in network} == {k: default["model_config"][k] for k in network}


def test_generate_with_the_specialist(tmp_path):
    out = tmp_path / "solo.mid"
    result = json.loads(sonatina("generate", "--model", SPECIALIST, "--seconds", "10", "--seed", "3",
                                 "--out", out, "--json").stdout)
    settings = result["files"][0]["settings"]
    assert settings["model"] == SPECIALIST and settings["genre"] == SPECIALIST  # its only genre by default
    assert Score(str(out)).note_num() > 10


def test_a_genre_the_specialist_lacks_is_one_sentence(tmp_path):
    other = next(g for g in load_model("default").genres if g != SPECIALIST)
    proc = sonatina("generate", "--model", SPECIALIST, "--genre", other, "--seconds", "10",
                    "--out", tmp_path / "x.mid", check=False)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert f"knows no genre '{other}'" in proc.stderr


def test_convert_with_the_specialist(tmp_path):
    source = tmp_path / "tune.mid"
    make_score(seed=1, bars=8).dump_midi(str(source))
    out = tmp_path / "tune-jazz.mid"
    result = json.loads(sonatina("convert", source, "--to", SPECIALIST, "--model", SPECIALIST, "--seed", "2",
                                 "--out", out, "--json").stdout)
    assert json.dumps(result).count(f'"model": "{SPECIALIST}"') >= 1
    assert Score(str(out)).note_num() > 0
