"""Generation from the studio form: settings kept, variations, primers, make again / vary."""

from __future__ import annotations

import html as htmllib
import io
from pathlib import Path

import pytest
import symusic
from sqlalchemy import select

from webhelpers import generate
from sonatina.web.extensions import db
from sonatina.web.models import Job, Song


def stored(app) -> list[Path]:
    return [p for p in Path(app.config["FILES_DIR"]).rglob("*") if p.is_file()]


def text(response) -> str:
    return htmllib.unescape(response.get_data(as_text=True))


def song_row(app, song_id) -> Song:
    with app.app_context():
        return db.session.get(Song, song_id)


def test_generate_form_offers_models_genres_keys_and_instruments(client, auth, model_name):
    auth.signup()
    html = client.get("/studio/generate").get_data(as_text=True)
    for needle in (f'value="{model_name}"', 'value="general"', 'value="D minor"', 'value="19">19: Church Organ',
                   'id="generate-submit"', 'id="primer"', 'id="variations"'):
        assert needle in html, needle


def test_generate_makes_a_song_with_its_settings_and_seed(app, client, auth, model_name, make_song):
    auth.signup()
    song_id = make_song(seconds="12", key="D minor", tempo="96", instrument="48", seed="1234")
    song = song_row(app, song_id)
    assert song.seed == 1234 and song.model == model_name
    settings = song.settings
    assert (settings["key"], settings["tempo"], settings["instrument"], settings["seconds"]) == ("D minor", 96, 48, 12)
    score = symusic.Score(str(Path(app.config["FILES_DIR"]) / song.midi_file))
    assert score.note_num() > 0
    assert abs(score.to("second").end() - 12) < 1.5
    assert all(track.program == 48 for track in score.tracks if not track.is_drum)
    page = client.get(f"/songs/{song_id}").get_data(as_text=True)
    assert song.title in page and 'data-setting="seed">1234<' in page


def test_variations_make_several_songs_with_consecutive_seeds(app, client, auth, model_name):
    auth.signup()
    response = generate(auth, model_name, variations="3", seed="50")
    job_page = client.get(response.headers["Location"])
    assert job_page.status_code == 200  # several songs: the job page lists them
    html = job_page.get_data(as_text=True)
    with app.app_context():
        songs = db.session.scalars(select(Song).order_by(Song.id)).all()
        assert [s.seed for s in songs] == [50, 51, 52]
        assert all(f"/songs/{s.id}" in html for s in songs)
        assert len({s.title for s in songs}) == 3


def test_bad_settings_get_one_clear_sentence_and_no_job(app, client, auth, model_name):
    auth.signup()
    cases = {
        "seconds": ("9999", "Length in seconds must be between 5 and 600"),
        "genre": ("polka", f"Model '{model_name}' has no genre 'polka'"),
        "model": ("nonexistent", "Unknown model 'nonexistent'"),
        "key": ("H major", "Unknown key 'H major'"),
        "instrument": ("kazoo", "kazoo"),
        "temperature": ("0", "Temperature must be between"),
    }
    for field, (value, message) in cases.items():
        response = generate(auth, model_name, **{field: value})
        assert response.status_code == 400, field
        assert message in text(response), field
    with app.app_context():
        assert db.session.scalar(select(Job)) is None
    assert stored(app) == []


def test_midi_primer_is_continued(app, client, auth, model_name, tiny_corpus):
    auth.signup()
    primer = (Path(tiny_corpus) / "piece00.mid").read_bytes()
    response = generate(auth, model_name, primer=(io.BytesIO(primer), "theme.mid"), seconds="30")
    song_page = client.get(response.headers["Location"])
    assert song_page.status_code == 302, text(song_page)
    song_id = int(song_page.headers["Location"].rsplit("/", 1)[1])
    song = song_row(app, song_id)
    assert song.primer_file.startswith("primers/") and song.settings["primer"] == "theme.mid"
    assert (Path(app.config["FILES_DIR"]) / song.primer_file).read_bytes() == primer


def test_malformed_and_oversized_primers_are_refused_and_not_stored(app, client, auth, model_name):
    auth.signup()
    bad = generate(auth, model_name, primer=(io.BytesIO(b"MThd but not really a MIDI file"), "bad.mid"))
    assert bad.status_code == 400 and "could not be read" in text(bad)
    big = generate(auth, model_name, primer=(io.BytesIO(b"\0" * (3 * 1024 * 1024)), "big.mid"))
    assert big.status_code == 400 and "larger than 2 MB" in big.get_data(as_text=True)
    wrong = generate(auth, model_name, primer=(io.BytesIO(b"hello"), "notes.txt"))
    assert wrong.status_code == 400 and "The primer must be a MIDI" in wrong.get_data(as_text=True)
    assert stored(app) == []
    with app.app_context():
        assert db.session.scalar(select(Job)) is None


def test_a_primer_as_long_as_the_piece_is_refused_before_a_job_exists(app, client, auth, model_name):
    auth.signup()
    long_primer = symusic.Score(480)  # 40 beats at 120 BPM: 20 s
    track = symusic.Track(name="tune")
    track.notes.extend(symusic.Note(i * 480, 480, 60 + i % 12, 80) for i in range(40))
    long_primer.tracks.append(track)
    long_primer.tempos.append(symusic.Tempo(0, qpm=120.0))
    data = long_primer.dumps_midi()
    refused = generate(auth, model_name, primer=(io.BytesIO(data), "long.mid"), seconds="10")
    assert refused.status_code == 400 and "already lasts about 20 s" in text(refused)
    assert stored(app) == []
    with app.app_context():
        assert db.session.scalar(select(Job)) is None
    accepted = generate(auth, model_name, primer=(io.BytesIO(data), "long.mid"), seconds="40")
    assert accepted.status_code == 302


