"""The OpenAPI 3.1 description of the JSON API (served at /api/openapi.json)."""

from __future__ import annotations

from sonatina import __version__
from sonatina.request import KEY_PATTERN, ConvertRequest, GenerationRequest, instrument_names
from sonatina.web.songs import CONVERT_SETTINGS, TITLE_MAX, WEB_SETTINGS, upload_rules

MAX_PAGE = 1_000_000  # far past any library; keeps OFFSET inside what databases can hold
MAX_PER_PAGE = 100
TOKEN_NAME_MAX = 80


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


ERRORS = {
    "400": _json(_ref("Error"), "Bad input, explained in one sentence."),
    "401": _json(_ref("Error"), "Not authenticated."),
    "404": _json(_ref("Error"), "No such item among yours."),
}

SONG_ID = {"name": "song_id", "in": "path", "required": True,
           "schema": {"type": "integer", "minimum": 1, "maximum": 2**63 - 1}}
TIMESTAMP = {"type": "string", "format": "date-time"}


# what GenerationRequest's form setting reads: 2-16 letters A-H (spaces and hyphens between them
# ignored, any case) or 'none'
FORM_SCHEMA_PATTERN = r"^[ -]*(([A-Ha-h][ -]*){2,16}|[Nn][Oo][Nn][Ee] *)$"


def _setting_schema(setting, source: str, choices: list | None) -> dict:
    """One GenerationRequest setting as JSON Schema. JSON takes null for "the default"; a
    multipart form leaves the field out (or, for names, sends it empty)."""
    if setting.kind == "instrument":
        variants = [{"type": "integer", "minimum": 0, "maximum": 127}, {"type": "string", "enum": instrument_names()}]
    elif setting.kind in ("integer", "number"):
        variants = [{"type": setting.kind, **{k: v for k, v in (("minimum", setting.minimum),
                                                                 ("maximum", setting.maximum)) if v is not None}}]
    elif choices is not None:
        variants = [{"type": "string", "enum": list(choices)}]
    elif setting.kind == "key":
        variants = [{"type": "string", "pattern": KEY_PATTERN, "examples": list(setting.examples)}]
    elif setting.kind == "form":
        variants = [{"type": "string", "pattern": FORM_SCHEMA_PATTERN, "examples": ["AABA", "ABABCB", "none"]}]
    else:
        variants = [{"type": "string", "minLength": 1}]
    variants.append({"type": "null"} if source == "json" else {"type": "string", "enum": [""]})
    schema = {"anyOf": variants, "description": setting.help}
    if setting.default is not None:
        schema["default"] = setting.default
    return schema


def generate_request_schema(models: list[dict], source: str = "json") -> dict:
    """GenerateRequest from GenerationRequest and the models this server offers: a genre must
    belong to the chosen model (or to 'default' when no model is named)."""
    genres = {m["name"]: list(m.get("genres") or []) for m in models}
    every_genre = sorted({g for gs in genres.values() for g in gs})
    choices = {"model": sorted(genres), "genre": every_genre}
    properties = {name: _setting_schema(GenerationRequest[name], source, choices.get(name))
                  for name in WEB_SETTINGS}
    unset = {"type": "null"} if source == "json" else {"enum": [""]}
    pairs = [{"required": ["model"], "properties": {"model": {"const": name},
                                                    "genre": {"anyOf": [{"enum": gs}, unset]}}}
             for name, gs in genres.items()]
    default = GenerationRequest["model"].default
    if default in genres:  # no model named: the default model's genres
        pairs.append({"properties": {"model": unset, "genre": {"anyOf": [{"enum": genres[default]}, unset]}}})
    schema = {"type": "object", "properties": properties, "additionalProperties": False, "anyOf": pairs}
    if source == "multipart":
        schema["properties"]["primer"] = {"type": "string", "format": "binary", "description": (
            f"{GenerationRequest['primer'].help} {upload_rules()['hint']}")}
    return schema


