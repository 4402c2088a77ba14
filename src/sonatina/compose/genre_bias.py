"""Which logits processors a genre's music is sampled under: one list for every way of writing music.

A fresh piece (compose.pieces) and a passage written anew or added to a piece (compose.regenerate)
are sampled under the same per-genre defaults (compose/sample.py's tables): the scale bias, the
register window and the rest bias. Each caller settles the strength and the spans itself (a fresh
piece draws its span per seed; an edit takes it from the piece), and the list is built here.
"""

from __future__ import annotations

from sonatina.compose.register import RegisterWindow, RestBias
from sonatina.compose.habits import PitchClassHabit
from sonatina.compose.sample import ScaleBias, default_pitch_habit, default_rest_bias
from sonatina.data.tokens import Vocabulary


def genre_processors(vocab: Vocabulary, genre: str, modes: list[str], strength: float,
                     spans: list[int] | None, written: tuple[int, int] | None = None) -> list:
    """The processors for `len(modes)` rows of `genre` (in the model's C-tonic frame, one mode per
    row): ScaleBias at `strength` nats (none at 0), a RegisterWindow of `spans` (none for None;
    `written` as RegisterWindow takes it), the genre's RestBias and its PitchClassHabit (each none
    where its default is 0), in that order."""
    processors = []
    if strength > 0:
        processors.append(ScaleBias(vocab.pitch_of, modes, strength))
    if spans is not None:
        processors.append(RegisterWindow(vocab.pitch_of, spans, written=written))
    rest = default_rest_bias(genre)
    if rest > 0:
        processors.append(RestBias(vocab, len(modes), rest))
    habit = default_pitch_habit(genre)
    if habit > 0:
        processors.append(PitchClassHabit(vocab.pitch_of, len(modes), habit))
    return processors
