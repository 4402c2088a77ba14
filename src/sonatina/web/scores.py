"""Song scores (MusicXML, PDF, and the SVG the song page shows): one response shared by the pages and the API."""

from __future__ import annotations

from flask import Response, abort, request

from sonatina.web import songs
from sonatina.web.downloads import attachment, download_name

SCORES = {"musicxml": ("application/vnd.recordare.musicxml+xml", ".musicxml"), "pdf": ("application/pdf", ".pdf"),
          "svg": ("image/svg+xml", ".svg")}


def send_score(song, fmt: str) -> Response:
    """The song engraved as `fmt`; MusicXML and PDF download as files, the SVG shows inline."""
    if fmt not in SCORES:
        abort(404)
    mimetype, suffix = SCORES[fmt]
    response = Response(songs.score_file(song, fmt), mimetype=mimetype)
    if fmt != "svg" and request.args.get("inline") != "1":
        response.headers["Content-Disposition"] = attachment(download_name(song.title, suffix))
    response.headers["Cache-Control"] = "private, max-age=0"
    return response
