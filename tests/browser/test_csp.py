"""The studio's Content-Security-Policy in a real browser: every page it serves, the player
(SpessaSynth's AudioWorklet and its WebAssembly) included, works with no violation reported.
`studio` (conftest) is `sonatina serve` on a free port."""

import re

from helpers import PASSWORD

# Chromium fires `securitypolicyviolation` for everything the policy blocks; keep them all.
WATCH = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', e =>
    window.__csp.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline') + ' ' + (e.sourceFile || '')));
"""


def test_pages_and_player_keep_to_the_policy(page, studio):
    page.set_default_timeout(20_000)
    console = []
    page.on("console", lambda msg: console.append(msg.text))
    page.add_init_script(WATCH)
    seen = {}

    def visit(url=None):
        if url:
            page.goto(studio + url)
        seen[page.url] = page.evaluate("window.__csp")

    response = page.goto(studio + "/signup")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.fill("#username", "ada")
    page.fill("#email", "ada@example.com")
    page.fill("#password", PASSWORD)
    page.fill("#confirm", PASSWORD)
    page.click("#signup-submit")
    page.wait_for_selector("#nav-account")
    visit()
    visit("/studio/generate")
    page.fill("#seconds", "8")
    page.click("#generate-submit")  # the job page polls with job.js, then opens the song
    page.wait_for_url(re.compile(r"/songs/\d+"), timeout=120_000)
    page.wait_for_selector("#player[data-state='ready']", timeout=60_000)
    page.click("#player-play")
    page.wait_for_function("() => window.sonatinaPlayer.playing && window.sonatinaPlayer.currentTime > 1")
    page.wait_for_function("() => window.sonatinaPlayer.analyserLevel() > 0.001", timeout=10_000)
    visit()
    for url in ("/dashboard", "/account", "/api/docs", "/login"):
        visit(url)
    assert all(not v for v in seen.values()), seen
    assert not [line for line in console if "Content Security Policy" in line], console
    assert not page.js_errors
