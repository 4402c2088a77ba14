"""The OpenAPI 3.1 description of the JSON API (served at /api/openapi.json)."""

from __future__ import annotations

from sonatina import __version__


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


ERRORS = {
    "400": _json(_ref("Error"), "Bad input, explained in one sentence."),
    "401": _json(_ref("Error"), "Not authenticated."),
    "404": _json(_ref("Error"), "No such item among yours."),
}

SONG_ID = {"name": "song_id", "in": "path", "required": True, "schema": {"type": "integer"}}

GENERATE_PROPERTIES = {
    "model": {"type": "string", "default": "default", "description": "A name from GET /api/models."},
    "genre": {"type": ["string", "null"], "description": "One of the model's genres."},
    "seconds": {"type": "number", "minimum": 5, "default": 30, "description": "Target length."},
    "tempo": {"type": ["number", "null"], "minimum": 30, "maximum": 300, "description": "Beats per minute."},
    "key": {"type": ["string", "null"], "examples": ["D minor", "F# major"]},
    "instrument": {"type": ["string", "integer", "null"], "description": "GM program 0-127 or a name like 'strings'."},
    "temperature": {"type": "number", "minimum": 0.05, "maximum": 3, "default": 1.0},
    "top_k": {"type": ["integer", "null"], "minimum": 1},
    "top_p": {"type": ["number", "null"], "minimum": 0.01, "maximum": 1},
    "seed": {"type": ["integer", "null"], "minimum": 0, "description": "Same seed and settings give the same piece."},
    "variations": {"type": "integer", "minimum": 1, "maximum": 8, "default": 1},
}


def openapi_document() -> dict:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Sonatina studio API",
            "version": __version__,
            "description": (
                "Generate music, follow jobs and manage your songs. Authenticate with "
                "`Authorization: Bearer <token>` (create a token on your account page or with "
                "POST /api/token). Browser sessions may call it too, sending `X-CSRFToken` on writes."
            ),
        },
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "paths": {
            "/api/token": {"post": {
                "summary": "Exchange a username and password for an API token",
                "security": [],
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "type": "object", "required": ["username", "password"],
                    "properties": {"username": {"type": "string"}, "password": {"type": "string"},
                                   "name": {"type": "string", "description": "A label for the token."}}}}}},
                "responses": {"201": _json({"type": "object", "properties": {"token": {"type": "string"}, "name": {"type": "string"}}}, "The token (shown once)."),
                              "401": ERRORS["401"], "429": _json(_ref("Error"), "Too many failed attempts.")},
            }},
            "/api/me": {"get": {"summary": "The authenticated user", "responses": {"200": _json({"type": "object"}, "Profile."), "401": ERRORS["401"]}}},
            "/api/models": {"get": {"summary": "Models and their genres", "responses": {"200": _json({"type": "object"}, "Models."), "401": ERRORS["401"]}}},
            "/api/instruments": {"get": {"summary": "General MIDI instruments", "responses": {"200": _json({"type": "object"}, "Programs 0-127."), "401": ERRORS["401"]}}},
            "/api/generate": {"post": {
                "summary": "Start a generation job",
                "requestBody": {"required": True, "content": {
                    "application/json": {"schema": _ref("GenerateRequest")},
                    "multipart/form-data": {"schema": {"allOf": [_ref("GenerateRequest"), {"type": "object", "properties": {
                        "primer": {"type": "string", "format": "binary", "description": "MIDI/MusicXML/ABC (2 MB) or audio when transcription is installed."}}}]}},
                }},
                "responses": {"202": _json(_ref("Job"), "Queued (poll the job)."), **ERRORS},
            }},
            "/api/jobs/{job_id}": {"get": {
                "summary": "A job's status, progress and songs",
                "parameters": [{"name": "job_id", "in": "path", "required": True, "schema": {"type": "string"}}],
                "responses": {"200": _json(_ref("Job"), "The job."), **ERRORS},
            }},
            "/api/songs": {"get": {
                "summary": "Your songs, newest first",
                "parameters": [{"name": "page", "in": "query", "schema": {"type": "integer", "default": 1}},
                               {"name": "per_page", "in": "query", "schema": {"type": "integer", "default": 10, "maximum": 100}}],
                "responses": {"200": _json({"type": "object", "properties": {
                    "songs": {"type": "array", "items": _ref("Song")}, "page": {"type": "integer"},
                    "per_page": {"type": "integer"}, "total": {"type": "integer"}}}, "A page of songs."), **ERRORS},
            }},
            "/api/songs/{song_id}": {
                "get": {"summary": "One song", "parameters": [SONG_ID], "responses": {"200": _json(_ref("Song"), "The song."), **ERRORS}},
                "patch": {"summary": "Rename a song", "parameters": [SONG_ID],
                          "requestBody": {"required": True, "content": {"application/json": {"schema": {"type": "object", "required": ["title"], "properties": {"title": {"type": "string", "maxLength": 120}}}}}},
                          "responses": {"200": _json(_ref("Song"), "The renamed song."), **ERRORS}},
                "delete": {"summary": "Delete a song and its files", "parameters": [SONG_ID], "responses": {"204": {"description": "Deleted."}, **ERRORS}},
            },
            "/api/songs/{song_id}/again": {"post": {
                "summary": "Make a song again (same seed) or vary it (new seed)", "parameters": [SONG_ID],
                "requestBody": {"content": {"application/json": {"schema": {"type": "object", "properties": {"same_seed": {"type": "boolean", "default": True}}}}}},
                "responses": {"202": _json(_ref("Job"), "Queued."), **ERRORS},
            }},
            "/api/songs/{song_id}/download/{fmt}": {"get": {
                "summary": "Download MIDI, WAV or MP3 (audio is rendered on first request)",
                "parameters": [SONG_ID, {"name": "fmt", "in": "path", "required": True, "schema": {"enum": ["midi", "wav", "mp3"]}}],
                "responses": {"200": {"description": "The file.", "content": {"audio/midi": {}, "audio/wav": {}, "audio/mpeg": {}}},
                              "503": _json(_ref("Error"), "Audio rendering unavailable."), **ERRORS},
            }},
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Error": {"type": "object", "required": ["error"], "properties": {"error": {"type": "string"}}},
                "GenerateRequest": {"type": "object", "properties": GENERATE_PROPERTIES},
                "Song": {"type": "object", "properties": {
                    "id": {"type": "integer"}, "title": {"type": "string"}, "model": {"type": "string"},
                    "genre": {"type": ["string", "null"]}, "duration_s": {"type": "number"}, "seed": {"type": "integer"},
                    "settings": {"type": "object", "description": "Every resolved parameter that made the song."},
                    "created_at": {"type": "string", "format": "date-time"}, "job_id": {"type": ["string", "null"]},
                    "urls": {"type": "object"}}},
                "Job": {"type": "object", "properties": {
                    "id": {"type": "string"}, "status": {"enum": ["queued", "running", "done", "failed"]},
                    "progress": {"type": "number"}, "error": {"type": ["string", "null"]}, "params": {"type": "object"},
                    "created_at": {"type": "string"}, "finished_at": {"type": ["string", "null"]},
                    "songs": {"type": "array", "items": _ref("Song")}, "urls": {"type": "object"}}},
            },
        },
    }
