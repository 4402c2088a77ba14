"""Hostile files for the fuzz tests (tests/test_fuzz.py, tests/web/test_fuzz_uploads.py) and the
larger run in bench/fuzz.py: real MIDI, MusicXML, ABC, WAV, MP3 and PNG files, mutated with a
seeded random generator (bit flips, random bytes, truncation, huge lengths, division 0, deep
nesting, compression bombs).

``cases(kind, count, seed)`` yields ``(label, filename, bytes)``; the same seed gives the same files.
"""

from __future__ import annotations

import io
import random
import struct
import zipfile
from functools import lru_cache

import numpy as np

KINDS = ("midi", "musicxml", "mxl", "abc", "wav", "mp3", "png")
SUFFIX = {"midi": ".mid", "musicxml": ".musicxml", "mxl": ".mxl", "abc": ".abc", "wav": ".wav", "mp3": ".mp3",
          "png": ".png"}

MUSICXML = """<?xml version="1.0" encoding="UTF-8"?>
<score-partwise version="3.1"><part-list><score-part id="P1"><part-name>Tune</part-name></score-part></part-list>
<part id="P1"><measure number="1"><attributes><divisions>2</divisions><key><fifths>0</fifths></key>
<time><beats>4</beats><beat-type>4</beat-type></time><clef><sign>G</sign><line>2</line></clef></attributes>
{notes}</measure></part></score-partwise>
"""
NOTE = "<note><pitch><step>{step}</step><octave>{octave}</octave></pitch><duration>1</duration><type>eighth</type></note>"
ABC = "X:1\nT:Fuzz tune\nM:6/8\nL:1/8\nQ:3/8=100\nK:D\nA|dfa afd|gbg fdB|AFA dfa|gfe d2:|\n|:e|fga agf|gab bag|fed cBA|d3 d2:|\n"


