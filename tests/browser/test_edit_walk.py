"""Working on a piece in the studio, end to end, in headless Debian Chromium.

Against the real server (`sonatina serve`, in-process worker): generate a piece, see its score
(Verovio's engraving in the page), choose bars 2-3 by clicking the score, Regenerate them, land on
the new version with both versions listed, swap between them in the one player without leaving
the page (A/B, the moment kept) with the score view showing the version that plays, see the song
listed once on the dashboard with its two versions, and download the MusicXML. Screenshots of the
score view, the version history and the dashboard are written to the test's folder (and copied to
$SONATINA_SHOTS when set).
"""

import os
import re
import shutil

from helpers import PASSWORD


def player(page, expression):
    return page.evaluate(f"window.sonatinaPlayer.{expression}")


def test_edit_walk(page, studio, tmp_path):
    page.set_default_timeout(30_000)
    page.goto(studio + "/signup")
    page.fill("#username", "edie")
    page.fill("#email", "edie@example.com")
    page.fill("#password", PASSWORD)
    page.fill("#confirm", PASSWORD)
    page.click("#signup-submit")
    page.wait_for_selector("#nav-account")

    # Generate 16 s of pop, seed 3.
    page.click("#nav-generate")
    page.fill("#seconds", "16")
    page.fill("#seed", "3")
    page.click("#generate-submit")
    page.wait_for_url(re.compile(r"/songs/\d+$"), timeout=120_000)
    first_url = page.url

    # The score is drawn in the page, bar by bar.
    page.wait_for_selector("#score-view[data-state='ready']")
    measures = int(page.get_attribute("#score-view", "data-measures"))
    assert measures >= 4
    assert page.locator("#score-view > svg").bounding_box()["height"] > 100
    page.locator("#score-section").screenshot(path=str(tmp_path / "score-view.png"))

    # Choose bars 2-3 on the score: click bar 2, shift-click bar 3.
    bars = page.locator("#score-view g.measure")
    bars.nth(1).click(force=True)  # a bar's box, wherever it is hit (its centre may be blank paper)
    bars.nth(2).click(force=True, modifiers=["Shift"])
    assert page.input_value("#bars-first") == "2" and page.input_value("#bars-last") == "3"
    assert page.locator("#score-view g.measure.selected").count() == 2
    page.fill("#regen-seed", "5")
    page.click("#regenerate-submit")
    page.wait_for_url(lambda url: re.search(r"/songs/\d+$", url) and url != first_url, timeout=120_000)

    # The new version: v2, both versions listed, the first still there.
    assert page.text_content("#song-version").strip() == "v2"
    items = page.locator("[data-testid=version-item]")
    assert items.count() == 2
    assert "bars 2-3 written anew" in " ".join(items.nth(1).text_content().split())
    page.wait_for_selector("#score-view[data-state='ready']")
    page.locator("#versions").screenshot(path=str(tmp_path / "version-history.png"))
    page.screenshot(path=str(tmp_path / "song-page.png"), full_page=True)

    # A/B inside the player: v2 plays, switch to v1 while playing; same page, same moment, v1's MIDI.
    page.wait_for_selector("#player[data-state='ready']", timeout=60_000)
    page.evaluate("window.__samePage = true")
    v2_url = page.get_attribute("#player", "data-midi-url")
    page.click("#player-play")
    page.wait_for_function("() => window.sonatinaPlayer.playing && window.sonatinaPlayer.currentTime > 1.5")
    at = player(page, "currentTime")
    page.click("#ab-v1")
    page.wait_for_function("() => document.querySelector('#player').dataset.midiUrl.endsWith('/download/midi') && "
                           f"document.querySelector('#player').dataset.midiUrl !== '{v2_url}'")
    page.wait_for_function(f"() => window.sonatinaPlayer.playing && window.sonatinaPlayer.currentTime > {at}")
    assert page.evaluate("window.__samePage") is True  # no reload
    assert page.get_attribute("#ab-switch", "data-side") == "v1"
    assert page.text_content("#ab-playing").strip() == "Playing version 1."
    # ... and the score view shows v1's score, saying the bars chosen there still go to v2
    v1_score = page.get_attribute("#ab-v1", "data-score")
    page.wait_for_selector(f"#score-view[data-state='ready'][data-src='{v1_score}']")
    assert page.get_attribute("#score-view", "data-own") == "0"
    assert page.text_content("#score-version").strip() == "v1"
    assert page.is_visible("#score-other") and "v1" in page.text_content("#score-other")
    assert page.locator("#score-view g.measure.selected").count() == 0
    # the downloads follow: v1's files and score, not the page's v2
    assert page.get_attribute("#download-midi", "href") == page.get_attribute("#ab-v1", "data-src")
    assert page.get_attribute("#download-musicxml", "href") == v1_score.replace(".svg", ".musicxml")
    assert page.get_attribute("#download-pdf", "href") == v1_score.replace(".svg", ".pdf")
    page.locator("#score-section").screenshot(path=str(tmp_path / "score-view-v1.png"))
    chosen = (page.input_value("#bars-first"), page.input_value("#bars-last"))
    page.locator("#score-view g.measure").nth(0).click(force=True)  # v1's bar is not v2's: nothing chosen
    page.locator("#score-view g.measure").nth(1).click(force=True, modifiers=["Shift"])
    assert (page.input_value("#bars-first"), page.input_value("#bars-last")) == chosen
    page.click("#ab-v2")
    page.wait_for_function(f"() => document.querySelector('#player').dataset.midiUrl === '{v2_url}'")
    page.wait_for_function("() => window.sonatinaPlayer.state === 'ready' && window.sonatinaPlayer.playing")
    page.wait_for_selector("#score-view[data-state='ready'][data-own='1']")
    assert page.text_content("#score-version").strip() == "v2" and not page.is_visible("#score-other")
    assert page.get_attribute("#download-midi", "href") == v2_url
    assert page.evaluate("window.__samePage") is True
    page.click("#player-play")

    # The score view follows the playhead: the bar playing is marked.
    page.wait_for_function("() => document.querySelectorAll('#score-view g.measure.playing').length === 1")
    assert page.locator("#score-section").is_visible()

    # MusicXML download.
    with page.expect_download() as info:
        page.click("#download-musicxml")
    download = info.value
    assert download.suggested_filename.endswith(".musicxml")
    assert open(download.path(), "rb").read(200).startswith(b"<?xml")
    # The dashboard lists the song once: its latest version, "2 versions".
    v2_page = page.url
    page.click("#nav-dashboard")
    items = page.locator("[data-testid=song-item]")
    assert items.count() == 1 and items.first.get_attribute("data-versions") == "2"
    assert v2_page.endswith("/songs/" + items.first.get_attribute("data-song-id"))
    assert page.text_content("[data-testid=song-versions]").strip() == "2 versions"
    page.locator("#song-list").screenshot(path=str(tmp_path / "dashboard.png"))
    assert page.js_errors == []
    shots = os.environ.get("SONATINA_SHOTS")
    if shots:
        for name in ("score-view.png", "version-history.png", "song-page.png", "score-view-v1.png", "dashboard.png"):
            shutil.copy(tmp_path / name, os.path.join(shots, name))
