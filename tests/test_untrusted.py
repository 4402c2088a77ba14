"""The sandbox for users' files (sonatina.data.untrusted): crashes, hangs, bombs and broken
headers become one sentence; the CLI answers them with exit 2 and nothing else on stderr."""

from __future__ import annotations

import os
import resource
import signal
import struct
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from fuzzing import dense_midi
from helpers import make_score, sonatina_command

from sonatina.cli import main
from sonatina.data import untrusted
from sonatina.data.corpus import load_score
from sonatina.errors import BadInputError

DATA = Path(__file__).parent / "data"
CRASH = DATA / "symusic-crash.mid"  # found by mutation search (bench/fuzz.py), 251 bytes
CRASH_MIN = DATA / "symusic-crash-min.mid"  # the same bug in 24 bytes (docs/symusic-crash.md)


def midi_with_division(division: int) -> bytes:
    data = bytes(make_score(bars=2).dumps_midi())
    return data[:12] + struct.pack(">H", division) + data[14:]


def test_the_crash_files_kill_symusic_in_process_but_not_us(tmp_path):
    for path in (CRASH, CRASH_MIN):
        code = f"from symusic import Score; Score.from_midi(open({str(path)!r}, 'rb').read())"
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=60)
        assert proc.returncode == -signal.SIGSEGV, (path.name, proc.returncode)
        with pytest.raises(BadInputError, match=rf"^'{path.name}' could not be read: the file is damaged"):
            load_score(path)
    good = tmp_path / "good.mid"
    make_score(bars=2).dump_midi(str(good))
    assert load_score(good).note_num() == make_score(bars=2).note_num()  # still answering


def test_division_zero_and_smpte_are_refused_at_reading(tmp_path):
    zero = tmp_path / "zero.mid"
    zero.write_bytes(midi_with_division(0))
    with pytest.raises(BadInputError, match="0 ticks per beat"):
        load_score(zero)
    smpte = tmp_path / "smpte.mid"
    smpte.write_bytes(midi_with_division(0xE728))  # -25 frames/s, 40 ticks per frame
    with pytest.raises(BadInputError, match="SMPTE"):
        load_score(smpte)
    result = CliRunner().invoke(main, ["metrics", str(zero)])
    assert result.exit_code == 2 and "0 ticks per beat" in result.output and result.exception.__class__ is SystemExit


def test_a_score_is_sent_back_intact(tmp_path):
    score = make_score(bars=8, tpq=384)
    path = tmp_path / "piece.mid"
    score.dump_midi(str(path))
    back = load_score(path)
    assert back.ticks_per_quarter == 384 and back.note_num() == score.note_num()
    assert [n.pitch for n in back.tracks[0].notes] == [n.pitch for n in score.tracks[0].notes]


def test_time_limit_stops_a_conversion_and_the_child(tmp_path):
    tune, long_tune = tmp_path / "tune.abc", tmp_path / "long.abc"
    tune.write_text("X:1\nT:Scale\nM:4/4\nL:1/8\nK:C\n" + "CDEF GABc|" * 40 + "\n")
    # 12,800 notes: music21 needs several seconds for them even warm, far more than the limit
    long_tune.write_text("X:1\nT:Scales\nM:4/4\nL:1/8\nK:C\n" + "CDEF GABc|" * 1600 + "\n")
    limits = untrusted.Limits(score_seconds=1.0)
    start = time.monotonic()
    with pytest.raises(BadInputError, match="took too long to read"):
        load_score(long_tune, limits=limits)
    assert time.monotonic() - start < 5
    assert load_score(tune).note_num() == 320  # with the CLI's limits a tune converts


