"""The studio's generate form and the JSON API take the form plan from GenerationRequest."""

from __future__ import annotations

import re

from webhelpers import generate
from sonatina.web.extensions import db
from sonatina.web.models import Song
from test_api import token_for


def test_the_form_offers_the_forms_and_the_api_documents_them(client, auth):
    auth.signup()
    html = client.get("/studio/generate").get_data(as_text=True)
    select = re.search(r'<select[^>]*id="form".*?</select>', html, re.S).group(0)
    for value in ('value=""', 'value="AABA"', 'value="ABABCB"', 'value="none"'):
        assert value in select, value
    schema = client.get("/api/openapi.json").json["components"]["schemas"]["GenerateRequest"]
    assert "form" in schema["properties"]


def test_a_song_keeps_its_form_and_a_bad_one_is_refused(app, client, auth, model_name):
    auth.signup()
    refused = generate(auth, model_name, form="AXB")
    assert refused.status_code == 400
    assert "Form must be 2 to 16 section letters A-H" in refused.get_data(as_text=True)
    api = client.post("/api/generate", headers=token_for(client, auth), json={"model": model_name, "form": "Q"})
    assert api.status_code == 400 and "section letters" in api.json["error"]
    made = generate(auth, model_name, seconds="12", form="ABAB")
    assert made.status_code in (302, 303), made.get_data(as_text=True)[:300]
    with app.app_context():
        song = db.session.query(Song).order_by(Song.id.desc()).first()
        assert song.settings["form"] == "ABAB" and song.settings["form_section_bars"] == 2
