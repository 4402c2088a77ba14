"""Converting a piece in the studio, end to end, in headless Debian Chromium.

Against the real server (`sonatina serve`, in-process worker): sign up, upload a MIDI on the
Convert page, convert it to jazz, wait for the job, then on the song page play the conversion,
switch to the original (A) and back (B) with the A/B switch, the player loading the other MIDI (in place, no reload)
and going on from the same moment, both piano rolls drawn; the dashboard names the source.
"""

import re
from pathlib import Path

import pytest
from symusic import Note, Score, Tempo, Track

from helpers import PASSWORD


def tune_mid(path: Path) -> Path:
    """Eight bars of a tune over block chords at 120 BPM (16 s)."""
    score = Score(480)
    score.tempos = [Tempo(0, qpm=120.0)]
    tune, piano = Track(name="Melody"), Track(name="Piano")
    line = [64, 67, 72, 67, 69, 67, 65, 64]
    tune.notes.extend(Note(beat * 480, 480, line[beat % 8], 90) for beat in range(32))
    for bar, chord in enumerate([(48, 52, 55), (45, 48, 52), (41, 45, 48), (43, 47, 50)] * 2):
        piano.notes.extend(Note(bar * 1920, 1920, p, 60) for p in chord)
    score.tracks.extend([tune, piano])
    score.dump_midi(str(path))
    return path


def player(page, expression):
    return page.evaluate(f"window.sonatinaPlayer.{expression}")


def test_convert_walk(page, studio, tmp_path):
    page.set_default_timeout(20_000)
    page.goto(studio + "/signup")
    page.fill("#username", "cora")
    page.fill("#email", "cora@example.com")
    page.fill("#password", PASSWORD)
    page.fill("#confirm", PASSWORD)
    page.click("#signup-submit")
    page.wait_for_selector("#nav-account")

    # The Convert page: upload the tune, jazz, melody kept, a tenor sax on it.
    page.click("#nav-convert")
    page.set_input_files("#source", str(tune_mid(tmp_path / "little tune.mid")))
    page.select_option("#to", "jazz")
    page.select_option("#keep", "melody")
    page.select_option("#instrument", "66")
    page.fill("#seed", "5")
    page.screenshot(path=str(tmp_path / "convert-form.png"), full_page=True)
    page.click("#convert-submit")
    page.wait_for_url(re.compile(r"/songs/\d+$"), timeout=60_000)
    song_url = page.url
    assert page.text_content("#song-title").strip() == "little tune as jazz"
    assert "little tune.mid" in page.text_content("#converted-from")

    # B, the conversion, is loaded first: it plays, its clock runs.
    assert page.get_attribute("#ab-switch", "data-side") == "converted"
    page.wait_for_selector("#player[data-state='ready']", timeout=60_000)
    converted_url = page.get_attribute("#player", "data-midi-url")
    assert converted_url.endswith("/download/midi")
    assert player(page, "duration") == pytest.approx(16, abs=1.5)  # the bars are kept
    page.click("#player-play")
    page.wait_for_function("() => window.sonatinaPlayer.playing && window.sonatinaPlayer.currentTime > 1.5")
    page.wait_for_function("() => window.sonatinaPlayer.analyserLevel() > 0.001", timeout=10_000)

    # Both whole-piece piano rolls are drawn, the conversion with more notes than the original.
    for roll in ("#roll-original", "#roll-converted"):
        assert page.locator(roll).bounding_box()["height"] > 50
    original_notes = int(page.get_attribute("#roll-original", "data-notes"))
    assert original_notes == 56 and int(page.get_attribute("#roll-converted", "data-notes")) > 32

    # Switch to A while playing: the original loads and goes on playing from about the same moment.
    at = player(page, "currentTime")
    page.evaluate("window.__samePage = true")  # gone if the page reloads: the swap happens in the player
    page.click("#ab-original")
    page.wait_for_url(re.compile(r"play=original"))
    assert page.get_attribute("#ab-switch", "data-side") == "original"
    page.wait_for_selector("#player[data-state='ready']", timeout=60_000)
    assert page.get_attribute("#player", "data-midi-url").endswith("/original.mid")
    page.wait_for_function(f"() => window.sonatinaPlayer.playing && window.sonatinaPlayer.currentTime > {at}",
                           timeout=20_000)
    start = player(page, "currentTime")
    page.wait_for_function(f"() => window.sonatinaPlayer.currentTime > {start + 0.5}")  # its clock runs
    page.wait_for_function("() => /^0:0[1-9]$|^0:1\\d$/.test(document.querySelector('#player-time').textContent.trim())")
    page.screenshot(path=str(tmp_path / "convert-ab.png"), full_page=True)
    assert (tmp_path / "convert-ab.png").stat().st_size > 10_000

    # Pause, then back to B: the conversion loads, paused where A stopped.
    page.click("#player-play")
    page.wait_for_function("() => !window.sonatinaPlayer.playing")
    at = player(page, "currentTime")
    page.click("#ab-converted")
    page.wait_for_url(re.compile(r"/songs/\d+\?t="))
    page.wait_for_selector("#player[data-state='ready']", timeout=60_000)
    assert page.get_attribute("#player", "data-midi-url") == converted_url
    page.wait_for_function(f"() => Math.abs(window.sonatinaPlayer.currentTime - {at}) < 0.3")
    assert not player(page, "playing")
    assert page.evaluate("window.__samePage") is True

    # The dashboard says where it came from.
    page.click("#nav-dashboard")
    item = page.locator(f"[data-song-id='{song_url.rsplit('/', 1)[1]}'] [data-testid=song-source]")
    assert "converted from little tune.mid" in " ".join(item.text_content().split())
    page.screenshot(path=str(tmp_path / "convert-dashboard.png"))
    assert page.js_errors == []
