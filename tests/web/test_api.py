"""The JSON API: tokens, every endpoint, ownership, CSRF for cookie sessions, the OpenAPI document."""

from __future__ import annotations

import io
from pathlib import Path

import symusic

from webhelpers import PASSWORD, csrf_token, regenerate


def token_for(client, auth, username="ada") -> dict:
    auth.signup(username)
    response = client.post("/api/token", json={"username": username, "password": PASSWORD, "name": "tests"})
    assert response.status_code == 201
    return {"Authorization": f"Bearer {response.json['token']}"}


def test_token_login_and_refusals(client, auth):
    auth.signup()
    assert client.post("/api/token", json={"username": "ada", "password": "bad"}).status_code == 401
    assert client.post("/api/token", data="nonsense").json == {"error": "Send a JSON object with 'username' and 'password'."}
    for _ in range(4):
        client.post("/api/token", json={"username": "ada", "password": "bad"})
    limited = client.post("/api/token", json={"username": "ada", "password": PASSWORD})
    assert limited.status_code == 429


def test_endpoints_need_authentication(client):
    for method, url in (("get", "/api/me"), ("get", "/api/songs"), ("post", "/api/generate"),
                        ("get", "/api/jobs/abc"), ("get", "/api/songs/1"), ("delete", "/api/songs/1"),
                        ("get", "/api/songs/1/download/midi")):
        response = getattr(client, method)(url)
        assert response.status_code == 401, url
        assert "Authentication required" in response.json["error"]
    bad = client.get("/api/me", headers={"Authorization": "Bearer son_not_a_token"})
    assert bad.status_code == 401


def test_generate_poll_list_get_rename_download_delete(app, client, auth, model_name):
    headers = token_for(client, auth)
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})  # the token alone must do
    assert client.get("/api/me", headers=headers).json["username"] == "ada"
    models = client.get("/api/models", headers=headers).json["models"]
    assert model_name in [m["name"] for m in models] and all("path" not in m for m in models)
    assert len(client.get("/api/instruments", headers=headers).json["instruments"]) == 128

    response = client.post("/api/generate", headers=headers,
                           json={"model": model_name, "seconds": 9, "seed": 5, "variations": 2, "instrument": "strings"})
    assert response.status_code == 202, response.json
    job = client.get(response.json["urls"]["self"], headers=headers).json
    assert job["status"] == "done" and job["progress"] == 1 and len(job["songs"]) == 2
    first = job["songs"][0]
    assert first["seed"] == 5 and first["settings"]["instrument"] == 48

    listing = client.get("/api/songs?per_page=1", headers=headers).json
    assert listing["total"] == 2 and len(listing["songs"]) == 1 and listing["songs"][0]["id"] == job["songs"][1]["id"]
    song = client.get(f"/api/songs/{first['id']}", headers=headers).json
    assert song["title"] == first["title"]

    renamed = client.patch(f"/api/songs/{first['id']}", headers=headers, json={"title": "API tune"})
    assert renamed.status_code == 200 and renamed.json["title"] == "API tune"
    assert client.patch(f"/api/songs/{first['id']}", headers=headers, json={"title": " "}).status_code == 400

    midi = client.get(first["urls"]["midi"], headers=headers)
    assert midi.status_code == 200
    assert abs(symusic.Score.from_midi(midi.data).to("second").end() - 9) < 1.5

    again = client.post(f"/api/songs/{first['id']}/again", headers=headers, json={"same_seed": True})
    assert again.status_code == 202 and again.json["songs"][0]["seed"] == 5

    assert client.delete(f"/api/songs/{first['id']}", headers=headers).status_code == 204
    assert client.get(f"/api/songs/{first['id']}", headers=headers).status_code == 404
    assert client.get("/api/songs", headers=headers).json["total"] == 2


