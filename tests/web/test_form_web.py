"""The studio's generate form and the JSON API take the form plan from GenerationRequest."""

from __future__ import annotations

from webhelpers import api_refusal, form_refusal, generate_page_match, generate_schema, made_song
from test_api import token_for


def test_the_form_offers_the_forms_and_the_api_documents_them(client, auth):
    auth.signup()
    select = generate_page_match(client, r'<select[^>]*id="form".*?</select>')
    for value in ('value=""', 'value="AABA"', 'value="ABABCB"', 'value="none"'):
        assert value in select, value
    assert "form" in generate_schema(client)["properties"]


def test_a_song_keeps_its_form_and_a_bad_one_is_refused(app, client, auth, model_name):
    auth.signup()
    assert "Form must be 2 to 16 section letters A-H" in form_refusal(auth, model_name, form="AXB")
    assert "section letters" in api_refusal(client, token_for(client, auth), model_name, form="Q")
    _, settings = made_song(app, auth, model_name, seconds="12", form="ABAB")
    assert settings["form"] == "ABAB" and settings["form_section_bars"] == 2
