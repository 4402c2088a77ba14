"""A score's part names stay on the page: nothing is drawn against its left edge."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from helpers import make_score
from sonatina.audio import notation


@pytest.mark.parametrize("width", [None, 2400])  # A4 pages (PDF, SVG files) and the song page's screen layout
def test_the_part_name_is_not_cut_off_at_the_left_edge(width):
    # at Verovio's default margin "Acoustic Grand Piano" began left of the page, drawn as "coustic Grand Piano"
    cairosvg = pytest.importorskip("cairosvg")
    score = make_score(bars=8)
    for track in score.tracks:
        track.name, track.program = "Sonatina", 0  # as generated: the part is named by its instrument
    page = notation.svg_pages(score, "Margins", width=width)[0]
    assert "Acoustic Grand Piano" in page
    png = cairosvg.svg2png(bytestring=page.encode(), output_width=1200)
    alpha = np.asarray(Image.open(io.BytesIO(png)).convert("RGBA"))[:, :, 3]
    assert alpha[:, :8].max() == 0, "ink touches the page's left edge"
    assert alpha.max() > 0  # something was drawn