def convert_request_schema(models: list[dict], source: str = "json") -> dict:
    """ConvertRequest as JSON Schema: JSON names one of your songs (`song_id`), multipart uploads
    the piece (`source`); the target genre is required, every other setting has a default."""
    choices = {"model": sorted(m["name"] for m in models)}
    properties = {name: _setting_schema(ConvertRequest[name], source,
                                        choices.get(name, list(ConvertRequest[name].choices) or None))
                  for name in CONVERT_SETTINGS}
    to = ConvertRequest["to"]
    properties["to"] = {"type": "string", "enum": list(to.choices), "description": to.help}
    if source == "json":
        properties["song_id"] = {**SONG_ID["schema"], "description": "The id of one of your songs."}
        required = ["song_id", "to"]
    else:
        properties["source"] = {"type": "string", "format": "binary", "description": (
            f"The piece to convert: {upload_rules()['hint']} It needs pitched notes, a melody to keep.")}
        required = ["source", "to"]
    return {"type": "object", "properties": properties, "required": required, "additionalProperties": False}


def edit_request_schema(kind: str, models: list[dict]) -> dict:
    """RegenerateRequest / ExtendRequest as JSON Schema (web/songs.py's EDIT_SETTINGS of them): a
    passage as "FIRST-LAST" text; every setting has a default, a regeneration needs bars or seconds."""
    from sonatina.request import SPAN_PATTERN, ExtendRequest, RegenerateRequest
    from sonatina.web.songs import EDIT_SETTINGS

    spec = RegenerateRequest if kind == "regenerate" else ExtendRequest
    genres = sorted({g for m in models for g in (m.get("genres") or [])})
    choices = {"model": sorted(m["name"] for m in models), "genre": genres}
    properties = {}
    for name in EDIT_SETTINGS[kind]:
        setting = spec[name]
        schema = _setting_schema(setting, "json", choices.get(name, list(setting.choices) or None))
        if setting.kind == "span":
            schema["anyOf"][0] = {"type": "string", "pattern": SPAN_PATTERN, "examples": list(setting.examples)}
        properties[name] = schema
    schema = {"type": "object", "properties": properties, "additionalProperties": False}
    if kind == "regenerate":  # the passage: bars or seconds, exactly one of them
        schema["oneOf"] = [{"required": [given], "properties": {given: {"type": "string"}, other: {"type": "null"}}}
                           for given, other in (("bars", "seconds"), ("seconds", "bars"))]
        schema["description"] = ("The passage must lie inside the song (bars counted from 1, FIRST <= LAST; seconds "
                                 "START < END) and leave some of it: a passage that does not fit is refused with 400.")
    return schema


