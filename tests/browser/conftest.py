"""Headless Debian Chromium for the browser tests, driven by Playwright.

`playwright install` cannot download browsers here, so we point Playwright at the system's
/usr/bin/chromium (installed by `make sysdeps`) and skip with a reason when it is absent.
"""

import os
from pathlib import Path

import pytest

import sonatina
from helpers import CHROMIUM_ARGS, Studio

CHROMIUM = os.environ.get("SONATINA_CHROMIUM", "/usr/bin/chromium")
PLAYER_JS = Path(sonatina.__file__).parent / "web" / "static" / "player" / "player.js"


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing (Debian package chromium; `make sysdeps` installs it)")
    if not PLAYER_JS.exists():
        pytest.skip("the player is not built (run `make -C frontend build`, part of `make install`)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def studio(tmp_path_factory, browser):
    """The studio served by `sonatina serve` on a free port (one per test module); its base URL."""
    try:
        server = Studio(tmp_path_factory.mktemp("instance"))
    except RuntimeError as exc:
        pytest.fail(str(exc))
    with server:
        yield server.base
    print("--- sonatina serve log (tail) ---\n" + server.log()[-4000:])  # shown on failure


@pytest.fixture
def page(browser):
    context = browser.new_context(accept_downloads=True)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.js_errors = errors
    yield page
    context.close()


@pytest.fixture
def song_speed():
    return measure_song_speed


def measure_song_speed(page, wait_ms=1500):
    """Song seconds played per second of the audio clock, measured over `wait_ms` of playback.

    The AudioContext's clock counts rendered audio, so a busy machine that renders late does
    not make the player look slow: this measures the playback rate, not the CPU.
    """
    clock = "[window.sonatinaPlayer.currentTime, window.sonatinaPlayer.ctx.currentTime]"
    t0, a0 = page.evaluate(clock)
    page.wait_for_timeout(wait_ms)
    t1, a1 = page.evaluate(clock)
    return (t1 - t0) / (a1 - a0)
