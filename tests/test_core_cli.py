"""The core commands as a user runs them: real processes, JSON output, exit codes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from symusic import Score

from sonatina.model.registry import shipped_models

BIN = Path(sys.executable).parent


def sonatina(*args, check=True, env=None):
    proc = subprocess.run([str(BIN / "sonatina"), *map(str, args)], capture_output=True, text=True, timeout=300,
                          env={**os.environ, **(env or {})})
    if check and proc.returncode != 0:
        raise AssertionError(f"sonatina {args} failed ({proc.returncode}): {proc.stderr}")
    return proc


def test_train_generate_evaluate_round(tiny_corpus, tmp_path):
    run = tmp_path / "run"
    out = json.loads(sonatina("train", tiny_corpus, "--out", run, "--preset", "tiny", "--epochs", "1",
                              "--steps-per-epoch", "10", "--batch-size", "4", "--seq-len", "32", "--json").stdout)
    assert out["bits_per_note"] > 0 and Path(out["checkpoint"]).exists()
    gen = json.loads(sonatina("generate", "--model", run, "--seconds", "10", "--seed", "1", "--variations", "2",
                              "--out", tmp_path / "x.mid", "--json").stdout)
    assert [Path(f["midi"]).name for f in gen["files"]] == ["x-1.mid", "x-2.mid"]
    for f in gen["files"]:
        assert abs(Score(f["midi"]).to("second").end() - 10) <= 0.5
    ev = json.loads(sonatina("evaluate", "--model", run / "model.safetensors", tiny_corpus / "piece03.mid",
                             "--json").stdout)
    assert ev["bits_per_note"] > 0 and ev["pieces"] == 1


def test_training_into_a_folder_with_a_trained_model_is_refused_unless_asked(tiny_run, tiny_corpus, tmp_path):
    from sonatina import api
    from sonatina.errors import SonatinaError

    run = tmp_path / "run"
    shutil.copytree(tiny_run, run)
    weights = (run / "model.safetensors").read_bytes()
    tiny = ["--preset", "tiny", "--epochs", "1", "--steps-per-epoch", "3", "--batch-size", "4", "--seq-len", "32"]
    proc = sonatina("train", tiny_corpus, "--out", run, *tiny, check=False)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert "already holds a trained model" in proc.stderr and "--resume" in proc.stderr and "--overwrite" in proc.stderr
    assert (run / "model.safetensors").read_bytes() == weights  # the user's model is untouched
    with pytest.raises(SonatinaError) as refused:  # seed designs cannot resume: not offered
        api.train([str(tiny_corpus)], run, preset="classic", epochs=1)
    assert "--overwrite" in str(refused.value) and "--resume" not in str(refused.value)
    sonatina("train", tiny_corpus, "--out", run, *tiny, "--overwrite")
    assert (run / "model.safetensors").read_bytes() != weights


@pytest.mark.parametrize("args,message", [
    (["generate", "--seconds", "10", "--model", "nope", "--out", "x.mid"], "No model 'nope'"),
    (["generate", "--seconds", "10", "--key", "Q major", "--out", "x.mid"], "Unknown key"),
    (["generate", "--seconds", "10", "--instrument", "kazoo", "--out", "x.mid"], "Unknown instrument"),
    (["generate", "--seconds", "-3", "--out", "x.mid"], "Length in seconds"),
    (["train", "/no/such/folder", "--out", "r"], "neither a file, a folder"),
    (["evaluate", "--model", "default", "music21:nosuchcollection"], "no collection"),
])
def test_user_errors_are_one_sentence_exit_2(args, message, tmp_path):
    proc = sonatina(*args, check=False)
    assert proc.returncode == 2, proc.stderr
    assert message in proc.stderr and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_corrupt_primer_is_refused(tmp_path):
    bad = tmp_path / "bad.mid"
    bad.write_bytes(b"MThd\x00\x00\x00\x06garbage")
    proc = sonatina("generate", "--seconds", "10", "--primer", bad, "--out", tmp_path / "x.mid", check=False)
    assert proc.returncode == 2 and "bad.mid" in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.skipif(not shipped_models(), reason="no shipped model in src/sonatina/pretrained")
def test_default_model_new_user_walk(tmp_path):
    """`sonatina generate --seconds 30 --out a.mid` right after install; same seed, same file."""
    sonatina("generate", "--seconds", "30", "--out", tmp_path / "a.mid")
    assert abs(Score(str(tmp_path / "a.mid")).to("second").end() - 30) <= 1.5
    for name in ("b.mid", "c.mid"):
        sonatina("generate", "--seconds", "20", "--seed", "7", "--out", tmp_path / name)
    assert (tmp_path / "b.mid").read_bytes() == (tmp_path / "c.mid").read_bytes()
    listing = json.loads(sonatina("models", "--json").stdout)
    assert any(m["name"] == "default" for m in listing["models"])


@pytest.mark.skipif(shutil.which("torchrun", path=str(BIN)) is None, reason="torchrun not installed")
def test_torchrun_two_cpu_processes(tiny_corpus, tmp_path):
    """Data-parallel training with two CPU processes on the gloo backend."""
    run = tmp_path / "ddp"
    proc = subprocess.run([str(BIN / "torchrun"), "--standalone", "--nproc_per_node", "2", "-m", "sonatina", "train",
                           str(tiny_corpus), "--out", str(run), "--preset", "tiny", "--epochs", "2",
                           "--steps-per-epoch", "5", "--batch-size", "4", "--seq-len", "32", "--json"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    card = json.loads((run / "model.json").read_text())
    assert card["training"]["processes"] == 2 and card["training"]["steps"] == 10


def test_generate_writes_audio_beside_the_midi(tiny_run, tmp_path):
    import soundfile

    out = json.loads(sonatina("generate", "--model", tiny_run, "--seconds", "6", "--seed", "2", "--audio", "wav",
                              "--out", tmp_path / "song.mid", "--json").stdout)
    wav = Path(out["files"][0]["audio"])
    assert wav == tmp_path / "song.wav"
    info = soundfile.info(str(wav))
    assert info.channels == 2 and 6 <= info.duration <= 6 + 3.5


def test_generate_says_where_it_wrote_in_one_clean_sentence(tiny_run, tmp_path):
    # in the working folder: no "in .." (the folder "." and the full stop); elsewhere the folder
    here = subprocess.run([str(BIN / "sonatina"), "generate", "--model", str(tiny_run), "--seconds", "6",
                           "--seed", "2", "--out", "a.mid"], capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert here.returncode == 0, here.stderr
    assert here.stdout.startswith("Wrote a.mid (") and ".." not in here.stdout
    there = sonatina("generate", "--model", tiny_run, "--seconds", "6", "--seed", "2", "--out", tmp_path / "b" / "b.mid")
    assert f" in {tmp_path / 'b'}." in there.stdout


def torch_modules_imported(*args) -> list[str]:
    """Run `python -X importtime -m sonatina ARGS`; the torch modules it imported."""
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "sonatina", *map(str, args)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    imported = [line.rsplit("|", 1)[-1].strip() for line in proc.stderr.splitlines() if line.startswith("import time:")]
    assert "click" in imported  # importtime did report
    return [m for m in imported if m.split(".")[0] == "torch"]


@pytest.mark.parametrize("args", [["--help"], ["models"], ["generate", "--help"], ["train", "--help"]])
def test_help_and_models_import_no_torch(args):
    """`sonatina --help` / `models` start in a fraction of a second: torch (~1.5 s) is not imported."""
    assert torch_modules_imported(*args) == []


def test_generate_imports_no_torch(tiny_run, tmp_path):
    assert torch_modules_imported("generate", "--model", tiny_run, "--seconds", 6, "--seed", 1,
                                  "--out", tmp_path / "x.mid") == []
    assert (tmp_path / "x.mid").stat().st_size > 100


def test_serve_on_a_taken_port_is_one_sentence_exit_2(tmp_path):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = sonatina("serve", "--port", port, "--instance", tmp_path / "instance", check=False)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stderr.startswith(f"Error: port {port} is in use; try `make run PORT=")
    assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr
    assert "studio on" not in proc.stdout and not (tmp_path / "instance").exists()  # nothing was started


def test_generate_names_the_genre_it_chose(tmp_path):
    # without --genre the sentence gave the key, tempo and seed but not the genre the piece is in
    from sonatina.model.registry import load_model

    model = load_model("default")
    shown = sonatina("generate", "--seconds", "6", "--seed", "2", "--out", tmp_path / "a.mid").stdout
    assert f"(6.0 s, {model.default_genre}, " in shown
    other = next(g for g in model.genres if g != model.default_genre)
    shown = sonatina("generate", "--genre", other, "--seconds", "6", "--seed", "2", "--out", tmp_path / "b.mid").stdout
    assert f"(6.0 s, {other}, " in shown
