"""The studio's generate form and the JSON API take the scale strength from GenerationRequest."""

from __future__ import annotations

import re

from webhelpers import generate
from sonatina.request import GenerationRequest
from sonatina.web.extensions import db
from sonatina.web.models import Song
from test_api import token_for


def test_the_form_offers_the_scale_strength_with_the_specs_bounds(client, auth):
    auth.signup()
    html = client.get("/studio/generate").get_data(as_text=True)
    field = re.search(r'<input[^>]*id="scale_strength"[^>]*>', html).group(0)
    spec = GenerationRequest["scale_strength"]
    assert f'min="{spec.minimum:g}"' in field and f'max="{spec.maximum:g}"' in field
    schema = client.get("/api/openapi.json").json["components"]["schemas"]["GenerateRequest"]
    assert "scale_strength" in schema["properties"]


def test_a_song_keeps_its_scale_strength_and_bad_ones_are_refused(app, client, auth, model_name):
    auth.signup()
    refused = generate(auth, model_name, scale_strength="11")
    assert refused.status_code == 400
    assert "Scale strength must be between 0 and 10" in refused.get_data(as_text=True)
    api = client.post("/api/generate", headers=token_for(client, auth), json={"model": model_name, "scale_strength": -1})
    assert api.status_code == 400 and "Scale strength" in api.json["error"]
    made = generate(auth, model_name, scale_strength="2.5")
    assert made.status_code in (302, 303), made.get_data(as_text=True)[:300]
    with app.app_context():
        song = db.session.query(Song).order_by(Song.id.desc()).first()
        assert song.settings["scale_strength"] == 2.5


def test_the_song_page_shows_the_strength_and_what_the_primer_decided(app, client, auth, model_name, tmp_path):
    import io

    from helpers import make_score

    auth.signup()
    primer = make_score(seed=3, bars=2)
    primer.tracks = [primer.tracks[0]]  # the melody alone: a solo line
    for note in primer.tracks[0].notes:
        note.duration = min(note.duration, 240)
    primer.tracks[0].program = 73
    primer.dump_midi(str(tmp_path / "flute.mid"))
    made = generate(auth, model_name, seconds="12", scale_strength="1.5",
                    primer=(io.BytesIO((tmp_path / "flute.mid").read_bytes()), "flute.mid"))
    assert made.status_code in (302, 303)
    with app.app_context():
        song = db.session.query(Song).order_by(Song.id.desc()).first()
        song_id = song.id
    page = client.get(f"/songs/{song_id}").get_data(as_text=True)
    assert 'data-setting="scale_strength">1.5 nats<' in page
    assert "texture monophonic" in page and "instrument Flute" in page