def test_compressed_musicxml_bomb_is_refused_before_inflating(tmp_path):
    bomb = DATA / "bomb.mxl"  # 2.5 million MusicXML notes (200 MB) in a 30 kB LZMA zip
    assert bomb.stat().st_size < 121_000
    start = time.monotonic()
    for limits in (untrusted.WEB_LIMITS, untrusted.CLI_LIMITS):
        with pytest.raises(BadInputError, match="inflates to more than"):
            load_score(bomb, limits=limits)
    assert time.monotonic() - start < 10
    liar = tmp_path / "liar.mxl"  # declares 1 kB, inflates to 50 MB: zipfile stops at the declared size
    with zipfile.ZipFile(liar, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("score.musicxml", b"<" * (50 << 20))
    raw = bytearray(liar.read_bytes())
    for sig, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = raw.find(sig)
        raw[at + offset:at + offset + 4] = struct.pack("<I", 1024)
    liar.write_bytes(bytes(raw))
    with pytest.raises(BadInputError, match="could not be read"):
        load_score(liar, limits=untrusted.WEB_LIMITS)


def test_big_abc_file_and_big_midi_are_handled_within_ten_seconds(tmp_path):
    big_tune = tmp_path / "big.abc"  # one 200 kB tune: over the studio's 64 kB of ABC
    big_tune.write_text("X:1\nT:Long\nM:4/4\nL:1/8\nK:C\n" + "CDEF GABc|" * 20_000 + "\n")
    start = time.monotonic()
    with pytest.raises(BadInputError, match="kB of notation"):
        load_score(big_tune, limits=untrusted.WEB_LIMITS)
    book = tmp_path / "book.abc"  # a 200 kB tune book: only its first tune is converted
    book.write_text("".join(f"X:{i}\nT:Tune {i}\nM:4/4\nL:1/8\nK:G\nGABc dedB|cBAG A4|\n\n" for i in range(1, 4000)))
    assert book.stat().st_size > 200_000
    assert load_score(book, limits=untrusted.WEB_LIMITS).note_num() == 13
    big_midi = tmp_path / "big.mid"
    big_midi.write_bytes(dense_midi(100_000))
    assert 1_950_000 < big_midi.stat().st_size <= untrusted.WEB_LIMITS.file_bytes
    assert load_score(big_midi, limits=untrusted.WEB_LIMITS).note_num() == 100_000
    assert time.monotonic() - start < 10 * 3


def test_native_library_chatter_never_reaches_the_user(tmp_path):
    junk = tmp_path / "junk.mid"
    # A track cut inside its last event: symusic says "MiniMidi: Unexpected EOF in MIDI Event! ... iostream error".
    junk.write_bytes(b"MThd\x00\x00\x00\x06\x00\x01\x00\x01\x01\xe0MTrk\x00\x00\x00\x02\x00\xc1")
    mp3 = tmp_path / "noise.mp3"
    mp3.write_bytes(b"\xff\xfb\x90\x00" + os.urandom(3000))
    proc = subprocess.run([*sonatina_command(), "metrics", str(junk)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and proc.stderr.strip().splitlines() == [
        "Error: 'junk.mid' could not be read: the file is damaged (not a readable MIDI file)."]
    proc = subprocess.run([*sonatina_command(), "plot", str(mp3), "--out", str(tmp_path)], capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1 and "noise.mp3" in proc.stderr
    assert "MiniMidi" not in proc.stderr and "mpg123" not in proc.stderr.lower()


def test_the_crash_file_gives_exit_2_from_every_command_that_reads_midi(tmp_path):
    soundfont_free = {**os.environ, "SONATINA_SOUNDFONT": ""}
    (tmp_path / "set").mkdir()
    (tmp_path / "set" / "crash.mid").write_bytes(CRASH.read_bytes())
    commands = [
        ["metrics", CRASH],
        ["plot", CRASH, "--out", tmp_path],
        ["render", CRASH, "--out", tmp_path / "x.wav"],
        ["generate", "--seconds", "10", "--primer", CRASH, "--out", tmp_path / "x.mid"],
        ["compare", "--generated", tmp_path / "set", "--reference", tmp_path / "set", "--out", tmp_path / "r"],
    ]
    procs = [subprocess.Popen([*sonatina_command(), *map(str, args)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, env=soundfont_free) for args in commands]
    for args, proc in zip(commands, procs):
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 2, (args, proc.returncode, err)
        lines = err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("Error: ") and "Traceback" not in err, (args, err)


def test_reader_server_comes_back_after_being_killed(tmp_path):
    good = tmp_path / "good.mid"
    make_score(bars=2).dump_midi(str(good))
    load_score(good)
    server = untrusted._server["proc"]
    server.kill()
    server.wait()
    assert load_score(good).note_num() > 0
    assert untrusted._server["proc"].pid != server.pid


def test_memory_limit_turns_into_a_sentence(tmp_path):
    big = tmp_path / "big.mid"
    big.write_bytes(dense_midi(100_000))
    status = Path(f"/proc/{untrusted._server['proc'].pid}/status").read_text()
    vm_bytes = int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmSize:"))) * 1024
    tight = untrusted.Limits(memory_bytes=vm_bytes + (8 << 20))  # the child starts with the server's size
    with pytest.raises(BadInputError, match="could not be read"):
        load_score(big, limits=tight)


def test_a_child_killed_by_a_signal_becomes_a_sentence(tmp_path):
    # Without the address-space limit symusic's bug is a real segfault inside the child.
    unlimited = untrusted.Limits(memory_bytes=resource.RLIM_INFINITY)
    died = untrusted.STATS["died"]
    with pytest.raises(BadInputError, match=r"^'symusic-crash-min.mid' could not be read: the file is damaged\.$"):
        load_score(CRASH_MIN, limits=unlimited)
    assert untrusted.STATS["died"] == died + 1


def test_a_midi_file_cut_short_is_refused_not_read_as_a_fragment(tmp_path):
    whole = bytes(make_score(bars=32).dumps_midi())
    # cut inside the last track, as a download stopped early: symusic reads most such cuts without
    # complaint (the piece silently loses its end), so each must be refused with a sentence
    for cut_at in range(len(whole) - 120, len(whole) - 2, 3):
        cut = tmp_path / "cut.mid"
        cut.write_bytes(whole[:cut_at])
        with pytest.raises(BadInputError, match=r"^'cut.mid' could not be read: the file is damaged"):
            load_score(cut)
    with pytest.raises(BadInputError, match=r"\(it is cut short, so part of the music is missing\)\.$"):
        untrusted.check_midi_whole(whole[:-3], "cut.mid")
    result = CliRunner().invoke(main, ["generate", "--seconds", "60", "--primer", str(cut),
                                       "--out", str(tmp_path / "x.mid")])
    assert result.exit_code == 2 and "could not be read" in result.output and not (tmp_path / "x.mid").exists()
    untrusted.check_midi_whole(whole, "whole.mid")
    # RIFF-wrapped: the chunks after its MIDI data are not MIDI chunks
    untrusted.check_midi_whole(b"RIFF" + struct.pack("<I", len(whole) + 24) + b"RMIDdata" + struct.pack("<I", len(whole))
                               + whole + b"LIST" + struct.pack("<I", 4) + b"INFO", "wrapped.rmi")
