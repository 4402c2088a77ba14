"""The library: dashboard history, song page and player contract, downloads, rename, delete,
and that another user's song id is a 404 that leaks and deletes nothing."""

from __future__ import annotations

import html as htmllib
import re
from pathlib import Path

import pytest
import soundfile
import symusic
from sqlalchemy import select

from sonatina.web.extensions import db
from sonatina.web.models import Song


def text(response) -> str:
    return htmllib.unescape(response.get_data(as_text=True))


def stored(app) -> set[str]:
    root = Path(app.config["FILES_DIR"])
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


def test_dashboard_lists_songs_newest_first_with_pages(app, client, auth, make_song):
    auth.signup(photo=None)
    assert "No songs yet" in text(client.get("/dashboard"))
    app.config["SONGS_PER_PAGE"] = 2
    ids = [make_song(seed=str(s)) for s in (1, 2, 3)]
    with app.app_context():
        titles = {s.id: s.title for s in db.session.scalars(select(Song))}
    page1 = text(client.get("/dashboard"))
    listed = [int(i) for i in re.findall(r'data-testid="song-item" data-song-id="(\d+)"', page1)]
    assert listed == [ids[2], ids[1]]
    assert "Page 1 of 2" in page1 and titles[ids[2]] in page1
    assert f'href="/songs/{ids[2]}?autoplay=1"' in page1  # quick play
    assert re.search(r'class="song-length">0:0[78]<', page1)  # length m:ss of an 8 s song
    page2 = text(client.get("/dashboard?page=2"))
    assert [int(i) for i in re.findall(r'data-song-id="(\d+)"', page2)] == [ids[0]]
    assert client.get("/dashboard?page=abc").status_code == 200


def test_song_page_gives_the_player_its_urls(client, auth, make_song):
    auth.signup()
    song_id = make_song()
    page = text(client.get(f"/songs/{song_id}?autoplay=1"))
    assert 'id="song-title"' in page and 'data-autoplay="1"' in page
    for fmt in ("midi", "wav", "mp3"):
        assert f'id="download-{fmt}" href="/songs/{song_id}/download/{fmt}"' in page
    assert 'id="delete-song"' in page and 'id="rename-form"' in page and 'id="make-again"' in page


def test_the_player_shows_the_length_the_page_shows(app, client, auth, make_song):
    # a conversion lasts what its source does (15.8 s): the header said 0:16, the player 0:15
    auth.signup()
    song_id = make_song()
    with app.app_context():
        db.session.get(Song, song_id).duration_s = 15.82
        db.session.commit()
    page = text(client.get(f"/songs/{song_id}"))
    header = re.search(r'id="song-length">([^<]+)<', page).group(1).strip()
    player = re.search(r'id="player-duration"[^>]*>([^<]+)<', page).group(1).strip()
    assert header == player == "0:16"


def test_midi_download_parses_and_lasts_what_was_asked(client, auth, make_song):
    auth.signup()
    song_id = make_song(seconds="10")
    response = client.get(f"/songs/{song_id}/download/midi")
    assert response.status_code == 200 and response.mimetype == "audio/midi"
    assert "attachment" in response.headers["Content-Disposition"]
    score = symusic.Score.from_midi(response.data)
    assert score.note_num() > 0 and abs(score.to("second").end() - 10) < 1.5


def test_audio_downloads_are_rendered_once_and_kept(app, client, auth, make_song, tmp_path):
    from sonatina.audio import synth as audio

    try:
        audio.default_soundfont()
    except Exception as exc:  # noqa: BLE001 - any reason there is no SoundFont
        pytest.skip(f"no SoundFont to render with: {exc}")
    auth.signup()
    song_id = make_song(seconds="6")
    for fmt in ("wav", "mp3"):
        response = client.get(f"/songs/{song_id}/download/{fmt}")
        assert response.status_code == 200, text(response)
        out = tmp_path / f"song.{fmt}"
        out.write_bytes(response.data)
        info = soundfile.info(str(out))
        assert abs(info.duration - 6) < 2.5, (fmt, info.duration)
    kept = stored(app)
    assert sum(name.startswith("audio/") for name in kept) == 2
    client.get(f"/songs/{song_id}/download/mp3")
    assert stored(app) == kept  # the second download reuses the file


def test_rename(app, client, auth, make_song):
    auth.signup()
    song_id = make_song()
    response = auth.post(f"/songs/{song_id}/rename", {"title": "  Morning   in Vienna "}, follow_redirects=True)
    assert 'id="song-title" data-testid="song-title">Morning in Vienna<' in text(response)
    response = auth.post(f"/songs/{song_id}/rename", {"title": ""})
    assert response.status_code == 400 and "The title must be 1 to 120 characters." in text(response)
    response = auth.post(f"/songs/{song_id}/rename", {"title": "<script>alert(1)</script>"}, follow_redirects=True)
    assert "<script>alert(1)</script>" not in response.get_data(as_text=True)  # escaped, never raw


