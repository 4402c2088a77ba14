"""The Convert form's melody track: the chosen song's tracks listed, a number taken, a bad one refused."""

from __future__ import annotations

import io
from html import unescape

from test_convert_pages import convert_form, files_in, make_tune, song_id_of_job, tune_midi  # noqa: F401

from sonatina.web.models import Song


def test_the_form_lists_the_chosen_songs_tracks(auth, client, make_tune):  # noqa: F811
    auth.signup()
    song = make_tune()
    html = unescape(client.get(f"/studio/convert?song={song}").get_data(as_text=True))
    assert 'name="melody_track"' in html and 'list="melody-tracks"' in html and 'min="0"' in html
    tracks = client.get(f"/studio/convert/songs/{song}/tracks").json["tracks"]
    assert tracks and tracks[0]["index"] == 0 and tracks[0]["notes"] > 0
    assert f'Tracks of this song: 0 {tracks[0]["name"]} ({tracks[0]["instrument"]}, {tracks[0]["notes"]} notes)' in html
    assert '<option value="0" label=' in html
    blank = unescape(client.get("/studio/convert").get_data(as_text=True))
    assert "Which track holds the tune, counting from 0" in blank and "js/convert.js" in blank


def test_another_users_song_has_no_tracks_to_show(auth, client, make_tune):  # noqa: F811
    auth.signup("ada")
    song = make_tune()
    auth.logout()
    auth.signup("bob")
    assert client.get(f"/studio/convert/songs/{song}/tracks").status_code == 404
    assert client.get("/studio/convert/songs/99999999999999999999/tracks").status_code == 404
    html = client.get(f"/studio/convert?song={song}").get_data(as_text=True)
    assert "Tracks of this song" not in html


def test_a_track_number_is_used_and_a_bad_one_refused_in_one_sentence(app, auth, client):
    auth.signup()
    for value, message in (("5", "There is no track 5 in 't.mid'; it has tracks 0-1."),
                           ("two", "Melody track must be a number, not 'two'."),
                           ("1.5", "Melody track must be a whole number"),
                           ("-1", "Melody track must be between 0 and 255, not -1.")):
        response = convert_form(auth, melody_track=value, source=(io.BytesIO(tune_midi()), "t.mid"))
        html = unescape(response.get_data(as_text=True))
        assert response.status_code == 400 and message in html, (value, html[:2000])
        assert html.count('data-testid="field-error"') == 1 and 'id="convert-form"' in html
    assert not files_in(app)
    made = convert_form(auth, melody_track="1", source=(io.BytesIO(tune_midi()), "t.mid"))
    assert made.status_code == 302, unescape(made.get_data(as_text=True))[:2000]
    song_id = song_id_of_job(client, made.headers["Location"])
    with app.app_context():
        from sonatina.web.extensions import db

        song = db.session.get(Song, song_id)
        assert song.settings["melody_track"] == 1
