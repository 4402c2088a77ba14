"""The JSON API keeps its own contract: Schemathesis (property-based tests generated from
/api/openapi.json) runs against the app in-process, seeded and bounded, stateful links included,
and must find nothing: no 5xx, no undocumented status or header, every documented request
accepted, every undocumented one refused, every response matching its schema."""

from __future__ import annotations

import pytest

from helpers import PASSWORD

schemathesis = pytest.importorskip("schemathesis")
from schemathesis import engine  # noqa: E402
from schemathesis.engine import events  # noqa: E402


@pytest.fixture
def app_config(app_config):
    # only the shipped model: the schema's per-model genre pairing is an `anyOf` that Schemathesis
    # does not apply to multipart bodies, so with two models it would send one model another's genre
    return {**app_config, "MODEL_PATHS": []}


def _token(client, auth) -> str:
    auth.signup("ada")
    token = client.post("/api/token", json={"username": "ada", "password": PASSWORD}).json["token"]
    made = client.post("/api/generate", headers={"Authorization": f"Bearer {token}"},
                       json={"seconds": 5, "seed": 1})
    job = client.get(made.json["urls"]["self"], headers={"Authorization": f"Bearer {token}"}).json
    assert job["status"] == "done", job  # a song for the song operations
    return token


@pytest.fixture
def wsgi_transport_fix(monkeypatch):
    """Schemathesis 4.32 hands socket settings (max_redirects, verify, cert) to its WSGI transport
    when no requests.Session is involved, and werkzeug refuses them; drop them as it does itself
    for sessions."""
    from schemathesis.transport.wsgi import WSGITransport

    send = WSGITransport.send

    def send_without_socket_settings(self, case, *, session=None, **kwargs):
        for name in ("max_redirects", "verify", "cert", "proxies"):
            kwargs.pop(name, None)
        return send(self, case, session=session, **kwargs)

    monkeypatch.setattr(WSGITransport, "send", send_without_socket_settings)


def _primer_content(check, case) -> bool:
    """A refused primer (or piece to convert) whose bytes are not music: the schema says 'binary', not
    'a real MIDI file' (the upload paths have their own fuzz suite), so that refusal is no contract failure."""
    return (check.name == "positive_data_acceptance" and isinstance(case.body, dict)
            and ("primer" in case.body or "source" in case.body))


def _passage_fit(check, case) -> bool:
    """A passage to regenerate, or tracks to rewrite, that do not fit the song (bars past its end,
    FIRST after LAST, no such track): the schema can say the form "9-12", not the song's length or
    its tracks, so that refusal is no contract failure."""
    return (check.name == "positive_data_acceptance" and case.path.endswith(("/regenerate", "/extend"))
            and isinstance(case.body, dict) and any(case.body.get(k) for k in ("bars", "seconds", "tracks")))


def test_schemathesis_finds_no_contract_failures(app, client, auth, wsgi_transport_fix):
    token = _token(client, auth)
    app.extensions["huey"].immediate = False  # later jobs only queue: composing is not under test here
    config = schemathesis.Config.from_dict({
        "seed": 20261128,
        "headers": {"Authorization": f"Bearer {token}"},
        "generation": {"max-examples": 5, "database": "none"},
    })
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app, config=config)

    @schema.hook
    def map_body(_context, body):
        # a primer's bytes must be real music, which no schema can say: uploads have their own fuzz suite
        return {k: v for k, v in body.items() if k != "primer"} if isinstance(body, dict) else body
    failures, cases, detail = [], 0, []
    for event in engine.from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            cases += len(event.recorder.cases)
            for case_id, checks in event.recorder.checks.items():
                case = event.recorder.cases[case_id].value
                failed = [c for c in checks if c.status.name == "FAILURE" and not _primer_content(c, case)
                          and not _passage_fit(c, case)]
                if failed:
                    response = event.recorder.interactions.get(case_id)
                    response = response.response if response else None
                    failures += [f"{event.recorder.label}: {c.name}" for c in failed]
                    detail.append(f"{case.method} {case.formatted_path} {case.body!r} {case.query!r} -> "
                                  f"{response.status_code if response else None} "
                                  f"{(response.content or b'')[:200] if response else ''}")
        elif isinstance(event, (events.NonFatalError, events.FatalError)):
            failures.append(f"error: {getattr(event, 'value', event)!r}")
    assert cases > 100
    assert not sorted(set(failures)), "\n".join(sorted(set(failures)) + detail[:10])
