"""Hostile uploads through the studio's forms and the JSON API: mutated MIDI, MusicXML, ABC, WAV,
MP3 primers and PNG photos (tests/fuzzing.py, seeded), and the MIDI file that crashes symusic
in-process, 100 times each way. No 5xx, the app keeps answering, a job never fails with an
internal error on a file that was accepted, and the user's existing songs stay intact."""

from __future__ import annotations

import html
import io
from pathlib import Path

import pytest
from fuzzing import cases, seeds
from webhelpers import PASSWORD, generate

from sonatina.web import jobs
from sonatina.web.extensions import db
from sonatina.web.models import Job, Song

CRASH = Path(__file__).parents[1] / "data" / "symusic-crash.mid"
LEAKS = ("Traceback", "MiniMidi", "iostream", "mpg123", "Illegal Audio", "music21", "Errno")


@pytest.fixture
def studio(app, client, auth, model_name):
    """A signed-up user with one song made from a real MIDI primer, and an API token."""
    auth.signup()
    first = generate(auth, model_name, primer=(io.BytesIO(seeds("midi")[0]), "theme.mid"))
    assert first.status_code == 302
    token = client.post("/api/token", json={"username": "ada", "password": PASSWORD, "name": "fuzz"}).json["token"]
    with app.app_context():
        songs = {s.id: Path(app.config["FILES_DIR"], s.midi_file).read_bytes() for s in db.session.query(Song)}
    assert songs
    return {"headers": {"Authorization": f"Bearer {token}"}, "songs": songs}


def upload(client, auth, model_name, headers, filename, data, via):
    if via == "form":
        response = generate(auth, model_name, primer=(io.BytesIO(data), filename), seconds="5")
        return response, html.unescape(response.get_data(as_text=True))
    response = client.post("/api/generate", headers=headers, content_type="multipart/form-data",
                           data={"model": model_name, "seconds": "5", "seed": "3",
                                 "primer": (io.BytesIO(data), filename)})
    return response, (response.json or {}).get("error", "")


def check_still_whole(app, client, studio):
    assert client.get("/dashboard").status_code == 200
    assert client.get("/api/songs", headers=studio["headers"]).status_code == 200
    with app.app_context():
        for song_id, midi in studio["songs"].items():
            song = db.session.get(Song, song_id)
            assert song is not None and Path(app.config["FILES_DIR"], song.midi_file).read_bytes() == midi
        failed = db.session.query(Job).filter(Job.error == jobs.INTERNAL_ERROR).count()
    assert failed == 0  # nothing accepted made a job fail with "internal error"


# (kind, cases): 100 primers through the form and the API in turn (~40 s with the jobs they start).
PLAN = [("midi", 40), ("musicxml", 10), ("mxl", 10), ("abc", 10), ("wav", 15), ("mp3", 15)]


@pytest.mark.parametrize("kind, count", PLAN)
def test_mutated_primers_never_break_the_studio(app, client, auth, model_name, studio, kind, count):
    refused = 0
    for index, (label, filename, data) in enumerate(cases(kind, count, seed=5)):
        via = ("form", "api")[index % 2]
        response, message = upload(client, auth, model_name, studio["headers"], filename, data, via)
        assert response.status_code < 500, (label, via, response.status_code, message)
        if response.status_code >= 400:
            refused += 1
            assert message and not any(leak in message for leak in LEAKS), (label, message)
    check_still_whole(app, client, studio)
    assert refused > 0


def test_mutated_photos_are_refused_or_stored_reencoded(app, client, auth, studio):
    for label, filename, data in cases("png", 30, seed=5):
        response = auth.post("/account", {"username": "ada", "email": "ada@example.com",
                                          "photo": (io.BytesIO(data), filename)}, content_type="multipart/form-data")
        assert response.status_code in (200, 302, 400), (label, response.status_code)
        if response.status_code == 400:
            assert "could not be read" in response.get_data(as_text=True) or "pixels" in response.get_data(as_text=True)
    check_still_whole(app, client, studio)


def test_the_crash_file_uploaded_100_times_each_way(app, client, auth, model_name, studio):
    data = CRASH.read_bytes()
    for attempt in range(100):
        for via in ("form", "api"):
            response, message = upload(client, auth, model_name, studio["headers"], "tune.mid", data, via)
            assert response.status_code == 400, (attempt, via, response.status_code)
            assert "The primer 'tune.mid' could not be read as music: the file is damaged" in message, message
        assert client.get("/dashboard").status_code == 200
    check_still_whole(app, client, studio)
    assert len(list(Path(app.config["FILES_DIR"], "primers").glob("*"))) == 1  # only the first song's primer


def test_division_zero_midi_is_refused_at_upload_not_in_the_job(app, client, auth, model_name, studio):
    data = seeds("midi")[0]
    zero = data[:12] + b"\x00\x00" + data[14:]  # ticks per quarter 0: MidiTok would divide by zero in the job
    for via in ("form", "api"):
        response, message = upload(client, auth, model_name, studio["headers"], "zero.mid", data=zero, via=via)
        assert response.status_code == 400 and "0 ticks per beat" in message, (via, message)
    check_still_whole(app, client, studio)
