"""The new user's walk through the studio, end to end, in headless Debian Chromium.

Against the real server (the `studio` fixture: `sonatina serve`, SQLite in a temp folder,
in-process worker): sign up with a photo, generate a 30 s piece, hear it (the player's clock advances and the
analyser on the synth's output sees signal), seek, change speed and instrument, download MIDI
and MP3, find the song on the dashboard, delete it, and see it gone.
"""

import re
from pathlib import Path

import pytest
import soundfile
import symusic
from PIL import Image

from helpers import PASSWORD

SECONDS = 30


def photo_png(path: Path) -> Path:
    """A small, real PNG: a violet square with a yellow disc."""
    image = Image.new("RGB", (96, 96), (90, 40, 160))
    for x in range(96):
        for y in range(96):
            if (x - 48) ** 2 + (y - 48) ** 2 < 30 ** 2:
                image.putpixel((x, y), (250, 210, 60))
    image.save(path)
    return path


def player(page, expression):
    return page.evaluate(f"window.sonatinaPlayer.{expression}")


def test_new_user_walk(page, studio, tmp_path, song_speed):
    page.set_default_timeout(20_000)

    # Sign up with a photo; the studio logs the new user in and shows the photo.
    page.goto(studio + "/")
    page.click("#nav-signup")
    page.fill("#username", "ada")
    page.fill("#email", "ada@example.com")
    page.fill("#password", PASSWORD)
    page.fill("#confirm", PASSWORD)
    page.set_input_files("#photo", str(photo_png(tmp_path / "ada.png")))
    page.click("#signup-submit")
    page.wait_for_selector("#nav-account")
    assert "ada" in page.text_content("#nav-account")
    avatar = page.locator("#nav-account img")
    assert avatar.evaluate("img => img.complete && img.naturalWidth") > 0  # the photo really loads

    # Generate a 30 s piece and wait for the job to finish on its song page.
    page.click("#nav-generate")
    page.fill("#seconds", str(SECONDS))
    page.click("#generate-submit")
    page.wait_for_url(re.compile(r"/songs/\d+"), timeout=120_000)
    song_url = page.url.split("?")[0]
    song_item = f"#song-list [data-song-id='{song_url.rsplit('/', 1)[1]}']"
    title = page.text_content("#song-title").strip()

    # Hear it: the clock advances and the analyser on the synth's output sees signal.
    page.wait_for_selector("#player[data-state='ready']", timeout=60_000)
    assert player(page, "duration") == pytest.approx(SECONDS, abs=3)
    page.click("#player-play")
    page.wait_for_function("() => window.sonatinaPlayer.playing && window.sonatinaPlayer.currentTime > 1")
    page.wait_for_function("() => window.sonatinaPlayer.analyserLevel() > 0.001", timeout=10_000)
    # The clock on screen follows (it is redrawn every animation frame).
    page.wait_for_function("() => /^0:0[1-9]$/.test(document.querySelector('#player-time').textContent.trim())")

    # Seek to 20 s: the clock jumps there and keeps going.
    page.eval_on_selector("#player-seek", "el => { el.value = 20; el.dispatchEvent(new Event('change')); }")
    page.wait_for_function("() => window.sonatinaPlayer.currentTime >= 20")
    assert player(page, "currentTime") < 25

    # Speed 2x from 2 s: song time runs about twice as fast as the wall clock.
    page.eval_on_selector("#player-seek", "el => { el.value = 2; el.dispatchEvent(new Event('change')); }")
    page.select_option("#player-speed", "2")
    assert song_speed(page) == pytest.approx(2.0, rel=0.15)
    page.select_option("#player-speed", "1")

    # Instrument: organ on every melodic channel, and the sound goes on.
    page.select_option("#player-instrument", "19")
    page.wait_for_function("() => window.sonatinaPlayer.synth.midiChannels[0].patch.program === 19"
                           " && window.sonatinaPlayer.analyserLevel() > 0.001", timeout=10_000)
    page.click("#player-play")
    page.wait_for_function("() => !window.sonatinaPlayer.playing")

    # Downloads: the MIDI parses and lasts what was asked; the MP3 is a real MP3 of that length.
    with page.expect_download() as info:
        page.click("#download-midi")
    midi_path = tmp_path / "song.mid"
    info.value.save_as(midi_path)
    score = symusic.Score(str(midi_path))
    assert score.note_num() > 0
    assert score.to("second").end() == pytest.approx(SECONDS, abs=3)

    with page.expect_download(timeout=60_000) as info:
        page.click("#download-mp3")
    mp3_path = tmp_path / "song.mp3"
    info.value.save_as(mp3_path)
    assert info.value.suggested_filename.endswith(".mp3")
    mp3 = soundfile.info(str(mp3_path))  # libsndfile >= 1.1 decodes MP3
    assert mp3.format == "MP3"
    assert mp3.duration == pytest.approx(SECONDS, abs=4)  # render tails add a little release

    # The dashboard shows the photo and lists the song; its quick-play link opens it playing.
    page.click("#nav-dashboard")
    assert page.locator("#dashboard-photo").evaluate("img => img.complete && img.naturalWidth") > 0
    assert page.text_content(f"{song_item} .song-title").strip() == title
    page.click(f"{song_item} [data-testid=quick-play]")
    page.wait_for_url(re.compile(r"/songs/\d+\?autoplay=1"))
    page.wait_for_function("() => window.sonatinaPlayer && window.sonatinaPlayer.playing"
                           " && window.sonatinaPlayer.currentTime > 0.5", timeout=60_000)

    # Delete it from its page; it leaves the dashboard and its page is gone.
    page.click("#delete-song")
    page.click("#delete-confirm")
    page.wait_for_url(re.compile(r"/dashboard"))
    assert page.locator(song_item).count() == 0
    assert f"'{title}' is deleted" in page.text_content("[data-testid=flash]")
    response = page.goto(song_url)
    assert response.status == 404
    assert page.js_errors == []
