"""How fast the in-browser player gets ready and starts sounding, in headless Debian Chromium.

Serves the player partial (as the song page includes it) with one MIDI file, then measures:
bytes the page downloads, time from navigation to "ready" (SoundFont fetched and parsed, MIDI
loaded) with a cold and a warm browser cache, time from pressing Play to the analyser seeing
signal, and how closely song time follows the wall clock at 1x and 2x (1.0 = the synth keeps up).

    .venv/bin/python bench/player_load.py [--midi ../shared/datasets/pop909/001/001.mid]
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

import symusic
from playwright.sync_api import sync_playwright

import sonatina

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from helpers import CHROMIUM_ARGS, serve_player_page  # noqa: E402 (the tests' helpers: one copy of each)

WEB = Path(sonatina.__file__).parent / "web"
DEFAULT_MIDI = Path(__file__).resolve().parents[2] / "shared/datasets/pop909/001/001.mid"


class Song:
    id, title, duration_s, settings = 1, "bench", 0, {"instrument": 0}


def time_ready(page, url):
    t0 = time.perf_counter()
    page.goto(url)
    page.wait_for_selector("#player[data-state='ready']", timeout=60_000)
    return time.perf_counter() - t0


def rate(page, speed, seconds=3.0):
    page.select_option("#player-speed", str(speed))
    page.wait_for_timeout(300)
    t0, w0 = page.evaluate("[sonatinaPlayer.currentTime, performance.now() / 1000]")
    page.wait_for_timeout(seconds * 1000)
    t1, w1 = page.evaluate("[sonatinaPlayer.currentTime, performance.now() / 1000]")
    return (t1 - t0) / (w1 - w0) / speed


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--midi", type=Path, default=DEFAULT_MIDI)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    base, _ = serve_player_page(args.midi.read_bytes(), Song())
    url = base + "/song"
    score = symusic.Score(str(args.midi)).to("second")
    first_note = min(t.notes[0].time for t in score.tracks if len(t.notes))  # the file's leading rest
    static = WEB / "static/player"
    sizes = {p.name: p.stat().st_size for p in [static / "player.js", static / "spessasynth_processor.min.js",
                                                  static / "soundfont/TimGM6mb.sf2"]}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        cold, warm, sound = [], [], []
        for _ in range(args.repeat):
            context = browser.new_context()
            page = context.new_page()
            cold.append(time_ready(page, url))
            warm.append(time_ready(page, url))
            t0 = time.perf_counter()
            page.click("#player-play")
            page.wait_for_function("sonatinaPlayer.analyserLevel() > 0.001", polling=10, timeout=10_000)
            sound.append(time.perf_counter() - t0)
            context.close()
        page = browser.new_page()
        time_ready(page, url)
        page.click("#player-play")
        rates = {s: rate(page, s) for s in (1, 2)}
        duration = page.evaluate("sonatinaPlayer.duration")
        browser.close()

    print(f"MIDI: {args.midi} ({duration:.1f} s)")
    for name, size in sizes.items():
        print(f"  {name}: {size / 1e6:.2f} MB")
    print(f"ready, cold cache: median {statistics.median(cold):.2f} s  ({', '.join(f'{x:.2f}' for x in cold)})")
    print(f"ready, warm cache: median {statistics.median(warm):.2f} s  ({', '.join(f'{x:.2f}' for x in warm)})")
    print(f"Play -> analyser sees sound: median {statistics.median(sound) * 1000:.0f} ms, "
          f"of which {first_note * 1000:.0f} ms is the file's leading rest")
    print("song time / wall time / speed: " + ", ".join(f"{s}x: {r:.3f}" for s, r in rates.items()))


if __name__ == "__main__":
    main()
