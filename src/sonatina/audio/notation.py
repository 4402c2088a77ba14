"""A piece as a score to read: MusicXML (music21), and SVG pages or a PDF engraved by Verovio.

Notation needs decisions a MIDI file does not make, taken here plainly:
- rhythm (audio/score_rhythm.py): a constant lag of the whole piece is taken off, each beat is
  written in sixteenths or, where its notes clearly are, eighth-note triplets; notes that start
  together become one chord, held until the next onset at most (one voice per staff: readable
  rather than complete); notes and rests are cut and tied so that no tuplet spans beats;
- key and time signature: the piece's own (MIDI meta events), else the estimated key and 4/4;
- staves: a piano part (GM programs 0-7) or any part spanning more than two octaves is split at
  middle C into a treble and a bass staff joined by a brace, when each staff gets a tenth of its
  notes at least (a tune on a piano stays on one staff); other parts get one staff with the clef
  that fits them. Drum tracks are left out (no pitched notation for them);
- part names: the track's name when a person gave it one ("Melody"), else its General MIDI
  instrument ("Tenor Sax"): the generator's own track name says nothing to a reader.
The MusicXML is then the input for Verovio, which lays it out into pages.
"""

from __future__ import annotations

import functools
import io
import re
from fractions import Fraction
from pathlib import Path

import numpy as np
from symusic import Score

from sonatina.audio import score_rhythm
from sonatina.errors import BadInputError
from sonatina.music.instruments import GM_PROGRAM_NAMES
from sonatina.music.keys import estimate_key

SPLIT_PITCH = 60  # middle C: the lowest note of a piano's treble staff
MIN_STAFF_SHARE = 0.1  # a part is split only when each staff gets at least this share of its notes
FORMATS = ("musicxml", "svg", "pdf")
# A4 in Verovio's tenths of mm. The left margin leaves room for the part's name: Verovio measures it
# in its own text font, and the serif fonts that browsers and cairo draw it in are wider, so at the
# default margin (50) "Acoustic Grand Piano" ran off the page's left edge.
PAGE = {"pageWidth": 2100, "pageHeight": 2970, "scale": 40, "pageMarginLeft": 150}
# Track names that name no part: the one every generated track carries (data/tokens.py and
# data/events.py write "Sonatina") and the placeholders editors give a track nobody named.
UNNAMED = re.compile(r"(sonatina|untitled|unnamed|track|midi|instrument)?\s*[-_#]?\s*\d*", re.I)


def format_of(path: str | Path) -> str:
    """'musicxml' | 'svg' | 'pdf' from a file name; one sentence for anything else."""
    suffix = Path(path).suffix.lower()
    fmt = {".musicxml": "musicxml", ".xml": "musicxml", ".svg": "svg", ".pdf": "pdf"}.get(suffix)
    if fmt is None:
        raise BadInputError(f"Write the score to a .musicxml, .svg or .pdf file, not '{suffix or 'no extension'}'.")
    return fmt


def part_name(track) -> str:
    """What the score calls a track's part: its own name if a person gave it one, else its
    General MIDI instrument's name."""
    name = " ".join(track.name.split())
    return GM_PROGRAM_NAMES[track.program] if UNNAMED.fullmatch(name) else name


def _key(score: Score):
    from music21 import key

    if len(score.key_signatures):
        ks = score.key_signatures[0]
        signature = key.KeySignature(int(ks.key))
        return signature.asKey("minor" if int(ks.tonality) == 1 else "major")
    notes = [n for t in score.tracks if not t.is_drum for n in t.notes]
    tonic, mode = estimate_key(np.array([n.pitch for n in notes]), np.array([max(1, n.duration) for n in notes]))
    from sonatina.music.pitches import pitch_class_name

    name = pitch_class_name(tonic)
    return key.Key(name.lower() if mode == "minor" else name)


def _spelled(midi: int, sharps: int):
    """A MIDI pitch spelt as the key writes it: sharps in sharp keys, flats in flat keys."""
    from music21 import pitch

    p = pitch.Pitch(midi=midi)
    if p.accidental is not None and ((sharps > 0 and p.accidental.alter < 0) or (sharps < 0 and p.accidental.alter > 0)):
        p = p.getEnharmonic()
    return p