@lru_cache(maxsize=None)
def seeds(kind: str) -> tuple[bytes, ...]:
    """Real, valid files of a kind (made here, so nothing is downloaded)."""
    from helpers import make_score

    if kind == "midi":
        return tuple(bytes(make_score(seed=s, bars=2 + s, minor=s % 2 == 1).dumps_midi()) for s in range(3))
    if kind == "musicxml":
        steps = "CDEFGAB"
        notes = "".join(NOTE.format(step=steps[i % 7], octave=4 + i // 7) for i in range(8))
        return (MUSICXML.format(notes=notes).encode(),)
    if kind == "mxl":
        return (_zip({"META-INF/container.xml": _CONTAINER, "score.musicxml": seeds("musicxml")[0]}),)
    if kind == "abc":
        return (ABC.encode(),)
    if kind in ("wav", "mp3"):
        from sonatina.audio.files import write_audio

        rate = 22050
        t = np.arange(rate // 2) / rate
        tone = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
        import tempfile
        from pathlib import Path

        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / f"tone.{kind}"
            write_audio(np.stack([tone, tone], axis=1), rate, path)
            return (path.read_bytes(),)
    if kind == "png":
        from PIL import Image

        out = io.BytesIO()
        Image.radial_gradient("L").resize((64, 48)).convert("RGB").save(out, "PNG")
        return (out.getvalue(),)
    raise ValueError(kind)


_CONTAINER = (b'<?xml version="1.0" encoding="UTF-8"?><container><rootfiles><rootfile full-path="score.musicxml" '
              b'media-type="application/vnd.recordare.musicxml+xml"/></rootfiles></container>')


def _zip(members: dict[str, bytes], method=zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", method) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


# --------------------------------------------------------------------------- mutations

def bit_flips(rng: random.Random, data: bytes, kind: str) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        out[rng.randrange(len(out))] ^= 1 << rng.randrange(8)
    return bytes(out)


def random_bytes(rng: random.Random, data: bytes, kind: str) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 6)):
        out[rng.randrange(len(out))] = rng.choice([0, 0x7F, 0x80, 0xFF, rng.randrange(256)])
    return bytes(out)


def truncate(rng: random.Random, data: bytes, kind: str) -> bytes:
    return data[:rng.randrange(1, len(data))]


def huge_length(rng: random.Random, data: bytes, kind: str) -> bytes:
    """A length field claiming far more than the file holds (chunk, frame, zip member, PNG chunk)."""
    out = bytearray(data)
    big = struct.pack(">I", rng.choice([0x7FFFFFFF, 0xFFFFFFFF, 0x7F000057, 0x10000000]))
    marks = {"midi": [b"MTrk", b"MThd"], "wav": [b"RIFF", b"data", b"fmt "], "png": [b"IHDR", b"IDAT"],
             "mxl": [b"PK\x03\x04", b"PK\x01\x02"]}.get(kind)
    if marks:
        positions = [i for m in marks for i in _find_all(data, m)]
        if positions:
            at = rng.choice(positions)
            if kind == "wav":
                out[at + 4:at + 8] = big[::-1]  # little-endian sizes
            elif kind == "png":
                out[at - 4:at] = big  # the length before the chunk type
            elif kind == "mxl":
                out[at + 18:at + 26] = big[::-1] * 2  # compressed and uncompressed sizes
            else:
                out[at + 4:at + 8] = big
            return bytes(out)
    if kind == "mp3":  # the highest bitrate index: frames claim to be far longer
        at = data.find(b"\xff\xfb")
        if at >= 0:
            out[at + 2] = (out[at + 2] & 0x0F) | 0xE0
            return bytes(out)
    if kind in ("musicxml", "abc"):  # one enormous token
        return data.replace(b"4", b"4" * 100_000, 1) if b"4" in data else data + b"9" * 100_000
    return bit_flips(rng, data, kind)


def division_zero(rng: random.Random, data: bytes, kind: str) -> bytes:
    if kind == "midi":
        return data[:12] + rng.choice([b"\x00\x00", b"\x80\x00", b"\xff\xff"]) + data[14:]
    if kind == "musicxml":
        return data.replace(b"<divisions>2</divisions>", b"<divisions>0</divisions>")
    if kind == "abc":
        return data.replace(b"L:1/8", b"L:1/0").replace(b"M:6/8", b"M:0/0")
    if kind == "wav":  # sample rate and block align 0
        out = bytearray(data)
        at = data.find(b"fmt ")
        if at >= 0:
            out[at + 12:at + 16] = b"\x00\x00\x00\x00"
            out[at + 20:at + 22] = b"\x00\x00"
        return bytes(out)
    return random_bytes(rng, data, kind)


def deep_nesting(rng: random.Random, data: bytes, kind: str) -> bytes:
    depth = rng.choice([1000, 20_000, 100_000])
    if kind == "musicxml":
        return data.replace(b"<measure number=\"1\">", b"<measure number=\"1\">" + b"<a>" * depth + b"</a>" * depth)
    if kind == "abc":
        return data.replace(b"|dfa", b"|" + b"(" * depth + b"dfa" + b")" * min(depth, 10), 1)
    if kind == "mxl":
        inner = deep_nesting(rng, seeds("musicxml")[0], "musicxml")
        return _zip({"META-INF/container.xml": _CONTAINER, "score.musicxml": inner})
    if kind == "midi":  # thousands of nested running-status/sysex continuation events
        body = b"\x00\xf0\x01\x00" + b"\x00\xf7\x01\x00" * depth
        return data[:14] + b"MTrk" + struct.pack(">I", len(body) + 4) + body + b"\x00\xff\x2f\x00"
    return truncate(rng, data, kind)


def compression_bomb(rng: random.Random, data: bytes, kind: str) -> bytes:
    if kind in ("mxl", "musicxml"):
        payload = b"<note/>" * rng.choice([1 << 20, 4 << 20])  # 7 or 28 MB of markup
        archive = _zip({"META-INF/container.xml": _CONTAINER, "score.musicxml": payload}, zipfile.ZIP_LZMA)
        return archive
    if kind == "png":  # a small file announcing 50,000 x 50,000 pixels (CRC kept right)
        import zlib

        at = data.find(b"IHDR")
        fields = struct.pack(">II", 50_000, 50_000) + data[at + 12:at + 17]
        return data[:at + 4] + fields + struct.pack(">I", zlib.crc32(b"IHDR" + fields)) + data[at + 21:]
    if kind == "midi":  # thousands of tracks declared, each tiny
        tracks = b"".join(b"MTrk\x00\x00\x00\x08\x00\x90\x3c\x40\x00\xff\x2f\x00" for _ in range(20_000))
        return b"MThd" + struct.pack(">IHHH", 6, 1, 65535, 480) + tracks
    if kind == "abc":  # a repeat bomb
        return b"X:1\nK:C\n" + b"|:" * 5000 + b"CDEF" + b":|" * 5000 + b"\n"
    return huge_length(rng, data, kind)


MUTATIONS = (bit_flips, random_bytes, truncate, huge_length, division_zero, deep_nesting, compression_bomb)
WEIGHTS = (5, 3, 2, 1, 1, 1, 1)  # most cases are small corruptions of real files


def dense_midi(notes: int) -> bytes:
    """One track of `notes` notes in 4-note chords, a 16th apart, written without running status and
    with padded delta times and a text event per chord, as some editors do: 2 MB for 100k notes."""
    events = bytearray()
    for chord in range(notes // 4):
        pitches = [36 + (chord * 7 + k * 4) % 48 for k in range(4)]
        for pitch in pitches:
            events += b"\x80\x80\x00" + bytes([0x90, pitch, 80])
        for k, pitch in enumerate(pitches):
            events += (b"\x80\x80\x18" if k == 0 else b"\x80\x80\x00") + bytes([0x80, pitch, 0])
        events += b"\x80\x80\x00\xff\x01\x1a" + b"lyric or editor comment .."  # 26 bytes of text
    events += b"\x00\xff\x2f\x00"
    return b"MThd" + struct.pack(">IHHH", 6, 0, 1, 96) + b"MTrk" + struct.pack(">I", len(events)) + bytes(events)


def fix_png_crcs(data: bytes) -> bytes:
    """Recompute every chunk's CRC, so a corrupted PNG reaches zlib and the decoder."""
    import zlib

    out, at = bytearray(data), 8
    while at + 12 <= len(out):
        length = struct.unpack(">I", out[at:at + 4])[0]
        end = at + 8 + length
        if end + 4 > len(out):
            break
        out[end:end + 4] = struct.pack(">I", zlib.crc32(bytes(out[at + 4:end])))
        at = end + 4
    return bytes(out)


def _find_all(data: bytes, mark: bytes):
    at = data.find(mark)
    while at >= 0:
        yield at
        at = data.find(mark, at + 1)


def cases(kind: str, count: int, seed: int = 0):
    """(label, filename, bytes) for `count` mutated files of a kind, reproducible from the seed."""
    rng = random.Random(f"{kind}:{seed}")
    for index in range(count):
        mutation = rng.choices(MUTATIONS, WEIGHTS)[0]
        base = rng.choice(seeds(kind))
        data = mutation(rng, base, kind) or base[:1]
        if kind == "png" and mutation in (bit_flips, random_bytes) and index % 2:
            data = fix_png_crcs(data)  # half of them get past the CRC check into the decoder
        yield f"{kind}#{index}:{mutation.__name__}", f"fuzz{index}{SUFFIX[kind]}", data