def test_downloads_are_named_after_any_title(client, auth, make_song):
    # a title in another script made the score downloads a 500 (a raw UTF-8 header, which must be
    # Latin-1); and "F# minor (1 of 2)" was written "F_ minor _1 of 2_"
    from urllib.parse import unquote

    auth.signup()
    song_id = make_song()
    for title, name in (("Folk sketch in F# minor (1 of 2)", "Folk sketch in F# minor (1 of 2)"),
                        ("日本の歌 Café", "日本の歌 Café"), ('a/b\\c"d', "a_b_c_d")):
        auth.post(f"/songs/{song_id}/rename", {"title": title})
        for url, suffix in (("download/midi", ".mid"), ("score.musicxml", ".musicxml"), ("score.pdf", ".pdf")):
            header = client.get(f"/songs/{song_id}/{url}").headers["Content-Disposition"]
            header.encode("latin-1")  # what a WSGI server sends
            named = re.search(r"filename\*=UTF-8''(\S+)", header)
            got = unquote(named.group(1)) if named else re.search(r'filename="?([^";]+)', header).group(1)
            assert got == name + suffix, (title, url, header)


def test_delete_removes_the_song_and_its_files(app, client, auth, make_song, tiny_corpus):
    auth.signup()
    keep = make_song(seed="1")
    song_id = make_song(seed="2")
    before = stored(app)
    with app.app_context():
        gone_files = set(db.session.get(Song, song_id).files())
    response = auth.post(f"/songs/{song_id}/delete", follow_redirects=True)
    assert response.status_code == 200 and "is deleted" in text(response)
    assert client.get(f"/songs/{song_id}").status_code == 404
    assert stored(app) == before - gone_files
    assert client.get(f"/songs/{keep}").status_code == 200


def test_anonymous_visitors_are_sent_to_log_in(client, auth, make_song):
    auth.signup()
    song_id = make_song()
    auth.logout()
    for url in ("/dashboard", f"/songs/{song_id}", f"/songs/{song_id}/download/midi", "/studio/generate", "/account"):
        response = client.get(url)
        assert response.status_code == 302 and response.headers["Location"].startswith("/login"), url
    response = auth.post(f"/songs/{song_id}/delete")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_another_users_song_is_404_and_untouched(app, client, auth, make_song):
    auth.signup("ada")
    song_id = make_song()
    with app.app_context():
        title = db.session.get(Song, song_id).title
    files = stored(app)
    auth.logout()
    auth.signup("bob")
    for url in (f"/songs/{song_id}", f"/songs/{song_id}/download/midi", f"/songs/{song_id}/download/mp3"):
        response = client.get(url)
        assert response.status_code == 404 and title not in text(response), url
    for url, data in ((f"/songs/{song_id}/delete", {}), (f"/songs/{song_id}/rename", {"title": "mine now"})):
        response = auth.post(url, data)
        assert response.status_code == 404, url
    assert title not in text(client.get("/dashboard"))
    with app.app_context():
        assert db.session.get(Song, song_id).title == title
    assert stored(app) == files


def test_a_song_id_too_long_for_the_database_is_404_not_500(client, auth, make_song):
    auth.signup()
    song_id = make_song()
    huge = 10**22  # past 64 bits: SQLite's driver raised OverflowError, a 500 on every song URL
    for url in (f"/songs/{huge}", f"/songs/{huge}/download/midi", f"/songs/{huge}/score.musicxml",
                f"/songs/{huge}/original.mid", f"/api/songs/{huge}", f"/api/songs/{huge}/versions",
                f"/api/songs/{huge}/download/midi", f"/api/songs/{huge}/score/musicxml"):
        assert client.get(url).status_code == 404, url
    for url in (f"/songs/{huge}/rename", f"/songs/{huge}/delete", f"/studio/songs/{huge}/again",
                f"/studio/songs/{huge}/vary", f"/songs/{huge}/regenerate", f"/songs/{huge}/extend"):
        assert auth.post(url, {"title": "x", "bars_first": "1", "bars_last": "1", "seconds": "4"}).status_code == 404, url
    assert client.get(f"/songs/{song_id}").status_code == 200


def test_unknown_download_format_is_404(client, auth, make_song):
    auth.signup()
    song_id = make_song()
    assert client.get(f"/songs/{song_id}/download/ogg").status_code == 404