def openapi_document(models: list[dict]) -> dict:
    """The whole document; `models` are the ones offered (their names and genres are in the schema)."""

    def song_op(summary, ok, **extra):
        return {"summary": summary, "parameters": [SONG_ID], "responses": {**ok, **ERRORS}, **extra}

    song_links = {name: {"operationId": op, "parameters": {"song_id": "$response.body#/id"}}
                  for name, op in (("GetSong", "getSong"), ("RenameSong", "renameSong"), ("MakeAgain", "makeAgain"),
                                   ("Download", "downloadSong"), ("DeleteSong", "deleteSong"))}
    job_link = {"GetJob": {"operationId": "getJob", "parameters": {"job_id": "$response.body#/id"}}}
    text = {"type": "string", "minLength": 1}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Sonatina studio API",
            "version": __version__,
            "description": (
                "Generate music, follow jobs and manage your songs. Authenticate with "
                "`Authorization: Bearer <token>` (create a token on your account page or with "
                "`POST /api/token`). Browser sessions may call it too, sending `X-CSRFToken` on writes."
            ),
        },
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "paths": {
            "/api/token": {"post": {
                "operationId": "issueToken",
                "summary": "Exchange a username (or email) and password for an API token",
                "security": [],
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "type": "object", "required": ["username", "password"],
                    "properties": {"username": text, "password": text,
                                   "name": {"type": "string", "maxLength": TOKEN_NAME_MAX,
                                            "description": "A label for the token."}}}}}},
                "responses": {"201": _json({"type": "object", "required": ["token", "name"], "properties": {
                    "token": {"type": "string"}, "name": {"type": "string"}}}, "The token (shown once)."),
                              "400": ERRORS["400"], "401": _json(_ref("Error"), "Wrong username or password."),
                              "429": _json(_ref("Error"), "Too many failed attempts.")},
            }},
            "/api/me": {"get": {"operationId": "me", "summary": "The authenticated user", "responses": {
                "200": _json({"type": "object", "properties": {
                    "id": {"type": "integer"}, "username": {"type": "string"}, "email": {"type": "string"},
                    "bio": {"type": ["string", "null"]},
                    "songs": {"type": "integer", "description": "Songs, each once however many versions it has."},
                    "versions": {"type": "integer", "description": "Versions of all the songs together."},
                    "created_at": TIMESTAMP}},
                    "Profile."), "401": ERRORS["401"]}}},
            "/api/models": {"get": {"operationId": "listModels", "summary": "Models and their genres", "responses": {
                "200": _json({"type": "object", "properties": {"models": {"type": "array", "items": {
                    "type": "object", "properties": {"name": {"type": "string"},
                                                     "genres": {"type": "array", "items": {"type": "string"}}}}}}},
                             "Models."), "401": ERRORS["401"]}}},
            "/api/instruments": {"get": {"operationId": "listInstruments", "summary": "General MIDI instruments",
                                         "responses": {"200": _json({"type": "object"}, "Programs 0-127."),
                                                       "401": ERRORS["401"]}}},
            "/api/generate": {"post": {
                "operationId": "generate",
                "summary": "Start a generation job",
                "requestBody": {"required": True, "content": {
                    "application/json": {"schema": _ref("GenerateRequest")},
                    "multipart/form-data": {"schema": generate_request_schema(models, "multipart")},
                }},
                "responses": {"202": {**_json(_ref("Job"), "Queued (poll the job)."), "links": job_link},
                              "413": _json(_ref("Error"), "The primer is too large."), **ERRORS},
            }},
            "/api/convert": {"post": {
                "operationId": "convert",
                "summary": "Start a conversion job: one of your songs or an uploaded piece, played in another genre",
                "requestBody": {"required": True, "content": {
                    "application/json": {"schema": _ref("ConvertRequest")},
                    "multipart/form-data": {"schema": convert_request_schema(models, "multipart")},
                }},
                "responses": {"202": {**_json(_ref("Job"), "Queued (poll the job)."), "links": job_link},
                              "413": _json(_ref("Error"), "The upload is too large."), **ERRORS},
            }},
            "/api/jobs/{job_id}": {"get": {
                "operationId": "getJob",
                "summary": "A job's status, progress and songs",
                "parameters": [{"name": "job_id", "in": "path", "required": True, "schema": {"type": "string"}}],
                "responses": {"200": _json(_ref("Job"), "The job."), **ERRORS},
            }},
            "/api/songs": {"get": {
                "operationId": "listSongs",
                "summary": "Your songs, newest first",
                "parameters": [
                    {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE,
                                                               "default": 1}},
                    {"name": "per_page", "in": "query", "schema": {"type": "integer", "minimum": 1,
                                                                   "maximum": MAX_PER_PAGE, "default": 10}}],
                "responses": {"200": _json({"type": "object", "properties": {
                    "songs": {"type": "array", "items": _ref("Song")}, "page": {"type": "integer"},
                    "per_page": {"type": "integer"}, "total": {"type": "integer"}}}, "A page of songs."), **ERRORS},
            }},
            "/api/songs/{song_id}": {
                "get": song_op("One song", {"200": {**_json(_ref("Song"), "The song."), "links": song_links}},
                               operationId="getSong"),
                "patch": song_op("Rename a song", {"200": _json(_ref("Song"), "The renamed song.")},
                                 operationId="renameSong", requestBody={"required": True, "content": {
                                     "application/json": {"schema": {
                                         "type": "object", "required": ["title"], "properties": {"title": {
                                             "type": "string", "maxLength": TITLE_MAX, "pattern": "\\S",
                                             "description": "Spaces are collapsed; it cannot be blank."}}}}}}),
                "delete": song_op("Delete a song and its files", {"204": {"description": "Deleted."}},
                                  operationId="deleteSong"),
            },
            "/api/songs/{song_id}/again": {"post": song_op(
                "Make a song again (same seed) or vary it (new seed)",
                {"202": {**_json(_ref("Job"), "Queued."), "links": job_link}}, operationId="makeAgain",
                requestBody={"required": False, "content": {"application/json": {"schema": {
                    "type": "object", "additionalProperties": False,
                    "properties": {"same_seed": {"type": "boolean", "default": True}}}}}})},
            "/api/songs/{song_id}/regenerate": {"post": song_op(
                "Write a passage of a song anew (bars or seconds); the rest is kept exactly and the result "
                "is the song's next version", {"202": {**_json(_ref("Job"), "Queued (poll the job)."), "links": job_link}},
                operationId="regenerateSong", requestBody={"required": True, "content": {
                    "application/json": {"schema": _ref("RegenerateRequest")}}})},
            "/api/songs/{song_id}/extend": {"post": song_op(
                "Add music at the end or the start of a song in its style: the song's next version",
                {"202": {**_json(_ref("Job"), "Queued (poll the job)."), "links": job_link}},
                operationId="extendSong", requestBody={"required": True, "content": {
                    "application/json": {"schema": _ref("ExtendRequest")}}})},
            "/api/songs/{song_id}/versions": {"get": song_op(
                "Every version of the song's family (the first and all edited from it), oldest first",
                {"200": _json({"type": "object", "properties": {"versions": {"type": "array", "items": _ref("Song")}}},
                              "The versions.")}, operationId="listVersions")},
            "/api/songs/{song_id}/score/{fmt}": {"get": {
                "operationId": "songScore",
                "summary": "The song as a score: MusicXML, PDF or SVG (engraved by Verovio)",
                "parameters": [SONG_ID, {"name": "fmt", "in": "path", "required": True,
                                         "schema": {"type": "string", "enum": ["musicxml", "pdf", "svg"]}}],
                "responses": {"200": {"description": "The score.", "content": {
                    "application/vnd.recordare.musicxml+xml": {}, "application/pdf": {}, "image/svg+xml": {}}},
                    **ERRORS},
            }},
            "/api/songs/{song_id}/download/{fmt}": {"get": {
                "operationId": "downloadSong",
                "summary": "Download MIDI, WAV or MP3 (audio is rendered on first request)",
                "parameters": [SONG_ID, {"name": "fmt", "in": "path", "required": True,
                                         "schema": {"type": "string", "enum": ["midi", "wav", "mp3"]}}],
                "responses": {"200": {"description": "The file.", "content": {"audio/midi": {}, "audio/wav": {},
                                                                              "audio/mpeg": {}}},
                              "503": _json(_ref("Error"), "Audio rendering unavailable."), **ERRORS},
            }},
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Error": {"type": "object", "required": ["error"], "properties": {"error": {"type": "string"}}},
                "GenerateRequest": generate_request_schema(models, "json"),
                "ConvertRequest": convert_request_schema(models, "json"),
                "RegenerateRequest": edit_request_schema("regenerate", models),
                "ExtendRequest": edit_request_schema("extend", models),
                "Song": {"type": "object", "required": ["id", "title", "created_at"], "properties": {
                    "id": {"type": "integer"}, "title": {"type": "string"}, "model": {"type": "string"},
                    "genre": {"type": ["string", "null"]}, "duration_s": {"type": "number"}, "seed": {"type": "integer"},
                    "settings": {"type": "object", "description": "Every resolved parameter that made the song."},
                    "created_at": TIMESTAMP, "job_id": {"type": ["string", "null"]},
                    "source_song_id": {"type": ["integer", "null"], "description": "The song it was converted from."},
                    "source_name": {"type": ["string", "null"], "description": "The title or file it was converted from."},
                    "parent_id": {"type": ["integer", "null"], "description": "The version it was edited from."},
                    "version": {"type": "integer", "description": "Its number among the versions of its family."},
                    "family_id": {"type": "integer", "description": "The id of its family's first version: the "
                                  "versions of one song share it (the song list lists every version)."},
                    "metre_note": {"type": ["string", "null"], "description": "Said when the piece it was converted "
                                   "from or continues is not in 4/4: Sonatina writes 4/4, so its bars are regrouped."},
                    "urls": {"type": "object"}}},
                "Job": {"type": "object", "required": ["id", "status", "created_at"], "properties": {
                    "id": {"type": "string"}, "status": {"enum": ["queued", "running", "done", "failed"]},
                    "kind": {"enum": ["generate", "convert", "regenerate", "extend"]}, "source_song_id": {"type": ["integer", "null"]},
                    "source_name": {"type": ["string", "null"]},
                    "progress": {"type": "number"}, "error": {"type": ["string", "null"]}, "params": {"type": "object"},
                    "created_at": TIMESTAMP, "finished_at": {"anyOf": [TIMESTAMP, {"type": "null"}]},
                    "songs": {"type": "array", "items": _ref("Song")}, "urls": {"type": "object"}}},
            },
        },
    }