def test_generate_refuses_bad_input_with_one_sentence(app, client, auth, model_name):
    headers = token_for(client, auth)
    cases = [
        ({"model": model_name, "seconds": "forever"}, "Length in seconds must be a number"),
        ({"model": model_name, "variations": 50}, "Number of variations must be between 1 and 8"),
        ({"model": model_name, "genre": "polka"}, "has no genre 'polka'"),
    ]
    for body, message in cases:
        response = client.post("/api/generate", headers=headers, json=body)
        assert response.status_code == 400 and message in response.json["error"]
    assert client.post("/api/generate", headers=headers, data="[1,2]", content_type="application/json").status_code == 400
    primer = client.post("/api/generate", headers=headers, content_type="multipart/form-data",
                         data={"model": model_name, "primer": (io.BytesIO(b"garbage"), "p.mid")})
    assert primer.status_code == 400 and "could not be read as music" in primer.json["error"]
    assert not [p for p in Path(app.config["FILES_DIR"]).rglob("*") if p.is_file()]


def test_other_users_songs_and_jobs_are_404(client, auth, model_name):
    ada = token_for(client, auth, "ada")
    job = client.post("/api/generate", headers=ada, json={"model": model_name, "seconds": 6}).json
    song_id = job["songs"][0]["id"]
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    bob = token_for(client, auth, "bob")
    assert client.get(f"/api/jobs/{job['id']}", headers=bob).status_code == 404
    for method, url in (("get", f"/api/songs/{song_id}"), ("delete", f"/api/songs/{song_id}"),
                        ("patch", f"/api/songs/{song_id}"), ("get", f"/api/songs/{song_id}/download/midi"),
                        ("post", f"/api/songs/{song_id}/again")):
        response = getattr(client, method)(url, headers=bob, json={"title": "x"})
        assert response.status_code == 404, url
        assert "title" not in response.json
    assert client.get("/api/songs", headers=bob).json["total"] == 0
    assert client.get(f"/api/songs/{song_id}", headers=ada).json["id"] == song_id


def test_cookie_session_needs_csrf_header_for_writes(client, auth, model_name):
    auth.signup()
    assert client.get("/api/songs").status_code == 200  # reads work with the session
    body = {"model": model_name, "seconds": 6}
    refused = client.post("/api/generate", json=body)
    assert refused.status_code == 400 and "security token" in refused.json["error"]
    accepted = client.post("/api/generate", json=body, headers={"X-CSRFToken": csrf_token(client, "/dashboard")})
    assert accepted.status_code == 202


def test_openapi_document_covers_every_api_route(app, client):
    spec = client.get("/api/openapi.json").json
    assert spec["openapi"].startswith("3.") and spec["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    documented = {(path, method) for path, ops in spec["paths"].items() for method in ops}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/") or rule.rule in ("/api/openapi.json", "/api/docs"):
            continue
        path = rule.rule.replace("<int:", "{").replace("<", "{").replace(">", "}")
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert (path, method.lower()) in documented, (path, method)
    docs = client.get("/api/docs").get_data(as_text=True)
    assert "/api/generate" in docs and "Bearer" in docs


def test_me_counts_songs_as_the_dashboard_does_and_their_versions(client, auth, make_song):
    headers = token_for(client, auth)
    first = make_song()
    v2 = regenerate(auth, first)
    regenerate(auth, v2, seed=5)
    make_song(seed="8")
    me = client.get("/api/me", headers=headers).json
    assert (me["songs"], me["versions"]) == (2, 4)  # a song and its two edits are one song
    assert "2 songs" in client.get("/dashboard").get_data(as_text=True)
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    other = token_for(client, auth, "grace")  # another user's songs are not counted, nor counted for them
    assert (client.get("/api/me", headers=other).json["songs"], client.get("/api/me", headers=headers).json["songs"]) \
        == (0, 2)
    schema = client.get("/api/openapi.json").json["paths"]["/api/me"]["get"]["responses"]["200"]
    assert {"songs", "versions"} <= set(schema["content"]["application/json"]["schema"]["properties"])