def _staff(kind, items, clef, header, sharps: int = 0) -> object:
    """A staff of score_rhythm.written() items: rests, notes and chords, tied where cut."""
    from music21 import chord, note, tie

    staff = kind()
    for element in header:
        staff.insert(0, element)
    staff.insert(0, clef)
    for item in items:
        spelt = [_spelled(p, sharps) for p in item.pitches]
        if not spelt:
            written = note.Rest()
        else:
            written = note.Note(spelt[0]) if len(spelt) == 1 else chord.Chord(spelt)
            written.tie = tie.Tie(item.tie) if item.tie else None
        written.quarterLength = item.length
        staff.insert(item.onset, written)
    return staff


def _best_clef(items):
    """The clef music21 finds best for a staff's pitches (from its notes alone: a staff of only
    them picks the same clef as the whole staff, for less work)."""
    from music21 import clef, note, stream

    return clef.bestClef(stream.Part([note.Note(_spelled(p, 0)) for item in items for p in item.pitches]))


def to_music21(score: Score, title: str = ""):
    """The piece as a music21 Score (see the module docstring for the choices made)."""
    from music21 import clef, layout, meter, metadata, stream, tempo

    tracks = [t for t in score.tracks if not t.is_drum and len(t.notes)]
    if not tracks:
        raise BadInputError("The piece has no pitched notes to write as a score.")
    tpq = score.ticks_per_quarter
    ts = score.time_signatures[0] if len(score.time_signatures) else None
    qpm = float(score.tempos[0].qpm) if len(score.tempos) else 120.0
    key = _key(score)
    out = stream.Score()
    out.metadata = metadata.Metadata(title=title or "Sonatina")
    bar = Fraction(4 * ts.numerator, ts.denominator) if ts else Fraction(4)
    shift = score_rhythm.lag(np.array([n.time / tpq for t in tracks for n in t.notes]))

    until = Fraction(max(n.time + n.duration for t in tracks for n in t.notes), tpq) - shift

    def voice(notes):  # one staff's notes in quarters, the piece's lag taken off, then written out
        timed = [(max(0.0, n.time / tpq - float(shift)), n.duration / tpq, n.pitch) for n in notes]
        return score_rhythm.written(score_rhythm.events(timed), bar, until)

    for index, track in enumerate(tracks):
        def header():
            return [meter.TimeSignature(f"{ts.numerator}/{ts.denominator}" if ts else "4/4"),
                    key.__class__(key.tonic, key.mode)]

        name = part_name(track)
        pitches = [n.pitch for n in track.notes]
        below = sum(p < SPLIT_PITCH for p in pitches) / len(pitches)
        # two staves for a keyboard part or a wide one, when both staves get a real share of it
        piano = (track.program < 8 or max(pitches) - min(pitches) > 24) and MIN_STAFF_SHARE <= below <= 1 - MIN_STAFF_SHARE
        if piano:
            upper = voice([n for n in track.notes if n.pitch >= SPLIT_PITCH])
            lower = voice([n for n in track.notes if n.pitch < SPLIT_PITCH])
            staves = [_staff(stream.PartStaff, upper, clef.TrebleClef(), header(), key.sharps),
                      _staff(stream.PartStaff, lower, clef.BassClef(), header(), key.sharps)]
        else:
            events = voice(track.notes)
            staves = [_staff(stream.Part, events, _best_clef(events), header(), key.sharps)]
        for staff in staves:
            staff.partName = name
            if index == 0 and staff is staves[0]:
                staff.insert(0, tempo.MetronomeMark(number=round(qpm)))
            staff.makeNotation(inPlace=True)
            staff.splitAtDurations(recurse=True)  # a 5/4 rest as tied values: MusicXML has no such type
            out.insert(0, staff)
        if piano:
            out.insert(0, layout.StaffGroup(staves, name=name, symbol="brace"))
    return out


