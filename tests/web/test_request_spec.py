"""One GenerationRequest: every entry point refuses the same value with the same sentence; JSON
types are strict; generate's --out never writes the wrong kind of file; pages never overflow."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

from sonatina.cli.core_commands import generate as generate_command
from sonatina.request import GenerationRequest
from webhelpers import assert_input_takes_spec_bounds, generate, generate_schema
from test_api import token_for


def cli_error(*args) -> tuple[int, str]:
    result = CliRunner().invoke(generate_command, list(args))
    return result.exit_code, result.output.strip()


@pytest.mark.parametrize("name,value", [("seconds", "601"), ("tempo", "29"), ("temperature", "3.5"),
                                        ("variations", "9"), ("top_p", "0"), ("seed", "-1")])
def test_cli_form_and_api_refuse_the_same_value_with_the_same_sentence(client, auth, model_name, name, value):
    with pytest.raises(Exception) as refused:
        GenerationRequest.validate({name: value})
    sentence = str(refused.value)
    code, output = cli_error(f"--{name.replace('_', '-')}", value, "--out", "x.mid")
    assert code == 2 and output == f"Error: {sentence}"
    headers = token_for(client, auth)
    api = client.post("/api/generate", headers=headers, json={"model": model_name, name: float(value)})
    assert api.status_code == 400 and api.json["error"] == sentence
    page = generate(auth, model_name, **{name: value})
    assert page.status_code == 400 and sentence in page.get_data(as_text=True).replace("&#39;", "'")


def test_form_bounds_are_the_specs(client, auth):
    auth.signup()
    assert_input_takes_spec_bounds(client, GenerationRequest["seconds"])
    schema = generate_schema(client)
    assert schema["properties"]["seconds"]["anyOf"][0] == {"type": "number", "minimum": 5, "maximum": 600}


@pytest.mark.parametrize("body,words", [({"model": 5}, "Model must be text"), ({"genre": 7}, "Genre must be text"),
                                        ({"key": 5}, "Key must be text"), ({"key": ["C"]}, "Key must be text"),
                                        ({"top_k": 1.5}, "Top-k must be a whole number"),
                                        ({"instrument": True}, "Instrument must be"),
                                        ({"seconds": "30"}, "must be a number"), ({"colour": "red"}, "Unknown setting")])
def test_bad_json_types_are_400_with_one_sentence(client, auth, body, words):
    response = client.post("/api/generate", headers=token_for(client, auth), json=body)
    assert response.status_code == 400 and words in response.json["error"]


@pytest.mark.parametrize("args,words", [
    (["--out", "n.wav"], "must end in .mid or .midi, not 'n.wav'; for audio add --audio wav"),
    (["--out", "n.mp3", "--audio", "mp3"], "must end in .mid or .midi"),
    (["--out", "n"], "must end in .mid or .midi"),
    (["--out", "p.mid", "--primer", "p.mid"], "would overwrite the primer"),
])
def test_generate_out_suffixes(args, words, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, output = cli_error(*args)
    assert code == 2 and words in output and len(output.splitlines()) == 1
    assert not list(tmp_path.iterdir())


def test_page_numbers_never_overflow(client, auth):
    headers = token_for(client, auth)
    assert client.get("/dashboard?page=" + "9" * 30).status_code == 200
    assert client.get("/dashboard?page=abc").status_code == 200
    huge = client.get("/api/songs?page=99999999999999999999", headers=headers)
    assert huge.status_code == 400 and "'page' must be a whole number" in huge.json["error"]


def test_405_names_allowed_methods_and_timestamps_carry_offsets(client, auth):
    headers = token_for(client, auth)
    refused = client.put("/api/songs", headers=headers)
    assert refused.status_code == 405 and "GET" in refused.headers["Allow"]
    assert re.search(r"[+-]\d\d:\d\d$", client.get("/api/me", headers=headers).json["created_at"])
    docs = client.get("/api/docs").get_data(as_text=True)
    assert "`" not in docs.split('id="api-description"')[1].split("</p>")[0]
