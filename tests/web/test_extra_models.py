"""SONATINA_MODELS (MODEL_PATHS): a run folder that cannot be loaded is left out, with a warning in
the server's log, instead of breaking every page and call that lists models."""

from __future__ import annotations

import logging

import pytest

from webhelpers import PASSWORD, generate


@pytest.fixture
def app_config(app_config, tmp_path):
    # a typo in the admin's list: before, /api/models, the generate page and every generation
    # answered "No model '.../missing_run'" to every user, whatever model they asked for
    return {**app_config, "MODEL_PATHS": [*app_config["MODEL_PATHS"], str(tmp_path / "missing_run")]}


def test_an_unusable_extra_model_is_left_out_and_logged(client, auth, model_name, caplog):
    auth.signup()
    token = client.post("/api/token", json={"username": "ada", "password": PASSWORD}).json["token"]
    with caplog.at_level(logging.WARNING, logger="sonatina.web.songs"):
        listed = client.get("/api/models", headers={"Authorization": f"Bearer {token}"})
    assert listed.status_code == 200
    names = [m["name"] for m in listed.json["models"]]
    assert model_name in names and "missing_run" not in names
    assert "missing_run is left out" in caplog.text
    assert client.get("/studio/generate").status_code == 200
    assert generate(auth, model_name).status_code == 302  # the good run folder still composes
