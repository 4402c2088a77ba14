"""A whole piece's piano roll as a small inline SVG (the song page shows the original and the
conversion side by side; the player's own roll follows the playhead of the one playing).

Stored files only: songs' MIDI written by jobs, and sources already read in the sandbox.
"""

from __future__ import annotations

from pathlib import Path

from markupsafe import Markup, escape

WIDTH, HEIGHT = 960, 160
MAX_NOTES = 6000  # a long piece draws its first notes; the page stays small
DRUM_COLOUR, COLOURS = "#9aa3ad", ("#4f7cff", "#e0823d", "#3aa676", "#b85cc9", "#d4b106", "#d9534f")


def pianoroll_svg(path: Path, label: str, test_id: str) -> Markup:
    """Every note of the MIDI at `path` as a rectangle: time left to right, pitch bottom to top,
    one colour per track, drums grey along the bottom."""
    from symusic import Score

    score = Score(str(path)).to("second")
    notes = [(n.time, n.duration, n.pitch, t.is_drum, i) for i, t in enumerate(score.tracks) for n in t.notes]
    notes.sort()
    notes = notes[:MAX_NOTES]
    end = max((start + length for start, length, *_ in notes), default=1.0) or 1.0
    pitched = [p for _s, _d, p, drum, _i in notes if not drum]
    low, high = (min(pitched) - 1, max(pitched) + 1) if pitched else (48, 84)
    row = (HEIGHT - 8) / (high - low + 1)
    rects = []
    for start, length, pitch, drum, track in notes:
        x, w = start / end * WIDTH, max(length / end * WIDTH, 1.0)
        if drum:
            y, h, colour = HEIGHT - 6, 6, DRUM_COLOUR
        else:
            y, h, colour = (high - pitch) * row, max(row, 1.0), COLOURS[track % len(COLOURS)]
        rects.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" fill="{colour}"/>')
    return Markup(
        f'<svg class="pianoroll" data-testid="{escape(test_id)}" id="{escape(test_id)}" data-notes="{len(notes)}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" preserveAspectRatio="none" role="img" aria-label="{escape(label)}">'
        f'<title>{escape(label)}</title>{"".join(rects)}</svg>')
