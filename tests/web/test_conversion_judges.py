"""A converted song's page says what the judges of its new parts hear (model.judges), stored with
the song when it is made, beside the whole-piece classifier's line, which names the kept melody."""

from __future__ import annotations

import io
import re

from sonatina import api
from sonatina.web.extensions import db
from sonatina.web.models import Song
from test_convert_pages import convert_form, song_id_of_job, tune_midi


def test_conversion_page_shows_the_part_judges_stored_once(app, auth, client, monkeypatch):
    auth.signup()
    made = convert_form(auth, source=(io.BytesIO(tune_midi()), "my tune.mid"), to="jazz")
    song_id = song_id_of_job(client, made.headers["Location"])
    settings = client.get(f"/api/songs/{song_id}").json["settings"]
    parts = settings["parts_sound_like"]
    accompaniment, drums = parts["accompaniment"], parts["drums"]
    # every class each judge knows, likeliest first, as the judges themselves hear the new parts
    for tags in (accompaniment, drums):
        chances = [p for _genre, p in tags]
        assert chances == sorted(chances, reverse=True) and abs(sum(chances) - 1) < 0.01
    assert "jazz" in [g for g, _ in drums] and "jazz" not in [g for g, _ in accompaniment]

    def no_judging(*_args, **_kwargs):
        raise AssertionError("the song page judged the piece again")

    monkeypatch.setattr(api, "judge", no_judging)  # the page reads the stored verdicts
    monkeypatch.setattr(api, "classify", no_judging)
    html = client.get(f"/songs/{song_id}").get_data(as_text=True)
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", re.search(r'id="parts-genres".*?</p>', html, re.S).group(0)))
    top, chance = accompaniment[0]
    *others, last = sorted(g for g, _ in accompaniment)
    assert f"its new accompaniment as {top} ({round(chance * 100)} %), though this judge knows only " \
           f"{', '.join(others)} and {last}, not jazz;" in text
    assert f"drums as {drums[0][0]} ({round(drums[0][1] * 100)} %)." in text
    assert "whole-piece genre classifier, which hears the kept melody" in html


def test_folk_has_no_drums_and_an_old_conversion_still_shows(app, auth, client):
    auth.signup()
    made = convert_form(auth, source=(io.BytesIO(tune_midi()), "my tune.mid"), to="folk")
    song_id = song_id_of_job(client, made.headers["Location"])
    html = client.get(f"/songs/{song_id}").get_data(as_text=True)
    assert re.search(r'data-testid="judged-drums">it has no drums</span>', html)
    with app.app_context():  # a conversion made before the verdicts were stored
        song = db.session.get(Song, song_id)
        song.settings = {k: v for k, v in song.settings.items() if k != "parts_sound_like"}
        db.session.commit()
    old = client.get(f"/songs/{song_id}")
    page = old.get_data(as_text=True)
    assert old.status_code == 200 and 'id="parts-genres"' not in page and 'id="sounds-like-converted"' in page
