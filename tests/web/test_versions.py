"""A song's versions as one song: the dashboard lists each song once (its latest version and how
many versions it has), the JSON API names each version's family, deleting a version keeps the
history one tree, and the score view's A/B sources name each version's own score."""

from __future__ import annotations

import re
from html import unescape

from helpers import PASSWORD
from webhelpers import csrf_token, regenerate


def _dashboard_items(client) -> list[dict]:
    html = client.get("/dashboard").get_data(as_text=True)
    items = []
    for match in re.finditer(r'<li class="song-item"[^>]*data-song-id="(\d+)" data-family-id="(\d+)"\s+'
                             r'data-versions="(\d+)">(.*?)</li>', html, re.S):
        items.append({"id": int(match[1]), "family": int(match[2]), "count": int(match[3]), "html": match[4]})
    return items


def _song(client, song_id: int) -> dict:
    response = client.get(f"/api/songs/{song_id}")
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def _history(client, song_id: int) -> list[tuple[int, int]]:
    page = client.get(f"/songs/{song_id}").get_data(as_text=True)
    return [(int(i), int(v)) for i, v in
            re.findall(r'data-testid="version-item" data-song-id="(\d+)" data-version="(\d+)"', page)]


def test_dashboard_lists_each_song_once_with_its_latest_version(auth, make_song, client):
    auth.signup()
    first = make_song()
    other = make_song(seed="8")
    v2 = regenerate(auth, first)
    v3 = regenerate(auth, v2, seed=5)
    items = _dashboard_items(client)
    # two songs, not four rows: the edited one (newest activity) first, showing v3 and "3 versions"
    assert [(i["id"], i["family"], i["count"]) for i in items] == [(v3, first, 3), (other, other, 1)]
    assert 'data-testid="song-versions"' in items[0]["html"] and "3 versions" in items[0]["html"]
    assert f'href="/songs/{v3}"' in items[0]["html"]
    assert "song-versions" not in items[1]["html"]
    assert "2 songs" in client.get("/dashboard").get_data(as_text=True)
    # the history is on the song's page
    assert _history(client, v3) == [(first, 1), (v2, 2), (v3, 3)]
    # the JSON API still lists every version (backward compatible), each naming its family
    listed = client.get("/api/songs").get_json()
    assert listed["total"] == 4
    assert {s["id"]: (s["family_id"], s["parent_id"], s["version"]) for s in listed["songs"]} == {
        first: (first, None, 1), v2: (first, first, 2), v3: (first, v2, 3), other: (other, None, 1)}
    assert _song(client, v3)["family_id"] == first
    assert "family_id" in client.get("/api/openapi.json").get_json()["components"]["schemas"]["Song"]["properties"]


def test_dashboard_pages_count_songs_not_versions(app, auth, make_song, client):
    app.config["SONGS_PER_PAGE"] = 1
    auth.signup()
    first = make_song()
    v2 = regenerate(auth, first)
    other = make_song(seed="8")
    html = client.get("/dashboard").get_data(as_text=True)
    assert "Page 1 of 2" in html
    assert [i["id"] for i in _dashboard_items(client)] == [other]
    second_page = client.get("/dashboard?page=2").get_data(as_text=True)
    assert f'data-song-id="{v2}"' in second_page and f'data-song-id="{first}"' not in second_page


def test_deleting_a_middle_version_keeps_one_history(auth, make_song, client):
    auth.signup()
    first = make_song()
    v2 = regenerate(auth, first)
    v3 = regenerate(auth, v2, seed=5)
    response = auth.post(f"/songs/{v2}/delete")
    # the song is still there: its latest version's page, not the dashboard
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/songs/{v3}")
    assert "Version 2 of" in unescape(client.get(response.headers["Location"]).get_data(as_text=True))
    assert client.get(f"/songs/{v2}").status_code == 404
    child = _song(client, v3)
    assert (child["parent_id"], child["version"], child["family_id"]) == (first, 3, first)  # re-parented, number kept
    assert _history(client, first) == _history(client, v3) == [(first, 1), (v3, 3)]
    assert "(from v2, since deleted)" in client.get(f"/songs/{v3}").get_data(as_text=True)
    assert [(i["id"], i["count"]) for i in _dashboard_items(client)] == [(v3, 2)]
    # its edit was of v2, which is gone: "make again" says so rather than redo bars of v1
    again = auth.post(f"/studio/songs/{v3}/again")
    assert again.status_code == 400
    assert "The version this one was made from is deleted" in unescape(again.get_data(as_text=True))
    # a new version still numbers on from the family's highest
    v4 = regenerate(auth, v3, seed=6)
    assert _history(client, first)[-1] == (v4, 4)


