"""Song downloads (MIDI, or audio rendered on first request): one response shared by the pages and the API."""

from __future__ import annotations

import unicodedata
from urllib.parse import quote

from flask import abort, request, send_file

from sonatina.web import songs, storage

DOWNLOADS = {"midi": ("audio/midi", ".mid"), "wav": ("audio/wav", ".wav"), "mp3": ("audio/mpeg", ".mp3")}


def send_song_file(song, fmt: str):
    """A download response for one format (shared with the API)."""
    if fmt not in DOWNLOADS:
        abort(404)
    mimetype, suffix = DOWNLOADS[fmt]
    if fmt == "midi":
        path = storage.path(song.midi_file)
    else:
        try:
            path = songs.audio_file(song, fmt)
        except songs.AudioUnavailable as exc:
            abort(503, description=str(exc))
    return send_file(path, mimetype=mimetype, as_attachment=request.args.get("inline") != "1",
                     download_name=download_name(song.title, suffix), max_age=0)


def download_name(title: str, suffix: str) -> str:
    """A file name from a song's title: letters of any script, digits and marks safe on every system
    kept ("Folk sketch in F# minor (1 of 2)" stays as it is), anything else an underscore."""
    safe = "".join(c if c.isalnum() or c in " -_#()+,." else "_" for c in title).strip(" .") or "song"
    return safe + suffix


def attachment(name: str) -> str:
    """A Content-Disposition header for `name` (RFC 6266): an ASCII fallback and the UTF-8 name, as
    send_file writes it; a header must be Latin-1, so a Japanese title written raw was a 500."""
    fallback = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii").strip()
    fallback = "song" + fallback if fallback.startswith(".") else fallback  # a title in another script
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"
