"""A continued song names the file it continued (escaped: the name is the user's), on its page
and again after "make again"; it is no conversion, so the dashboard says nothing is converted."""

from __future__ import annotations

import io
from pathlib import Path

from webhelpers import generate, job_song

NAME = "a&b <riff>.mid"  # no slash: a browser sends the file's own name


def test_continued_song_names_its_primer_escaped(app, client, auth, model_name, tiny_corpus):
    auth.signup()
    primer = (Path(tiny_corpus) / "piece00.mid").read_bytes()
    song_id = job_song(auth, generate(auth, model_name, primer=(io.BytesIO(primer), NAME), seconds="30"))
    html = client.get(f"/songs/{song_id}").get_data(as_text=True)
    assert '<dd data-setting="primer">a&amp;b &lt;riff&gt;.mid</dd>' in html and "<riff>" not in html
    assert client.get(f"/api/songs/{song_id}").json["settings"]["primer"] == NAME
    assert 'data-testid="song-source"' not in client.get("/dashboard").get_data(as_text=True)
    again = job_song(auth, auth.post(f"/studio/songs/{song_id}/again", follow_redirects=False))
    assert client.get(f"/api/songs/{again}").json["settings"]["primer"] == NAME


def test_api_upload_names_its_primer(app, client, auth, model_name, tiny_corpus):
    from helpers import PASSWORD

    auth.signup("bobby")
    response = client.post("/api/token", json={"username": "bobby", "password": PASSWORD, "name": "tests"})
    assert response.status_code == 201, response.json
    token = response.json["token"]
    primer = (Path(tiny_corpus) / "piece00.mid").read_bytes()
    made = client.post("/api/generate", headers={"Authorization": f"Bearer {token}"}, content_type="multipart/form-data",
                       data={"model": model_name, "seconds": "30", "seed": "1", "primer": (io.BytesIO(primer), "theme.mid")})
    assert made.status_code == 202, made.json
    song = made.json["songs"][0]
    assert song["settings"]["primer"] == "theme.mid" and song["source_name"] is None
