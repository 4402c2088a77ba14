"""A song and its versions as one family: what the dashboard lists (one entry per song, its latest
version, how many versions it has) and how deleting a version keeps the history in one piece.

A family is a tree of Song rows joined by parent_id (the version each was made from), rooted at
the version with no parent. Rows are only ever joined to rows of the same owner.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from sqlalchemy import select

from sonatina.web.extensions import db
from sonatina.web.models import Song


@dataclass
class Family:
    latest: Song  # the version the library shows for the song: the highest-numbered one
    count: int  # versions in the family, the latest included
    root_id: int  # the family's first surviving version: its id names the family


def roots(parents: dict[int, int | None]) -> dict[int, int]:
    """{song id: parent id} -> {song id: its family's root id}. A parent outside `parents` (another
    owner's, or gone) ends the walk, and so does a loop, so every id gets a root."""
    found: dict[int, int] = {}
    for start in parents:
        path, node = [], start
        while node not in found and parents.get(node) in parents and node not in path:
            path.append(node)
            node = parents[node]
        root = found.get(node, node)
        for member in path + [node]:
            found[member] = root
    return found


def family_ids(user_id: int) -> dict[int, int]:
    """Every song of the user -> the id of its family (its root version)."""
    rows = db.session.execute(select(Song.id, Song.parent_id).where(Song.owner_id == user_id)).all()
    return roots({song_id: parent_id for song_id, parent_id in rows})


def counts(user_id: int) -> tuple[int, int]:
    """(songs, versions) of the user: a song's versions count as one song, as the dashboard lists them."""
    family_of = family_ids(user_id)
    return len(set(family_of.values())), len(family_of)


def family_page(user_id: int, page: int, per_page: int) -> tuple[list[Family], int]:
    """One entry per family, the one with the newest latest version first; returns (entries on
    this page, number of families). Reads four columns of the user's songs, then the page's rows."""
    rows = db.session.execute(select(Song.id, Song.parent_id, Song.version, Song.created_at)
                              .where(Song.owner_id == user_id)).all()
    root_of = roots({r.id: r.parent_id for r in rows})
    latest, counts = {}, Counter()
    for r in rows:
        root = root_of[r.id]
        counts[root] += 1
        best = latest.get(root)
        if best is None or (r.version or 1, r.id) > (best.version or 1, best.id):
            latest[root] = r
    ordered = sorted(latest.items(), key=lambda item: (item[1].created_at, item[1].id), reverse=True)
    chosen = ordered[(page - 1) * per_page: page * per_page]
    songs = {s.id: s for s in db.session.scalars(select(Song).where(Song.id.in_([r.id for _, r in chosen])))}
    return [Family(songs[r.id], counts[root], root) for root, r in chosen], len(ordered)


def reparent_children(song: Song) -> None:
    """Before `song` is deleted: its children hang from its parent instead, so the history stays
    one tree (versions keep their numbers). When the root goes, its first child (lowest version)
    becomes the root and its other children hang from that one. Each child notes the version it
    was made from is gone: its edit cannot be made again from a different parent."""
    children = list(db.session.scalars(select(Song).where(Song.parent_id == song.id, Song.owner_id == song.owner_id)
                                       .order_by(Song.version, Song.id)))
    if not children:
        return
    if song.parent_id is None:
        heir, others = children[0], children[1:]
        heir.parent_id = None
        for child in others:
            child.parent_id = heir.id
    else:
        for child in children:
            child.parent_id = song.parent_id
    for child in children:
        child.settings = {**(child.settings or {}), "made_from_deleted": song.version}
    db.session.flush()  # the children point elsewhere before the row they pointed at goes


def root(song: Song) -> Song:
    """The song's family's first version, walking up its parents (within its owner's songs)."""
    node, seen = song, {song.id}
    while node.parent_id is not None and node.parent_id not in seen:
        parent = db.session.get(Song, node.parent_id)
        if parent is None or parent.owner_id != song.owner_id:
            break
        seen.add(parent.id)
        node = parent
    return node


def root_id(song: Song) -> int:
    """The id of the song's family (its root version)."""
    return root(song).id