def test_make_again_reproduces_and_vary_changes(app, client, auth, make_song):
    auth.signup()
    first = song_row(app, make_song(seed="99"))
    files = Path(app.config["FILES_DIR"])
    response = auth.post(f"/studio/songs/{first.id}/again")
    again_id = int(client.get(response.headers["Location"]).headers["Location"].rsplit("/", 1)[1])
    again = song_row(app, again_id)
    assert again.seed == 99 and again.settings == first.settings
    notes = lambda s: [(n.time, n.duration, n.pitch) for t in symusic.Score(str(files / s.midi_file)).tracks for n in t.notes]
    assert notes(again) == notes(first)
    response = auth.post(f"/studio/songs/{first.id}/vary")
    varied = song_row(app, int(client.get(response.headers["Location"]).headers["Location"].rsplit("/", 1)[1]))
    assert varied.seed != 99 and notes(varied) != notes(first)


def test_failed_job_shows_its_reason(app, client, auth, model_name, monkeypatch):
    from sonatina import api
    from sonatina.errors import SonatinaError

    def refuse(*_args, **_kwargs):
        raise SonatinaError("The model could not fit that many notes.")

    auth.signup()
    monkeypatch.setattr(api, "compose", refuse)
    response = generate(auth, model_name)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "That did not work" in page and "could not fit that many notes" in page


def test_other_users_jobs_and_songs_cannot_be_reused(app, client, auth, make_song):
    auth.signup("ada")
    song_id = make_song()
    with app.app_context():
        job_id = db.session.get(Song, song_id).job_id
    auth.logout()
    auth.signup("bob")
    assert client.get(f"/studio/jobs/{job_id}").status_code == 404
    assert auth.post(f"/studio/songs/{song_id}/again").status_code == 404
    assert auth.post(f"/studio/songs/{song_id}/vary").status_code == 404
    with app.app_context():
        assert db.session.scalar(select(Job).where(Job.owner_id != db.session.get(Song, song_id).owner_id)) is None


def test_audio_primer_is_transcribed_then_continued(app, client, auth, model_name, tiny_corpus, tmp_path):
    from sonatina.audio import synth as audio

    try:
        audio.default_soundfont()
    except Exception as exc:  # noqa: BLE001 - any reason there is no SoundFont
        pytest.skip(f"no SoundFont to make a recording with: {exc}")
    recording = tmp_path / "take.wav"
    audio.render(Path(tiny_corpus) / "piece01.mid", recording)
    auth.signup()
    garbage = generate(auth, model_name, primer=(io.BytesIO(b"RIFF....WAVEfmt nonsense"), "take.wav"))
    assert garbage.status_code == 400 and "could not be read as audio" in text(garbage)
    assert stored(app) == []
    response = generate(auth, model_name, primer=(recording.open("rb"), "take.wav"), seconds="30")
    song_page = client.get(response.headers["Location"])
    assert song_page.status_code == 302, text(song_page)
    song = song_row(app, int(song_page.headers["Location"].rsplit("/", 1)[1]))
    assert song.primer_file.endswith(".mid")  # the recording became a MIDI primer ...
    primer = symusic.Score(str(Path(app.config["FILES_DIR"]) / song.primer_file))
    assert primer.note_num() > 10
    assert not [p for p in stored(app) if p.suffix == ".wav"]  # ... and the upload is not kept


def test_a_recording_with_no_notes_fails_its_job_with_a_sentence_about_the_upload(app, client, auth, model_name,
                                                                                    tmp_path):
    import numpy as np
    import soundfile

    quiet = tmp_path / "room.wav"  # two seconds of faint noise: a valid file in which nothing is played
    soundfile.write(str(quiet), np.random.default_rng(0).normal(0, 1e-4, 44100 * 2), 44100)
    auth.signup()
    response = generate(auth, model_name, primer=(quiet.open("rb"), "room.wav"), seconds="30")
    job_id = response.headers["Location"].rsplit("/", 1)[1]
    with app.app_context():
        job = db.session.get(Job, job_id)
        assert job.status == "failed" and "the uploaded recording" in job.error.lower()
        assert "primers/" not in job.error and ".wav'" not in job.error


def test_a_silent_recording_fails_its_job_with_a_sentence_that_starts_as_one(app, client, auth, model_name, tmp_path):
    # the stored file's name opened the transcriber's sentence; replaced, it read "the uploaded recording is silent"
    import numpy as np
    import soundfile

    silence = tmp_path / "silence.wav"
    soundfile.write(str(silence), np.zeros(44100 * 2), 44100)
    auth.signup()
    response = generate(auth, model_name, primer=(silence.open("rb"), "silence.wav"), seconds="30")
    with app.app_context():
        job = db.session.get(Job, response.headers["Location"].rsplit("/", 1)[1])
        assert job.status == "failed" and job.error == "The uploaded recording is silent: there is nothing to transcribe."
