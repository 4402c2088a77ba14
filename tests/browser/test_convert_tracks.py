"""The Convert form lists the chosen song's tracks for the melody track, in headless Chromium."""

import re
from pathlib import Path

from playwright.sync_api import expect
from symusic import Note, Score, Tempo, Track

from helpers import PASSWORD


def tune_mid(path: Path) -> Path:
    """Four bars of a tune over block chords."""
    score = Score(480)
    score.tempos = [Tempo(0, qpm=120.0)]
    tune, piano = Track(name="Melody"), Track(name="Piano")
    tune.notes.extend(Note(beat * 480, 480, [64, 67, 72, 67][beat % 4], 90) for beat in range(16))
    for bar, chord in enumerate([(48, 52, 55), (45, 48, 52), (41, 45, 48), (43, 47, 50)]):
        piano.notes.extend(Note(bar * 1920, 1920, p, 60) for p in chord)
    score.tracks.extend([tune, piano])
    score.dump_midi(str(path))
    return path


def test_choosing_a_song_lists_its_tracks(page, studio, tmp_path):
    page.set_default_timeout(20_000)
    page.goto(studio + "/signup")
    page.fill("#username", "tess")
    page.fill("#email", "tess@example.com")
    page.fill("#password", PASSWORD)
    page.fill("#confirm", PASSWORD)
    page.click("#signup-submit")
    page.wait_for_selector("#nav-account")

    # a song to choose: an uploaded tune converted to pop, melody taken from track 0
    page.click("#nav-convert")
    assert "counting from 0" in page.text_content("#melody-track-hint")
    page.set_input_files("#source", str(tune_mid(tmp_path / "tune.mid")))
    page.select_option("#to", "pop")
    page.fill("#melody_track", "0")
    page.click("#convert-submit")
    page.wait_for_url(re.compile(r"/songs/\d+$"), timeout=60_000)
    song_id = page.url.rsplit("/", 1)[1]

    page.click("#nav-convert")
    page.wait_for_load_state("load")  # convert.js is deferred: choose once it listens
    page.select_option("#song_id", song_id)
    expect(page.locator("#melody-track-hint")).to_contain_text("Tracks of this song")  # polls without eval (CSP)
    hint = page.text_content("#melody-track-hint")
    assert hint.startswith("Tracks of this song: 0 Melody (") and "Drums (drums" in hint
    options = page.eval_on_selector_all("#melody-tracks option", "els => els.map(e => e.value)")
    assert options and options[0] == "0" and len(options) < hint.count("notes)")  # drums are not offered
    page.select_option("#song_id", "")
    expect(page.locator("#melody-track-hint")).to_contain_text("counting from 0")
    assert page.eval_on_selector_all("#melody-tracks option", "els => els.length") == 0
