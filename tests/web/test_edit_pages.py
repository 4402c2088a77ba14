"""Editing in the studio: the song page's score view and downloads, Regenerate and Extend as jobs
that make new versions, the version history, the JSON API for each, and the refusals."""

from __future__ import annotations

import re
from html import unescape

from symusic import Score

from helpers import upgrade_with_two_songs
from webhelpers import csrf_token
from webhelpers import job_song as _job_song


def _notes(midi: bytes) -> list[tuple]:
    score = Score.from_midi(midi)
    return sorted((n.time, n.duration, n.pitch, n.velocity) for t in score.tracks for n in t.notes)


def test_song_page_shows_score_and_edit_forms_and_serves_scores(auth, make_song):
    auth.signup()
    song = make_song()
    page = auth.client.get(f"/songs/{song}").get_data(as_text=True)
    for marker in ('id="score-view"', 'id="regenerate-form"', 'id="extend-form"', 'id="download-musicxml"',
                   'id="download-pdf"', "css/score.css", "js/score.js"):
        assert marker in page
    svg = auth.client.get(f"/songs/{song}/score.svg")
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
    text = svg.get_data(as_text=True)
    assert text.lstrip().startswith("<svg") and "<style" not in text and 'class="measure"' in text
    xml = auth.client.get(f"/songs/{song}/score.musicxml")
    assert xml.status_code == 200 and b"<score-partwise" in xml.data
    assert "attachment" in xml.headers["Content-Disposition"]
    pdf = auth.client.get(f"/songs/{song}/score.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    font = auth.client.get("/score-font.woff2")
    assert font.status_code == 200 and font.data[:4] == b"wOF2"
    assert auth.client.get(f"/songs/{song}/score.doc").status_code == 404


def test_regenerate_makes_a_new_version_and_keeps_the_old(auth, make_song):
    auth.signup()
    first = make_song()
    before = auth.client.get(f"/songs/{first}/download/midi").data
    second = _job_song(auth, auth.post(f"/songs/{first}/regenerate", {"bars_first": "2", "bars_last": "2", "seed": "4"}))
    assert second != first
    assert auth.client.get(f"/songs/{first}/download/midi").data == before  # the old version stays as it was
    after = auth.client.get(f"/songs/{second}/download/midi").data
    assert _notes(after) != _notes(before)
    page = auth.client.get(f"/songs/{second}").get_data(as_text=True)
    assert 'data-testid="song-version">v2<' in page
    items = re.findall(r'data-testid="version-item" data-song-id="(\d+)" data-version="(\d+)"', page)
    assert items == [(str(first), "1"), (str(second), "2")]
    assert 'id="ab-v1"' in page and 'id="ab-v2"' in page  # A/B between the versions in the one player
    # the first version's page lists the history too
    assert len(re.findall('data-testid="version-item"', auth.client.get(f"/songs/{first}").get_data(as_text=True))) == 2
    # extend the new version: a third
    third = _job_song(auth, auth.post(f"/songs/{second}/extend", {"seconds": "4", "at": "end", "seed": "1"}))
    page = auth.client.get(f"/songs/{third}").get_data(as_text=True)
    assert 'data-testid="song-version">v3<' in page and "bars added at the end" in page
    # make again: the same edit of the same parent, same seed, same notes
    again = _job_song(auth, auth.post(f"/studio/songs/{second}/again"))
    assert _notes(auth.client.get(f"/songs/{again}/download/midi").data) == _notes(after)


def test_bad_edits_are_refused_with_one_sentence(auth, make_song):
    auth.signup()
    song = make_song()
    response = auth.post(f"/songs/{song}/regenerate", {"bars_first": "2", "bars_last": "99"})
    assert response.status_code == 400
    assert re.search(r"The piece has \d+ bars, so bars 2-99 reach outside it\.", unescape(response.get_data(as_text=True)))
    response = auth.post(f"/songs/{song}/regenerate", {"bars_first": "3", "bars_last": "1"})
    assert response.status_code == 400 and "ends before it starts" in unescape(response.get_data(as_text=True))
    response = auth.post(f"/songs/{song}/extend", {"seconds": "9999"})
    assert response.status_code == 400 and "Seconds to add must be between 1 and 300" in response.get_data(as_text=True)


def test_edit_api(auth, make_song, client):
    auth.signup()
    song = make_song()
    headers = {"X-CSRFToken": csrf_token(client, "/")}
    made = client.post(f"/api/songs/{song}/regenerate", json={"bars": "1-1", "seed": 3, "candidates": 2},
                       headers=headers)
    assert made.status_code == 202, made.get_json()
    job = made.get_json()
    assert job["kind"] == "regenerate" and job["status"] == "done" and job["songs"][0]["version"] == 2
    assert job["songs"][0]["parent_id"] == song
    versions = client.get(f"/api/songs/{song}/versions").get_json()["versions"]
    assert [v["version"] for v in versions] == [1, 2]
    longer = client.post(f"/api/songs/{song}/extend", json={"seconds": 4, "at": "start"}, headers=headers)
    assert longer.status_code == 202 and longer.get_json()["songs"][0]["version"] == 3
    for body, sentence in (({"bars": "40-60"}, "reach outside it"), ({}, "Choose the passage"),
                           ({"bars": 3}, "must be written FIRST-LAST"), ({"bars": "1-2", "colour": 1}, "Unknown setting")):
        refused = client.post(f"/api/songs/{song}/regenerate", json=body, headers=headers)
        assert refused.status_code == 400 and sentence in refused.get_json()["error"], refused.get_json()
    assert client.get(f"/api/songs/{song}/score/musicxml").data.startswith(b"<?xml")
    assert client.post("/api/songs/999999/regenerate", json={"bars": "1-1"}, headers=headers).status_code == 404
    spec = client.get("/api/openapi.json").get_json()
    for path in ("/api/songs/{song_id}/regenerate", "/api/songs/{song_id}/extend", "/api/songs/{song_id}/versions",
                 "/api/songs/{song_id}/score/{fmt}"):
        assert path in spec["paths"]
    assert "bars" in spec["components"]["schemas"]["RegenerateRequest"]["properties"]


def _upgrade_to_versions(url: str) -> None:
    """A database at 0002 with two songs: 0003 numbers them version 1, keeps every row, and deleting
    a parent leaves its newer version standing with no parent."""
    from sqlalchemy import text

    engine = upgrade_with_two_songs(url, "0002")
    with engine.begin() as connection:
        assert connection.execute(text("select version from songs order by id")).scalars().all() == [1, 1]
        connection.execute(text("update songs set parent_id = 1, version = 2 where id = 2"))
        connection.execute(text("delete from songs where id = 1"))
        assert connection.execute(text("select job_id, parent_id, version from songs")).one() == ("j1", None, 2)
    engine.dispose()


def test_migration_0003_on_sqlite(tmp_path):
    _upgrade_to_versions(f"sqlite:///{tmp_path / 'old.db'}")


def test_migration_0003_on_postgresql(fresh_postgres_url):
    _upgrade_to_versions(fresh_postgres_url)