def test_deleting_the_root_makes_the_next_version_the_root(auth, make_song, client):
    auth.signup()
    first = make_song()
    v2 = regenerate(auth, first)
    v3 = regenerate(auth, first, seed=5)  # a second edit of v1: the root has two children
    deleted = client.delete(f"/api/songs/{first}", headers={"X-CSRFToken": csrf_token(client, "/")})
    assert deleted.status_code in (200, 204)
    assert (_song(client, v2)["parent_id"], _song(client, v3)["parent_id"]) == (None, v2)
    assert _song(client, v3)["family_id"] == v2
    assert _history(client, v2) == [(v2, 2), (v3, 3)]  # one song, not two
    assert [(i["id"], i["family"], i["count"]) for i in _dashboard_items(client)] == [(v3, v2, 2)]
    # deleting the last two: the song is gone
    assert auth.post(f"/songs/{v3}/delete").headers["Location"].endswith(f"/songs/{v2}")
    last = auth.post(f"/songs/{v2}/delete")
    assert last.headers["Location"].endswith("/dashboard")
    assert _dashboard_items(client) == []


def test_another_users_version_is_not_found(auth, make_song, client):
    auth.signup()
    first = make_song()
    v2 = regenerate(auth, first)
    auth.logout()
    auth.signup("bob")
    for url in (f"/songs/{v2}/delete", f"/songs/{first}/delete"):
        refused = auth.post(url)
        assert refused.status_code == 404
        assert "There is nothing here (or it is not yours)." in refused.get_data(as_text=True)
    api = client.delete(f"/api/songs/{v2}", headers={"X-CSRFToken": csrf_token(client, "/")})
    assert api.status_code == 404 and api.get_json() == {"error": "There is nothing here (or it is not yours)."}
    assert _dashboard_items(client) == []
    auth.logout()
    auth.login("ada", PASSWORD)
    assert [(i["id"], i["count"]) for i in _dashboard_items(client)] == [(v2, 2)]  # untouched


def test_each_version_in_the_switch_names_its_own_score(auth, make_song, client):
    auth.signup()
    first = make_song()
    v2 = regenerate(auth, first)
    page = client.get(f"/songs/{v2}").get_data(as_text=True)
    links = re.findall(r'id="ab-v(\d)".*?data-score="([^"]+)" data-seconds-per-bar="([^"]+)"\s+data-own="(\d)"',
                       page, re.S)
    assert [(v, src, own) for v, src, _spb, own in links] == [
        ("1", f"/songs/{first}/score.svg", "0"), ("2", f"/songs/{v2}/score.svg", "1")]
    assert all(float(spb) > 0 for _v, _src, spb, _own in links)
    assert f'data-src="/songs/{v2}/score.svg"' in page  # the view starts on the page's own version
    assert 'id="score-other"' in page and 'data-testid="score-version">v2<' in page
    # an edit's settings have no scale strength: no row with a unit and no number
    assert not re.search(r'data-setting="scale_strength">\s*nats', page)
    assert client.get(f"/songs/{first}/score.svg").mimetype == "image/svg+xml"
    # a song with one version has no switch and no note
    lone = client.get(f"/songs/{make_song(seed='9')}").get_data(as_text=True)
    assert "data-score=" not in lone and 'id="score-other"' not in lone


def test_renaming_a_version_renames_the_song(auth, make_song, client):
    auth.signup()
    first = make_song()
    v2 = regenerate(auth, first)
    other = make_song(seed="8")
    assert auth.post(f"/songs/{first}/rename", {"title": "Night  walk"}).status_code == 302
    assert {_song(client, i)["title"] for i in (first, v2)} == {"Night walk"}
    assert _song(client, other)["title"] != "Night walk"  # another song keeps its title
    assert "Night walk" in next(i["html"] for i in _dashboard_items(client) if i["id"] == v2)
