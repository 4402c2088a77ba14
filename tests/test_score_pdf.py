"""PDF scores are drawn by librsvg where the system has it (several times faster than cairosvg)
and by cairosvg where it does not: the same pages, the same sizes, either way. A score kept as
MusicXML is engraved again without music21."""

from __future__ import annotations

import re

import pytest

from sonatina import api
from sonatina.audio import notation
from tests.helpers import make_score


def _page_sizes(pdf: bytes) -> list[tuple[float, ...]]:
    """Every page's MediaBox, in points (cairo writes one per page, uncompressed)."""
    return [tuple(round(float(x), 1) for x in box.split())
            for box in re.findall(rb"/MediaBox\s*\[\s*([\d.\s]+?)\s*\]", pdf)]


@pytest.fixture(scope="module")
def pages() -> list[str]:
    """Two A4 pages of a piece, as Verovio draws them for a PDF."""
    score = make_score(seed=5, bars=48)
    drawn = notation.svg_pages(None, xml=notation._words_for_tempo(notation.musicxml(score, "Two pages")))
    assert len(drawn) >= 2
    return drawn


def test_librsvg_and_cairosvg_draw_the_same_pages(pages):
    if notation.librsvg() is None:
        pytest.skip("librsvg is not installed here (apt: librsvg2-2); cairosvg draws the PDFs")
    by_librsvg, by_cairosvg = notation._pdf_by_librsvg(pages), notation._pdf_by_cairosvg(pages)
    assert by_librsvg.startswith(b"%PDF") and by_cairosvg.startswith(b"%PDF")
    sizes = _page_sizes(by_librsvg)
    assert len(sizes) == len(pages) and sizes == _page_sizes(by_cairosvg)
    assert sizes[0] == (0.0, 0.0, 630.0, 891.0)  # Verovio's 840 x 1188 px page at 96 px to the inch
    assert len(by_librsvg) > 10_000  # the music is drawn, not blank pages


def test_pdf_uses_librsvg_where_present_and_cairosvg_where_not(pages, monkeypatch):
    if notation.librsvg() is not None:
        def not_cairosvg(_pages):
            raise AssertionError("cairosvg drew the PDF although librsvg is here")

        with monkeypatch.context() as patched:
            patched.setattr(notation, "_pdf_by_cairosvg", not_cairosvg)
            assert notation.pdf(pages).startswith(b"%PDF")
    monkeypatch.setattr(notation, "librsvg", lambda: None)  # a system without it
    drawn = notation.pdf(pages)
    assert drawn.startswith(b"%PDF") and len(_page_sizes(drawn)) == len(pages)


def test_a_score_kept_as_musicxml_is_engraved_without_music21(tmp_path, monkeypatch):
    score = make_score(seed=6, bars=8)
    xml = api.export_score(score, tmp_path / "piece.musicxml", "Kept").read_bytes()

    def no_music21(*_args, **_kwargs):
        raise AssertionError("music21 ran again")

    monkeypatch.setattr(notation, "to_music21", no_music21)
    pdf = api.engrave_score(xml, "pdf")
    assert pdf.startswith(b"%PDF") and len(_page_sizes(pdf)) == 1
    svg = api.engrave_score(xml, "svg", width=1800).decode()
    assert svg.lstrip().startswith("<svg") and "<style" not in svg and "Kept" in svg
    with pytest.raises(ValueError):
        api.engrave_score(xml, "png")
