"""The studio's genre conversion: the Convert page, POST /api/convert, the job, the A/B song
page with both piano rolls, the dashboard's "converted from" line, and every refusal."""

from __future__ import annotations

import io
import re
from html import unescape
from pathlib import Path

import pytest
from symusic import Note, Score, Tempo, Track

from helpers import PASSWORD, upgrade_with_two_songs
from webhelpers import csrf_token, generate


def line_midi(notes: int) -> bytes:
    """One track of `notes` quarter notes: 3 are no melody, 1,000 bars are past a movement."""
    score = Score(480)
    score.tracks.append(Track(name="Line"))
    score.tracks[0].notes.extend(Note(i * 480, 480, 60 + i % 12, 80) for i in range(notes))
    return score.dumps_midi()


def tune_midi(drums_only: bool = False) -> bytes:
    """Eight bars of a tune over block chords (or only a drum kit), as MIDI bytes."""
    score = Score(480)
    score.tempos = [Tempo(0, qpm=110.0)]
    if drums_only:
        kit = Track(name="Drums", is_drum=True)
        kit.notes.extend(Note(i * 480, 120, 36 + (i % 2) * 2, 90) for i in range(32))
        score.tracks.append(kit)
        return score.dumps_midi()
    tune, piano = Track(name="Melody"), Track(name="Piano")
    line = [64, 67, 72, 67, 69, 67, 65, 64]
    for beat in range(32):
        tune.notes.append(Note(beat * 480, 480, line[beat % 8], 90))
    for bar, chord in enumerate([(48, 52, 55), (45, 48, 52), (41, 45, 48), (43, 47, 50)] * 2):
        piano.notes.extend(Note(bar * 1920, 1920, p, 60) for p in chord)
    score.tracks.extend([tune, piano])
    return score.dumps_midi()


def convert_form(auth, follow=False, **fields):
    data = {"to": "jazz", "model": "default", "strength": "1", "keep": "melody", "seed": "3", "variations": "1",
            **fields}
    return auth.post("/studio/convert", data, content_type="multipart/form-data", follow_redirects=follow)


def song_id_of_job(client, location: str) -> int:
    page = client.get(location)
    assert page.status_code == 302 and "/songs/" in page.headers["Location"], re.findall(r"job-status.*?</p>", page.get_data(as_text=True), re.S)
    return int(page.headers["Location"].rsplit("/", 1)[1])


@pytest.fixture
def make_tune(auth, client):
    """A song of the shipped model, long enough to carry a melody; returns its id."""

    def _make() -> int:
        made = generate(auth, "default", seconds="12", seed="7")
        assert made.status_code == 302, made.get_data(as_text=True)
        return song_id_of_job(client, made.headers["Location"])

    return _make


def files_in(app) -> set[str]:
    return {str(p) for p in Path(app.config["FILES_DIR"]).rglob("*") if p.is_file()}


def token_for(client, auth, name: str) -> dict:
    auth.signup(name)
    token = client.post("/api/token", json={"username": name, "password": PASSWORD}).json["token"]
    return {"Authorization": f"Bearer {token}"}