def musicxml(score: Score, title: str = "") -> bytes:
    """MusicXML (uncompressed, UTF-8) of a piece. to_music21 has made the notation of every staff,
    so the exporter is told not to: by default it copies the whole score, fills it with rests and
    makes its notation again, a third of the time, for the same bytes (bench/RESULTS.md, "Scores:
    plain rhythms")."""
    from music21.musicxml.m21ToXml import GeneralObjectExporter

    exporter = GeneralObjectExporter(to_music21(score, title))
    exporter.makeNotation = False
    return exporter.parse()


def svg_pages(score: Score | None, title: str = "", *, width: int | None = None, xml: bytes | None = None) -> list[str]:
    """The piece engraved by Verovio, one SVG string per page (from `xml`, its MusicXML, when given:
    then `score` is not read). `width` (Verovio units) makes a screen layout: one tall page that
    wide instead of A4 pages."""
    import verovio

    toolkit = verovio.toolkit(False)
    # Its fonts are found per thread: a web server's worker threads must name the folder themselves.
    toolkit.setResourcePath(str(Path(verovio.__file__).parent / "data"))
    options = {**PAGE, "footer": "none", "header": "auto"}
    if width:  # for a page that styles it: no <style> or embedded font inside (see screen_styles)
        options.update(pageWidth=width, adjustPageHeight=True, breaks="auto", pageHeight=60000, scale=35,
                       smuflTextFont="none")
    toolkit.setOptions(options)
    if not toolkit.loadData((xml or musicxml(score, title)).decode("utf-8")):
        raise BadInputError("Verovio could not lay out this score.")
    pages = [toolkit.renderToSVG(page) for page in range(1, toolkit.getPageCount() + 1)]
    return [re.sub(r"<style[^>]*>.*?</style>", "", p, flags=re.S) for p in pages] if width else pages


def music_font() -> bytes:
    """The SMuFL text font (Leipzig, WOFF2) Verovio embeds in its own SVGs, taken from the installed
    package: a page showing screen SVGs serves it itself, since its Content-Security-Policy
    allows no inline styles or data: fonts."""
    import base64

    import verovio

    css = (Path(verovio.__file__).parent / "data" / "Leipzig.css").read_text()
    match = re.search(r"base64,([A-Za-z0-9+/=]+)", css)
    if match is None:
        raise FileNotFoundError("Verovio's Leipzig.css holds no font")
    return base64.b64decode(match[1])


def pdf(pages: list[str]) -> bytes:
    """SVG pages (as Verovio draws them) in one PDF, a page each, on cairo. librsvg draws them where
    the system has it (a C library: 0.4 s for three pages of piano music, where cairosvg, in
    Python, takes 2.2 s; bench/RESULTS.md "Scores"), else cairosvg. The pages look the same."""
    drawn = _pdf_by_librsvg(pages)
    return drawn if drawn is not None else _pdf_by_cairosvg(pages)


def _pdf_by_cairosvg(pages: list[str]) -> bytes:
    import cairocffi
    import cairosvg.parser
    import cairosvg.surface

    buffer = io.BytesIO()
    shared = {}

    class _Page(cairosvg.surface.PDFSurface):
        def _create_surface(self, width, height):  # every page draws on the one PDF surface
            if "surface" not in shared:
                shared["surface"] = cairocffi.PDFSurface(buffer, width, height)
            else:
                shared["surface"].set_size(width, height)
            return shared["surface"], width, height

    for page in pages:
        _Page(cairosvg.parser.Tree(bytestring=page.encode("utf-8")), None, 96)
        shared["surface"].show_page()
    shared["surface"].finish()
    return buffer.getvalue()


_LIBRSVG_API = """
typedef struct _RsvgHandle RsvgHandle;
typedef struct _GError GError;
typedef struct { double x, y, width, height; } RsvgRectangle;
RsvgHandle *rsvg_handle_new_from_data(const unsigned char *data, size_t length, GError **error);
int rsvg_handle_get_intrinsic_size_in_pixels(RsvgHandle *handle, double *width, double *height);
int rsvg_handle_render_document(RsvgHandle *handle, void *cairo, const RsvgRectangle *viewport, GError **error);
void g_object_unref(void *object);
"""
POINTS_PER_PIXEL = 72 / 96  # a CSS pixel is 1/96 inch, as cairosvg counts it: the same page size either way


