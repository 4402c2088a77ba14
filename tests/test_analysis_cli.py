"""`sonatina metrics | plot | compare` as a user runs them: output, files, exit codes."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from sonatina.cli import main

from helpers import make_score

BIN = Path(sys.executable).parent


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.fixture
def two_pieces(tmp_path) -> list[Path]:
    paths = []
    for seed in (0, 1):
        path = tmp_path / f"p{seed}.mid"
        make_score(seed=seed, bars=4).dump_midi(str(path))
        paths.append(path)
    return paths


def test_metrics_table_json_and_csv(two_pieces, tmp_path):
    from sonatina.analysis import metrics as M

    table = run("metrics", *two_pieces)
    assert table.exit_code == 0, table.output
    lines = table.output.splitlines()
    assert lines[0].split()[:3] == ["file", "range", "pitches"]
    assert lines[1].startswith("p0.mid") and lines[2].startswith("p1.mid")

    result = run("metrics", tmp_path, "--json", "--csv", tmp_path / "m.csv")  # a folder expands to its files
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert [Path(p["file"]).name for p in data["pieces"]] == ["p0.mid", "p1.mid"]
    expected = M.piece_metrics(make_score(seed=0, bars=4))
    assert data["pieces"][0]["scale_consistency"] == pytest.approx(expected["scale_consistency"])
    assert data["settings"]["resolution_steps_per_quarter"] == M.RESOLUTION
    with open(tmp_path / "m.csv") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 2 and float(rows[1]["pitch_range"]) == pytest.approx(data["pieces"][1]["pitch_range"])


def test_plot_music_file_and_run_folder(two_pieces, tmp_path):
    out = tmp_path / "plots"
    result = run("plot", two_pieces[0], "--kind", "pianoroll", "--time-unit", "bars", "--out", out, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["files"] == [str(out / "p0.pianoroll.png")]
    assert (out / "p0.pianoroll.png").stat().st_size > 5000

    both = run("plot", two_pieces[1], "--kind", "transitions", "--out", out)
    assert both.exit_code == 0 and "p1.transitions.png" in both.output

    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / "learning_curve.csv").write_text(
        "epoch,step,tokens_seen,elapsed_s,train_loss,val_loss,val_bits_per_token,val_bits_per_note\n"
        "1,10,5120,3.0,2.5,2.6,3.7,7.5\n2,20,10240,6.0,2.1,2.3,3.3,6.6\n")
    curves = run("plot", run_dir, "--out", out, "--json")  # a folder defaults to learning curves
    assert curves.exit_code == 0, curves.output
    assert json.loads(curves.output) == {"source": str(run_dir), "kind": "curves", "files": [str(out / "run.learning_curve.png")]}


def test_compare_writes_report(tmp_path):
    for label, seeds in (("gen", range(3)), ("ref", range(10, 14))):
        (tmp_path / label).mkdir()
        for s in seeds:
            make_score(seed=s, bars=8).dump_midi(str(tmp_path / label / f"{s}.mid"))
    result = run("compare", "--generated", tmp_path / "gen", "--reference", tmp_path / "ref",
                 "--training", tmp_path / "gen", "--out", tmp_path / "report", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["sets"]["generated"]["pieces"] == 3 and data["memorisation"]["windows_found_share"] == 1.0
    assert Path(data["report"]["html"]).is_file() and (tmp_path / "report" / "distances.png").is_file()
    human = run("compare", "--generated", tmp_path / "gen", "--reference", tmp_path / "ref", "--out", tmp_path / "r2")
    assert human.exit_code == 0 and "mean overlap area" in human.stdout


@pytest.mark.parametrize("args, message", [
    (["metrics", "missing.mid"], "does not exist"),
    (["metrics", "{bad}"], "not a readable MIDI"),
    (["plot", "{good}", "--kind", "curves"], "need a training run"),
    (["plot", "{tmp}", "--kind", "pianoroll"], "only --kind curves"),
    (["plot", "{tmp}"], "No learning curve"),
    (["compare", "--generated", "{tmp}/nope", "--reference", "{tmp}", "--out", "{tmp}/r"], "does not exist"),
    (["compare", "--generated", "{tmp}", "--reference", "{tmp}", "--out", "{tmp}/r"], "needs at least 2"),
])  # fmt: skip
def test_bad_input_is_one_sentence_and_exit_2(tmp_path, args, message):
    (tmp_path / "bad.mid").write_bytes(b"MThd garbage")
    make_score(bars=1).dump_midi(str(tmp_path / "good.mid"))
    fill = {"bad": tmp_path / "bad.mid", "good": tmp_path / "good.mid", "tmp": tmp_path}
    result = CliRunner().invoke(main, [a.format(**fill) for a in args])
    assert result.exit_code == 2, result.output
    assert message in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_real_process_exit_code(tmp_path):
    proc = subprocess.run([str(BIN / "sonatina"), "metrics", str(tmp_path / "none.mid")], capture_output=True,
                          text=True, timeout=120, env=dict(os.environ))
    assert proc.returncode == 2 and proc.stderr.startswith("Error: ") and "Traceback" not in proc.stderr


def test_metrics_skips_unreadable_files_inside_a_folder(two_pieces, tmp_path):
    (tmp_path / "broken.mid").write_bytes(b"MThd garbage")
    result = run("metrics", tmp_path, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert len(data["pieces"]) == 2 and [Path(s["file"]).name for s in data["skipped"]] == ["broken.mid"]
    assert "Skipped" in result.stderr
