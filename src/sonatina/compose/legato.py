"""Voices that hold until the next chord: a texture rule some genres' defaults switch on (issue 11).

A chorale's four voices sing without a break: in every held-out Bach chorale at least two
pitches sound at every moment, and no beat is silent. The model writes each note's length
before it knows when the next chord comes, so now and then one voice, or none, is left
sounding for a moment: a gap no choir would sing. `hold_voices` closes those gaps after
composing by lengthening the notes that were sounding last, up to the next onset. It adds and
moves no onset and changes no pitch; only notes' ends move later.
"""

from __future__ import annotations

from symusic import Score

# Pitches that must sound at every moment, per genre (bench/RESULTS.md "Chorales held, jazz's
# pitch habits"). A genre not named here keeps the lengths the model wrote.
HELD_VOICES_BY_GENRE: dict[str, int] = {"chorale": 2}


def held_voices(genre: str | None) -> int:
    return HELD_VOICES_BY_GENRE.get(genre, 0)


def hold_voices(score: Score, voices: int, kept_until: int = -1) -> None:
    """In place: wherever fewer than `voices` notes of a track sound between one onset and the
    next, the notes begun at or before the first that end latest are held to the next onset.

    A note is not held past a later onset of its own pitch (the voice sings it again there), so
    no two notes of one pitch overlap. Notes beginning at or before tick `kept_until` (a user's
    primer) keep their lengths: only the new music is held."""
    if voices <= 0:
        return
    for track in score.tracks:
        if track.is_drum or not len(track.notes):
            continue
        notes = sorted(track.notes, key=lambda n: (n.time, n.pitch))
        onsets = sorted({n.time for n in notes})
        struck: dict[int, list[int]] = {}
        for n in notes:
            struck.setdefault(n.pitch, []).append(n.time)
        begun = 0  # notes[:begun] start at or before the current onset
        for here, following in zip(onsets, onsets[1:]):
            while begun < len(notes) and notes[begun].time <= here:
                begun += 1
            latest = sorted(notes[:begun], key=lambda n: n.time + n.duration, reverse=True)
            held = 0
            for note in latest:
                if held == voices:
                    break
                end = note.time + note.duration
                if end >= following:
                    held += 1
                    continue
                if note.time <= kept_until or _struck_between(struck[note.pitch], end, following):
                    continue
                note.duration = following - note.time
                held += 1


def _struck_between(times: list[int], start: int, stop: int) -> bool:
    """Whether the pitch is struck anew in [start, stop) (its own later notes)."""
    return any(start <= t < stop for t in times)
