"""The studio's generate form and the JSON API take the pitch range from GenerationRequest (issue 11)."""

from __future__ import annotations

from webhelpers import api_refusal, assert_input_takes_spec_bounds, form_refusal, generate_schema, made_song
from sonatina.request import GenerationRequest
from test_api import token_for


def test_the_form_offers_the_pitch_range_with_the_specs_bounds(client, auth):
    auth.signup()
    assert_input_takes_spec_bounds(client, GenerationRequest["pitch_range"])
    assert "pitch_range" in generate_schema(client)["properties"]


def test_a_song_keeps_its_pitch_range_and_bad_ones_are_refused(app, client, auth, model_name):
    auth.signup()
    assert "Pitch range must be between 12 and 127, not 5" in form_refusal(auth, model_name, pitch_range="5")
    assert "Pitch range" in api_refusal(client, token_for(client, auth), model_name, pitch_range=200)
    song_id, settings = made_song(app, auth, model_name, pitch_range="30")
    assert settings["pitch_range"] == 30
    page = client.get(f"/songs/{song_id}").get_data(as_text=True)
    assert 'data-setting="pitch_range">30 semitones<' in page
