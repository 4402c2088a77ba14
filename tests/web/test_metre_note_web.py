"""A song converted from, or continuing, a piece not in 4/4 says on its page and in the JSON API
that its bars are regrouped (Sonatina writes 4/4), as the CLI does; a piece in 4/4 gets no note."""

from __future__ import annotations

import io
import re

from symusic import Note, Score, Tempo, TimeSignature, Track

from test_convert_pages import convert_form, song_id_of_job, tune_midi
from webhelpers import generate, job_song

WALTZ_NOTE = "The source is in 3/4; Sonatina writes 4/4, so its bars are regrouped."


def waltz_midi() -> bytes:
    """Twelve bars of a waltz in 3/4: a tune on the beats over an oom-pah-pah in C and G."""
    score = Score(480)
    score.tempos = [Tempo(0, qpm=150.0)]
    score.time_signatures = [TimeSignature(0, 3, 4)]
    tune, piano = Track(name="Melody"), Track(name="Piano")
    line = [67, 72, 76, 74, 71, 67, 69, 72, 77, 76, 72, 67]
    for beat in range(36):
        tune.notes.append(Note(beat * 480, 480, line[beat % 12] if beat % 3 == 0 else line[beat % 12] - 3, 90))
    for bar in range(12):
        root, third, fifth = (48, 52, 55) if bar % 4 < 2 else (43, 47, 50)
        piano.notes.append(Note(bar * 1440, 480, root, 60))
        piano.notes.extend(Note(bar * 1440 + beat * 480, 480, p, 50) for beat in (1, 2) for p in (third + 12, fifth + 12))
    score.tracks.extend([tune, piano])
    return score.dumps_midi()


def _page_text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_a_converted_waltz_says_its_bars_are_regrouped(app, auth, client):
    auth.signup()
    made = convert_form(auth, source=(io.BytesIO(waltz_midi()), "waltz.mid"), to="pop")
    song_id = song_id_of_job(client, made.headers["Location"])
    song = client.get(f"/api/songs/{song_id}").json
    assert song["settings"]["source_metre"] == "3/4"  # stored with the song when the job ran
    assert song["metre_note"] == WALTZ_NOTE
    html = client.get(f"/songs/{song_id}").get_data(as_text=True)
    note = re.search(r'<p[^>]*id="metre-note"[^>]*>(.*?)</p>', html, re.S)
    assert note and note.group(1).strip() == WALTZ_NOTE
    assert WALTZ_NOTE in _page_text(html)

    plain = convert_form(auth, source=(io.BytesIO(tune_midi()), "tune.mid"), to="pop")  # 4/4: nothing to say
    plain_id = song_id_of_job(client, plain.headers["Location"])
    assert 'id="metre-note"' not in client.get(f"/songs/{plain_id}").get_data(as_text=True)
    assert client.get(f"/api/songs/{plain_id}").json["metre_note"] is None


def test_a_continued_waltz_says_its_primer_is_regrouped(auth, client, model_name):
    auth.signup()
    song_id = job_song(auth, generate(auth, model_name, seconds="24", primer=(io.BytesIO(waltz_midi()), "waltz.mid")))
    sentence = "The primer is in 3/4; Sonatina writes 4/4, so its bars are regrouped."
    assert sentence in _page_text(client.get(f"/songs/{song_id}").get_data(as_text=True))
    assert client.get(f"/api/songs/{song_id}").json["metre_note"] == sentence
