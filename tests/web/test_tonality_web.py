"""The studio's generate form and the JSON API take the scale strength from GenerationRequest."""

from __future__ import annotations

from webhelpers import api_refusal, assert_input_takes_spec_bounds, form_refusal, generate_schema, made_song
from sonatina.request import GenerationRequest
from test_api import token_for


def test_the_form_offers_the_scale_strength_with_the_specs_bounds(client, auth):
    auth.signup()
    assert_input_takes_spec_bounds(client, GenerationRequest["scale_strength"])
    assert "scale_strength" in generate_schema(client)["properties"]


def test_a_song_keeps_its_scale_strength_and_bad_ones_are_refused(app, client, auth, model_name):
    auth.signup()
    assert "Scale strength must be between 0 and 10" in form_refusal(auth, model_name, scale_strength="11")
    assert "Scale strength" in api_refusal(client, token_for(client, auth), model_name, scale_strength=-1)
    _, settings = made_song(app, auth, model_name, scale_strength="2.5")
    assert settings["scale_strength"] == 2.5


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
    song_id, _ = made_song(app, auth, model_name, seconds="12", scale_strength="1.5",
                           primer=(io.BytesIO((tmp_path / "flute.mid").read_bytes()), "flute.mid"))
    page = client.get(f"/songs/{song_id}").get_data(as_text=True)
    assert 'data-setting="scale_strength">1.5 nats<' in page
    assert "texture monophonic" in page and "instrument Flute" in page
