"""A song's score formats share one MusicXML: the PDF and MusicXML downloads after the page's
SVG do not run music21 again, and two requests at once (the page's SVG, a click on PDF) make
the MusicXML once between them."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from sonatina.audio import notation
from sonatina.web import songs
from sonatina.web.extensions import db
from sonatina.web.models import Song


def test_downloads_after_the_page_reuse_its_musicxml(auth, make_song, monkeypatch):
    auth.signup()
    song = make_song()
    assert auth.client.get(f"/songs/{song}/score.svg").status_code == 200  # what the page asks for first

    def no_music21(*_args, **_kwargs):
        raise AssertionError("music21 ran again for a score already written as MusicXML")

    monkeypatch.setattr(notation, "to_music21", no_music21)
    pdf = auth.client.get(f"/songs/{song}/score.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    xml = auth.client.get(f"/songs/{song}/score.musicxml")
    assert xml.status_code == 200 and b"<score-partwise" in xml.data


def test_two_requests_at_once_write_the_musicxml_once(app, auth, make_song, monkeypatch):
    auth.signup()
    song_id = make_song()
    written, real = [], songs._musicxml

    def slow_musicxml(song):
        written.append(song.id)
        time.sleep(0.3)  # long enough for the other request to arrive meanwhile
        return real(song)

    monkeypatch.setattr(songs, "_musicxml", slow_musicxml)
    results, failures = {}, []

    def fetch(fmt):
        try:
            with app.app_context():
                results[fmt] = songs.score_file(db.session.get(Song, song_id), fmt)
        except Exception as exc:  # pragma: no cover - reported below
            failures.append(exc)

    threads = [threading.Thread(target=fetch, args=(fmt,)) for fmt in ("svg", "pdf", "musicxml")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures and written == [song_id]
    assert results["pdf"].startswith(b"%PDF") and results["svg"].lstrip().startswith(b"<svg")
    assert b"<score-partwise" in results["musicxml"]


def _kept_scores(app) -> list[str]:
    folder = Path(app.config["FILES_DIR"]) / "scores"
    return sorted(p.name for p in folder.glob("*")) if folder.is_dir() else []


def test_a_score_outlives_the_process_until_its_song_is_renamed_or_deleted(app, auth, make_song, monkeypatch):
    auth.signup()
    song = make_song()
    first = auth.client.get(f"/songs/{song}/score.svg")
    assert first.status_code == 200 and len(_kept_scores(app)) == 2  # its MusicXML and the SVG, on disk

    def no_engraving(*_args, **_kwargs):
        raise AssertionError("engraved again")

    # another process (or this one after a restart) reads them back without engraving
    monkeypatch.setattr(songs, "_musicxml", no_engraving)
    assert auth.client.get(f"/songs/{song}/score.svg").data == first.data
    monkeypatch.undo()

    assert auth.post(f"/songs/{song}/rename", {"title": "Renamed tune"}, follow_redirects=True).status_code == 200
    assert _kept_scores(app) == []  # the old title's score is gone; the new one shows the new title
    assert b"Renamed tune" in auth.client.get(f"/songs/{song}/score.musicxml").data
    assert len(_kept_scores(app)) == 1
    assert auth.post(f"/songs/{song}/delete").status_code == 302
    assert _kept_scores(app) == []
