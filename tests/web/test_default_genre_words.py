"""What the generate form and the help say about the genre left blank match what is composed."""

from __future__ import annotations

from webhelpers import generate_page_match

from sonatina.model.registry import LoadedModel
from sonatina.request import GenerationRequest


def test_the_blank_genre_is_named_for_what_it_does(client, auth):
    # it was "Any style" and "the model's first" (chorale), while every piece came out pop:
    # the model's main style, the genre it learned the most music of
    assert "learned the most music of" in GenerationRequest["genre"].help
    assert "most music" in LoadedModel.default_genre.__doc__
    auth.signup()
    select = generate_page_match(client, r'<select[^>]*id="genre".*?</select>')
    assert "main style</option>" in select and "Any style" not in select
