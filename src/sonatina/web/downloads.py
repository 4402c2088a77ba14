"""Song downloads (MIDI, or audio rendered on first request): one response shared by the pages and the API."""

from __future__ import annotations

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
    safe_title = "".join(c if c.isalnum() or c in " -_" else "_" for c in song.title).strip() or "song"
    return send_file(path, mimetype=mimetype, as_attachment=request.args.get("inline") != "1",
                     download_name=f"{safe_title}{suffix}", max_age=0)
