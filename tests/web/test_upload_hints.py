"""The generate and convert pages' upload hints (formats, sizes) and the API's description of those
fields are written from the limits the uploads are checked against (data/untrusted.py's
WEB_LIMITS, behind the request limit) and the suffixes Sonatina reads: change a limit, and the
pages say the new figure, as the refusal does."""

from __future__ import annotations

import dataclasses
import io
import re
from html import unescape

import pytest

from sonatina.data import untrusted
from sonatina.data.corpus.reading import READABLE_SUFFIXES
from sonatina.web import songs

PAGES = {"/studio/generate": "primer", "/studio/convert": "source"}


def upload_field(client, page: str) -> tuple[set[str], str]:
    """The file field's accepted suffixes and its hint, as the page shows them."""
    html = client.get(page).get_data(as_text=True)
    field = re.search(rf'<input[^>]*id="{PAGES[page]}"[^>]*>\s*<small class="hint">([^<]*)</small>', html)
    assert field, f"no hint under the upload field of {page}"
    accept = re.search(r'accept="([^"]*)"', field.group(0)).group(1)
    return set(accept.split(",")), unescape(field.group(1))


@pytest.fixture
def limits(monkeypatch):
    """Set the studio's upload limits, as an edit of WEB_LIMITS in data/untrusted.py would."""

    def _set(**changed):
        monkeypatch.setattr(untrusted, "WEB_LIMITS", dataclasses.replace(untrusted.WEB_LIMITS, **changed))

    return _set


def test_the_hints_state_the_shipped_limits_and_every_readable_format(auth, client):
    auth.signup()
    audio = songs.transcription_available()
    for page in PAGES:
        accept, hint = upload_field(client, page)
        assert accept == READABLE_SUFFIXES | (songs.AUDIO_SUFFIXES if audio else set())
        assert "MIDI up to 2 MB, MusicXML or Humdrum up to 512 kB of text, ABC tunes up to 64 kB" in hint
        assert ("a recording (FLAC, MP3, OGG or WAV) up to 15 MB" in hint) == audio


def test_a_changed_limit_changes_the_pages_the_api_and_the_refusal(auth, client, limits):
    auth.signup()
    limits(file_bytes=3 << 20, score_bytes=256 << 10, abc_bytes=32 << 10, audio_bytes=9 << 20)
    for page in PAGES:
        _accept, hint = upload_field(client, page)
        assert "MIDI up to 3 MB, MusicXML or Humdrum up to 256 kB of text, ABC tunes up to 32 kB" in hint
        assert "2 MB" not in hint and "512 kB" not in hint
    spec = client.get("/api/openapi.json").json
    multipart = [body["content"]["multipart/form-data"]["schema"]["properties"]
                 for body in (spec["paths"][p]["post"]["requestBody"] for p in ("/api/generate", "/api/convert"))]
    assert "MIDI up to 3 MB" in multipart[0]["primer"]["description"]
    assert "MIDI up to 3 MB" in multipart[1]["source"]["description"]

    limits(file_bytes=1 << 20)  # a file over the new limit is refused with the figure the hint shows
    assert "MIDI up to 1 MB" in upload_field(client, "/studio/generate")[1]
    big = auth.post("/studio/generate", {"seconds": "8", "primer": (io.BytesIO(b"\0" * (1536 << 10)), "big.mid")},
                    content_type="multipart/form-data")
    assert big.status_code == 400 and "The primer is larger than 1 MB" in big.get_data(as_text=True)


def test_recordings_are_offered_only_where_audio_is_transcribed(auth, client, monkeypatch):
    auth.signup()
    monkeypatch.setattr(songs, "transcription_available", lambda: True)
    accept, hint = upload_field(client, "/studio/convert")
    assert songs.AUDIO_SUFFIXES <= accept and "a recording (FLAC, MP3, OGG or WAV) up to 15 MB" in hint
    monkeypatch.setattr(songs, "transcription_available", lambda: False)
    accept, hint = upload_field(client, "/studio/convert")
    assert not songs.AUDIO_SUFFIXES & accept and "recording" not in hint


def test_a_lower_request_limit_caps_every_figure(app, auth, client):
    app.config["MAX_CONTENT_LENGTH"] = 1 << 20
    auth.signup()
    _accept, hint = upload_field(client, "/studio/generate")
    assert "MIDI up to 1 MB" in hint and "2 MB" not in hint and "15 MB" not in hint