@functools.cache
def librsvg():
    """(ffi, library) of the system's librsvg 2.52 or later, or None where it is missing (then
    cairosvg draws PDFs). Loaded once, through cffi, which cairocffi already needs."""
    import ctypes.util

    import cffi

    ffi = cffi.FFI()
    ffi.cdef(_LIBRSVG_API)
    for name in filter(None, (ctypes.util.find_library("rsvg-2"), "librsvg-2.so.2")):
        try:
            lib = ffi.dlopen(name)
            lib.rsvg_handle_get_intrinsic_size_in_pixels, lib.rsvg_handle_render_document  # noqa: B018 (2.52+)
            return ffi, lib
        except (OSError, AttributeError):
            continue
    return None


def _pdf_by_librsvg(pages: list[str]) -> bytes | None:
    """The PDF drawn by librsvg, or None where it is missing or refuses a page."""
    import cairocffi

    loaded = librsvg()
    if loaded is None:
        return None
    ffi, lib = loaded
    buffer, surface = io.BytesIO(), None
    width, height = ffi.new("double *"), ffi.new("double *")
    for page in pages:
        data = page.encode("utf-8")
        handle = lib.rsvg_handle_new_from_data(data, len(data), ffi.NULL)
        if handle == ffi.NULL:
            return None
        try:
            if not lib.rsvg_handle_get_intrinsic_size_in_pixels(handle, width, height):
                return None
            size = (width[0] * POINTS_PER_PIXEL, height[0] * POINTS_PER_PIXEL)
            if surface is None:
                surface = cairocffi.PDFSurface(buffer, *size)
            else:
                surface.set_size(*size)
            context = cairocffi.Context(surface)
            cairo = ffi.cast("void *", int(cairocffi.ffi.cast("uintptr_t", context._pointer)))  # cairocffi's cairo_t
            if not lib.rsvg_handle_render_document(handle, cairo, ffi.new("RsvgRectangle *", (0, 0, *size)), ffi.NULL):
                return None
            surface.show_page()
        finally:
            lib.g_object_unref(handle)
    if surface is None:
        return None
    surface.finish()
    return buffer.getvalue()


def _words_for_tempo(xml: bytes) -> bytes:
    """The metronome mark as plain words ("♩ = 74"): cairo draws text with the system's fonts and
    cannot use the music font Verovio embeds for the note symbol, so a PDF would show a box."""
    return re.sub(rb"<metronome[^>]*>\s*<beat-unit>quarter</beat-unit>\s*<per-minute>([\d.]+)</per-minute>\s*</metronome>",
                  "<words>\u2669 = \\1</words>".encode(), xml)


def engrave(xml: bytes, fmt: str, width: int | None = None) -> bytes:
    """A score already written as MusicXML (musicxml()) laid out by Verovio: "pdf", every A4 page;
    "svg", one page `width` wide for a screen (see svg_pages). Engraving from the MusicXML lets a
    caller that keeps it (the studio) skip music21, the slower half of the work, for each format."""
    if fmt == "pdf":
        return pdf(svg_pages(None, xml=_words_for_tempo(xml)))
    if fmt == "svg":
        return svg_pages(None, xml=xml, width=width)[0].encode("utf-8")
    raise ValueError(f"engrave() writes svg or pdf, not {fmt!r}")


def export_files(score: Score, path: str | Path, title: str = "") -> list[Path]:
    """Write the piece's score to PATH as MusicXML, SVG or PDF (by its suffix); returns every file
    written: PATH, then an SVG's further pages in order (PATH-2.svg, PATH-3.svg, ...)."""
    path = Path(path)
    fmt = format_of(path)
    xml = musicxml(score, title)
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "musicxml":
        path.write_bytes(xml)
        return [path]
    if fmt == "pdf":
        path.write_bytes(engrave(xml, "pdf"))
        return [path]
    pages = svg_pages(score, title, xml=xml)
    written = []
    for number, page in enumerate(pages, start=1):
        target = path if number == 1 else path.with_name(f"{path.stem}-{number}.svg")
        target.write_text(page, encoding="utf-8")
        written.append(target)
    return written