def test_nav_and_form_offer_conversion(auth, client, make_song):
    auth.signup()
    song = make_song()
    dashboard = client.get("/dashboard").get_data(as_text=True)
    assert 'id="nav-convert"' in dashboard and 'id="dashboard-convert"' in dashboard
    page = client.get(f"/studio/convert?song={song}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'id="convert-form"' in html
    for genre in ("classical", "folk", "jazz", "pop", "rock"):
        assert f'value="{genre}"' in html
    assert re.search(rf'<option selected value="{song}"|<option value="{song}" selected', html)  # preselected
    assert 'name="strength"' in html and 'max="1"' in html and 'name="keep"' in html and 'name="instrument"' in html


def test_upload_converts_and_the_song_page_has_a_b_and_both_rolls(app, auth, client):
    auth.signup()
    made = convert_form(auth, source=(io.BytesIO(tune_midi()), "my tune.mid"), instrument="66")
    assert made.status_code == 302 and "/studio/jobs/" in made.headers["Location"]
    song_id = song_id_of_job(client, made.headers["Location"])
    html = client.get(f"/songs/{song_id}").get_data(as_text=True)
    assert "my tune as jazz" in html
    assert re.search(r'data-setting="instrument">Tenor Sax \(program 66\)', html)
    assert 'data-setting="source">my tune.mid' in html and 'data-setting="primer"' not in html
    settings = client.get(f"/api/songs/{song_id}").json["settings"]
    for tags in (settings["sounds_like"], settings["source_sounds_like"]):  # the classifier's top three
        chances = [p for _genre, p in tags]
        assert len(tags) == 3 and chances == sorted(chances, reverse=True) and 0 < sum(chances) <= 1.002
    top = settings["sounds_like"][0][0]
    assert re.search(rf'id="sounds-like-converted" data-testid="sounds-like-converted">{top} \d+ %', html)
    assert 'id="ab-switch"' in html and 'data-side="converted"' in html
    assert 'id="roll-original"' in html and 'id="roll-converted"' in html
    notes = dict(re.findall(r'id="(roll-\w+)" data-notes="(\d+)"', html))
    assert int(notes["roll-original"]) == 32 + 24 and int(notes["roll-converted"]) > 32  # new parts written
    assert f'data-midi-url="/songs/{song_id}/download/midi"' in html
    a_side = client.get(f"/songs/{song_id}?play=original").get_data(as_text=True)
    assert f'data-midi-url="/songs/{song_id}/original.mid"' in a_side and 'data-side="original"' in a_side
    original = client.get(f"/songs/{song_id}/original.mid")
    assert original.status_code == 200 and Score.from_midi(original.data).note_num() == 56
    converted = Score.from_midi(client.get(f"/songs/{song_id}/download/midi").data)
    melody = sorted((n.time * 480 // converted.ticks_per_quarter, n.pitch) for t in converted.tracks
                    if t.name == "Melody" for n in t.notes)
    assert [p for _, p in melody] == [[64, 67, 72, 67, 69, 67, 65, 64][i % 8] for i in range(32)]
    assert any(t.programs if hasattr(t, "programs") else t.program == 66 for t in converted.tracks if t.name == "Melody")
    dashboard = client.get("/dashboard").get_data(as_text=True)
    assert re.search(r'data-testid="song-source">converted from\s+my tune.mid', dashboard)


def test_converting_one_of_your_songs_links_back_and_survives_its_deletion(app, auth, client, make_tune):
    auth.signup()
    source = make_tune()
    title = client.get(f"/api/songs/{source}").json["title"]
    made = convert_form(auth, song_id=str(source), to="rock")
    song_id = song_id_of_job(client, made.headers["Location"])
    page = client.get(f"/songs/{song_id}").get_data(as_text=True)
    assert f'href="/songs/{source}">{title}</a>' in page and 'id="ab-switch"' in page
    dashboard = client.get("/dashboard").get_data(as_text=True)
    assert f'href="/songs/{source}">{title}</a></span>' in dashboard
    assert client.get(f"/api/songs/{song_id}").json["source_song_id"] == source
    assert auth.post(f"/songs/{source}/delete").status_code == 302
    after = client.get(f"/api/songs/{song_id}").json
    assert after["source_song_id"] is None and after["source_name"] == title  # ON DELETE SET NULL
    page = client.get(f"/songs/{song_id}").get_data(as_text=True)
    assert 'id="ab-switch"' in page and client.get(f"/songs/{song_id}/original.mid").status_code == 200
    again = auth.post(f"/studio/songs/{song_id}/again")
    assert again.status_code == 302
    redo = song_id_of_job(client, again.headers["Location"])
    assert client.get(f"/songs/{redo}/download/midi").data == client.get(f"/songs/{song_id}/download/midi").data
    # the stored original goes only with the last conversion that uses it
    auth.post(f"/songs/{song_id}/delete")
    assert client.get(f"/songs/{redo}/original.mid").status_code == 200
    auth.post(f"/songs/{redo}/delete")
    assert not files_in(app)


@pytest.mark.parametrize("fields, upload, message", [
    ({"to": "polka"}, None, "Target genre must be one of classical, folk, jazz, pop, rock"),
    ({"to": ""}, None, "Choose a target genre"),
    ({"strength": "1.5"}, None, "Strength must be between 0 and 1, not 1.5"),
    ({"strength": "lots"}, None, "Strength must be a number"),
    ({"keep": "drums"}, None, "Keep must be one of melody, melody+bass"),
    ({}, None, "Choose a piece to convert"),
    ({}, (b"MThd garbage", "bad.mid"), "The piece 'bad.mid' could not be read as music"),
    ({}, (b"", "empty.mid"), "The piece file is empty"),
    ({}, (b"%PDF-1.4", "notes.pdf"), "The piece must be a MIDI, MusicXML, ABC or Humdrum file"),
    ({}, (tune_midi(drums_only=True), "beat.mid"), "The piece 'beat.mid' has no pitched notes"),
])
def test_bad_form_input_is_refused_with_one_sentence_and_nothing_kept(app, auth, client, fields, upload, message):
    auth.signup()
    data = dict(fields)
    if upload is None and "to" in fields or "strength" in fields or "keep" in fields:
        upload = (tune_midi(), "tune.mid")
    if upload is not None:
        data["source"] = (io.BytesIO(upload[0]), upload[1])
    response = convert_form(auth, **data)
    html = unescape(response.get_data(as_text=True))
    assert response.status_code == 400 and message in html, html[:3000]
    assert 'id="convert-form"' in html  # the form again, with what was chosen
    assert not files_in(app) and client.get("/api/songs").json["total"] == 0


def test_another_users_song_is_not_found(auth, client, make_song):
    auth.signup("ada")
    theirs = make_song()
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    auth.signup("bob")
    assert convert_form(auth, song_id=str(theirs)).status_code == 404
    bob = {"X-CSRFToken": csrf_token(client, "/dashboard")}
    assert client.post("/api/convert", headers=bob, json={"song_id": theirs, "to": "jazz"}).status_code == 404
    assert client.get("/api/songs").json["total"] == 0


def test_api_converts_a_song_and_an_upload(app, client, auth, make_tune):
    headers = token_for(client, auth, "ada")
    source = make_tune()
    job = client.post("/api/convert", headers=headers, json={"song_id": source, "to": "pop", "seed": 4,
                                                              "variations": 2})
    assert job.status_code == 202, job.json
    body = job.json
    assert body["kind"] == "convert" and body["source_song_id"] == source and body["status"] == "done"
    assert [s["source_song_id"] for s in body["songs"]] == [source, source]
    assert [s["settings"]["seed"] for s in body["songs"]] == [4, 5]
    assert all(s["genre"] == "pop" and s["settings"]["kind"] == "convert" for s in body["songs"])
    upload = client.post("/api/convert", headers=headers, content_type="multipart/form-data",
                         data={"to": "classical", "strength": "0.5", "source": (io.BytesIO(tune_midi()), "t.mid")})
    assert upload.status_code == 202 and upload.json["source_name"] == "t.mid", upload.json
    song = upload.json["songs"][0]
    assert song["source_name"] == "t.mid" and song["settings"]["strength"] == 0.5
    assert client.get(f"/api/jobs/{upload.json['id']}", headers=headers).json["kind"] == "convert"


@pytest.mark.parametrize("body, message", [
    ({"song_id": 1, "to": "polka"}, "Target genre must be one of"),
    ({"song_id": 1, "to": "jazz", "strength": 2}, "Strength must be between 0 and 1, not 2"),
    ({"song_id": 1, "to": "jazz", "strength": "1"}, "Strength must be a number"),
    ({"song_id": 1}, "Choose a target genre"),
    ({"to": "jazz"}, "Say which song to convert"),
    ({"song_id": "1", "to": "jazz"}, "'song_id' must be the id of one of your songs"),
    ({"song_id": 1, "to": "jazz", "tempi": 3}, "Unknown setting 'tempi'"),
])
def test_api_refuses_bad_json(client, auth, make_song, body, message):
    headers = token_for(client, auth, "ada")
    make_song()
    response = client.post("/api/convert", headers=headers, json=body)
    assert response.status_code == 400 and message in response.json["error"], response.json


def test_api_refuses_bad_uploads(app, client, auth):
    headers = token_for(client, auth, "ada")
    for data, message in (
        ({"to": "jazz", "source": (io.BytesIO(b"garbage"), "p.mid")}, "could not be read as music"),
        ({"to": "jazz", "source": (io.BytesIO(tune_midi(drums_only=True)), "kit.mid")}, "has no pitched notes"),
        ({"to": "jazz"}, "Send a 'source' file"),
        ({"to": "jazz", "source": (io.BytesIO(line_midi(3)), "three.mid")},
         "The piece 'three.mid' has no melody to keep"),
        ({"to": "jazz", "source": (io.BytesIO(line_midi(4000)), "long.mid")}, "The piece 'long.mid' is longer than 240 bars"),
        ({"to": "jazz", "melody_track": "5", "source": (io.BytesIO(tune_midi()), "t.mid")},
         "There is no track 5 in 't.mid'; it has tracks 0-1."),
        ({"to": "jazz", "song_id": "x", "source": (io.BytesIO(tune_midi()), "t.mid")}, "'song_id' must be"),
    ):
        response = client.post("/api/convert", headers=headers, content_type="multipart/form-data", data=data)
        assert response.status_code == 400 and message in response.json["error"], response.json
    assert not files_in(app)


def test_openapi_documents_convert_from_the_request_spec(client):
    spec = client.get("/api/openapi.json").json
    op = spec["paths"]["/api/convert"]["post"]
    schema = spec["components"]["schemas"]["ConvertRequest"]
    assert schema["required"] == ["song_id", "to"] and schema["properties"]["to"]["enum"] == [
        "classical", "folk", "jazz", "pop", "rock"]
    assert schema["properties"]["strength"]["anyOf"][0] == {"type": "number", "minimum": 0, "maximum": 1}
    multipart = op["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert multipart["required"] == ["source", "to"] and multipart["properties"]["source"]["format"] == "binary"


def _upgrade_keeps_rows_and_adds_conversions(url: str) -> None:
    """A database made at 0001 with a song of a job: 0002 adds the columns and loses nothing
    (SQLite's table rebuild would have nulled songs.job_id through ON DELETE SET NULL)."""
    from sqlalchemy import text

    engine = upgrade_with_two_songs(url, "0001")
    with engine.begin() as connection:
        assert connection.execute(text("select kind from jobs")).scalar() == "generate"
        connection.execute(text("update songs set source_song_id = 1, source_name = 't' where id = 2"))
        connection.execute(text("update jobs set source_song_id = 1"))
        connection.execute(text("delete from songs where id = 1"))
        assert connection.execute(text("select job_id, source_song_id, source_name from songs")).one() == ("j1", None, "t")
        assert connection.execute(text("select source_song_id from jobs")).scalar() is None
    engine.dispose()


def test_migration_0002_on_sqlite(tmp_path):
    _upgrade_keeps_rows_and_adds_conversions(f"sqlite:///{tmp_path / 'old.db'}")


def test_migration_0002_on_postgresql(fresh_postgres_url):
    _upgrade_keeps_rows_and_adds_conversions(fresh_postgres_url)


def test_conversions_on_sqlite(app_config):
    _conversion_chain(app_config, app_config["DATABASE_URL"])


@pytest.mark.postgres
def test_conversions_on_postgresql(app_config, fresh_postgres_url):
    _conversion_chain(app_config, fresh_postgres_url)


def _conversion_chain(app_config, url):
    """Conversions of an upload and of a song, the source song deleted (its conversion keeps
    playing A/B), then the account deleted with songs that point at songs."""
    from sqlalchemy import func, select

    from sonatina.web import create_app
    from sonatina.web.extensions import db
    from sonatina.web.models import Job, Song
    from webhelpers import AuthActions

    app = create_app({**app_config, "DATABASE_URL": url})
    client = app.test_client()
    auth = AuthActions(client)
    auth.signup("ada")
    first = song_id_of_job(client, convert_form(auth, source=(io.BytesIO(tune_midi()), "t.mid")).headers["Location"])
    second = song_id_of_job(client, convert_form(auth, song_id=str(first), to="folk").headers["Location"])
    assert client.get(f"/api/songs/{second}").json["source_song_id"] == first
    assert auth.post(f"/songs/{first}/delete").status_code == 302
    assert client.get(f"/api/songs/{second}").json["source_song_id"] is None
    assert 'id="roll-original"' in client.get(f"/songs/{second}").get_data(as_text=True)
    third = song_id_of_job(client, convert_form(auth, song_id=str(second), to="pop").headers["Location"])
    assert client.get(f"/api/songs/{third}").json["source_song_id"] == second
    assert auth.post("/account/delete", {"password": PASSWORD}).status_code == 302
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Song)) == 0
        assert db.session.scalar(select(func.count()).select_from(Job)) == 0
    assert not files_in(app)


def test_a_recording_is_transcribed_then_converted(app, auth, client, tmp_path):
    """Audio goes through the primer checks, is transcribed in the job, and the transcription is
    the original the A/B switch plays."""
    from sonatina.web import songs

    if not songs.transcription_available():
        pytest.skip("transcription is not installed")
    synth = pytest.importorskip("sonatina.audio.synth")
    (tmp_path / "t.mid").write_bytes(tune_midi())
    try:
        synth.render(tmp_path / "t.mid", tmp_path / "t.wav")
    except (OSError, RuntimeError) as exc:  # no SoundFont on this machine
        pytest.skip(f"cannot render a recording here: {exc}")
    auth.signup()
    made = convert_form(auth, source=((tmp_path / "t.wav").open("rb"), "take one.wav"))
    assert made.status_code == 302
    song_id = song_id_of_job(client, made.headers["Location"])
    html = client.get(f"/songs/{song_id}").get_data(as_text=True)
    assert "take one as jazz" in html and 'id="ab-switch"' in html
    original = Score.from_midi(client.get(f"/songs/{song_id}/original.mid").data)
    assert original.note_num() >= 32  # the tune, heard and written down
    assert not [p for p in files_in(app) if p.endswith(".wav")]  # the recording gives way to its MIDI
