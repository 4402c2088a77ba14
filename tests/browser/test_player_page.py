"""The player on its own page (no studio back end): real SoundFont audio in headless Chromium.

A minimal Flask app renders the player partial exactly as the song page includes it, with a
MIDI built in memory, so the player is checked even where the studio is not running.
"""

import pytest
import symusic

from helpers import serve_player_page
from sonatina.music.instruments import GM_FAMILIES, GM_PROGRAM_NAMES

SECONDS = 12.0


def melody_midi(seconds=SECONDS, program=24):
    """A C-major scale up and down in eighth notes at 120 bpm, lasting `seconds`."""
    score = symusic.Score(480)
    score.tempos.append(symusic.Tempo(0, 120.0))
    track = symusic.Track(program=program)
    scale = [60, 62, 64, 65, 67, 69, 71, 72, 71, 69, 67, 65, 64, 62]
    steps = int(seconds * 4) - 1  # eighth notes at 120 bpm: 4 per second
    for i in range(steps):
        track.notes.append(symusic.Note(i * 240, 230, scale[i % len(scale)], 90))
    track.notes.append(symusic.Note(steps * 240, 240, 48, 90))  # last note ends at `seconds`
    score.tracks.append(track)
    return score.dumps_midi()


class Song:
    id = 1
    title = "Scale study"
    duration_s = SECONDS
    settings = {}  # no instrument setting: the player must read the program from the file


@pytest.fixture(scope="module")
def server():
    base, httpd = serve_player_page(melody_midi(), Song())
    yield base
    httpd.shutdown()


def wait_ready(page):
    page.wait_for_selector("#player[data-state='ready']", timeout=30_000)


def player_time(page):
    return page.evaluate("window.sonatinaPlayer.currentTime")


def test_player_plays_real_audio_with_controls(page, server, song_speed):
    page.goto(f"{server}/song")
    wait_ready(page)
    assert page.evaluate("window.sonatinaPlayer.duration") == pytest.approx(SECONDS, abs=0.3)
    assert page.text_content("#player-duration").strip() == "0:12"
    assert page.locator("#player-instrument option").count() == 128
    # The menu is built from the Python list: same names, same program numbers, same families.
    menu = page.eval_on_selector_all("#player-instrument option", "os => os.map(o => [o.value, o.text])")
    assert menu == [[str(i), name] for i, name in enumerate(GM_PROGRAM_NAMES)]
    groups = page.eval_on_selector_all("#player-instrument optgroup", "gs => gs.map(g => g.label)")
    assert groups == GM_FAMILIES
    assert page.input_value("#player-instrument") == "24"  # the file's nylon guitar

    page.click("#player-play")
    page.wait_for_function("() => window.sonatinaPlayer.playing && window.sonatinaPlayer.currentTime > 0.5",
                           timeout=10_000)
    # The analyser sits on the synth's real output: sound means a non-zero RMS.
    page.wait_for_function("() => window.sonatinaPlayer.analyserLevel() > 0.001", timeout=10_000)
    assert page.text_content("#player-play") == "Pause"

    # Seek: time jumps to where the bar was moved.
    page.eval_on_selector("#player-seek", "el => { el.value = 8; el.dispatchEvent(new Event('change')); }")
    page.wait_for_function("() => window.sonatinaPlayer.currentTime >= 8", timeout=10_000)
    assert player_time(page) < 11

    # Speed: at 2x, song time runs about twice as fast as the wall clock.
    page.eval_on_selector("#player-seek", "el => { el.value = 1; el.dispatchEvent(new Event('change')); }")
    page.select_option("#player-speed", "2")
    assert song_speed(page) == pytest.approx(2.0, rel=0.15)

    # Instrument: strings take over every melodic channel and sound keeps flowing.
    page.select_option("#player-instrument", "48")
    page.wait_for_function(
        "() => window.sonatinaPlayer.synth.midiChannels[0].patch.program === 48"
        " && window.sonatinaPlayer.analyserLevel() > 0.001", timeout=10_000)

    page.click("#player-play")
    page.wait_for_function("() => !window.sonatinaPlayer.playing", timeout=10_000)
    paused_at = player_time(page)
    page.wait_for_timeout(300)
    assert player_time(page) == paused_at

    # The end: playback stops by itself, and Play starts the song over (still with strings).
    page.eval_on_selector("#player-seek", "el => { el.value = 11; el.dispatchEvent(new Event('change')); }")
    page.click("#player-play")
    page.wait_for_function("() => !window.sonatinaPlayer.playing && window.sonatinaPlayer.currentTime > 11.5",
                           timeout=10_000)
    assert page.text_content("#player-play") == "Play"
    page.click("#player-play")
    page.wait_for_function("() => window.sonatinaPlayer.playing && window.sonatinaPlayer.currentTime < 3"
                           " && window.sonatinaPlayer.analyserLevel() > 0.001", timeout=10_000)
    assert page.evaluate("window.sonatinaPlayer.synth.midiChannels[0].patch.program") == 48
    assert page.js_errors == []


def test_autoplay_query_starts_playback_and_keys_control_it(page, server):
    page.goto(f"{server}/song?autoplay=1")
    page.wait_for_function("() => window.sonatinaPlayer && window.sonatinaPlayer.currentTime > 0.3", timeout=30_000)
    assert page.evaluate("window.sonatinaPlayer.playing")
    page.keyboard.press("ArrowRight")  # +5 s
    page.wait_for_function("() => window.sonatinaPlayer.currentTime > 5", timeout=10_000)
    page.keyboard.press(" ")
    page.wait_for_function("() => !window.sonatinaPlayer.playing", timeout=10_000)


# Chromium's autoplay policy as a page script: headless Chromium never holds sound back (even
# with --autoplay-policy=user-gesture-required), so emulate it: every AudioContext starts
# suspended and resume() waits for the page's first click.
HOLD_SOUND_UNTIL_CLICK = """
(() => {
  const Real = window.AudioContext;
  let clicked = false;
  const waiting = [];
  document.addEventListener("click", () => { clicked = true; waiting.splice(0).forEach((go) => go()); }, true);
  window.AudioContext = class extends Real {
    constructor(...args) { super(...args); super.suspend(); }
    resume() {
      if (clicked) return super.resume();
      return new Promise((resolve) => waiting.push(() => super.resume().then(resolve)));
    }
  };
})();
"""


def test_autoplay_blocked_asks_for_a_click(page, server):
    # Where the browser holds sound until a user gesture, ?autoplay=1 must not run a silent
    # clock: the player asks for a click, and the click then plays.
    page.add_init_script(HOLD_SOUND_UNTIL_CLICK)
    page.goto(f"{server}/song?autoplay=1")
    page.wait_for_function("() => document.querySelector('#player-status').textContent.includes('press Play')",
                           timeout=30_000)
    assert not page.evaluate("window.sonatinaPlayer.playing")
    assert page.evaluate("window.sonatinaPlayer.currentTime") == 0
    page.click("#player-play")
    page.wait_for_function("() => window.sonatinaPlayer.playing && window.sonatinaPlayer.currentTime > 0.3"
                           " && window.sonatinaPlayer.analyserLevel() > 0.001", timeout=10_000)


def test_missing_midi_says_so(page, server):
    # A broken MIDI URL shows one sentence in the status line instead of a silent dead player.
    page.route("**/song.mid", lambda route: route.fulfill(status=404, body="gone"))
    page.goto(f"{server}/song")
    page.wait_for_selector("#player[data-state='error']", timeout=30_000)
    assert "HTTP 404" in page.text_content("#player-status")
