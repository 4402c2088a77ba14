"""Finding SoundFonts, and making them play in tune with symusic's synthesizer.

Discovery order: an explicit path, $SONATINA_SOUNDFONT, Debian's FluidR3_GM
(fluid-soundfont-gm), MuseScore General (musescore-general-soundfont*), the default-GM
alternative, then TimGM6mb from inside the pretty_midi wheel (available wherever Sonatina is).

symusic 0.5.x's synthesizer (prestosynth) ignores the SF2 "overridingRootKey" generator
(symusic issue #55, "sounds off key") and clamps coarse tuning to +-120 cents. GM SoundFonts
rely on both (every FluidR3 piano sample says "60" in its header; its piccolo and organs are
tuned down by octaves), so notes came out up to two octaves wrong. `for_symusic()` writes,
once, a cached copy in which each zone's root and coarse tuning sit in a sample header of its
own; see _fixed_pdta. FluidSynth reads the original file.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import struct
import threading
from collections import Counter
from pathlib import Path

from sonatina.data.corpus.cache import cache_dir
from sonatina.errors import BadInputError, SonatinaError

SYSTEM_SOUNDFONTS = (
    "/usr/share/sounds/sf2/FluidR3_GM.sf2",
    "/usr/share/sounds/sf3/MuseScore_General.sf3",
    "/usr/share/sounds/sf2/MuseScore_General.sf2",
    "/usr/share/sounds/sf2/default-GM.sf2",
    "/usr/share/sounds/sf3/default-GM.sf3",
)
# Bumped whenever for_symusic() changes what it writes, so stale cached copies are not reused.
_FIX_VERSION = "2"
# SF2 generator numbers (SoundFont 2.04 spec, section 8.1.2).
_COARSE_TUNE, _SAMPLE_ID, _ROOT_KEY = 51, 53, 58
_SHDR_SIZE = 46  # bytes per sample header; the pitch byte is at offset 40, the link at 42


def pretty_midi_soundfont() -> Path | None:
    """TimGM6mb (6 MB, GPL-2), shipped inside the pretty_midi wheel."""
    spec = importlib.util.find_spec("pretty_midi")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(list(spec.submodule_search_locations)[0]) / "TimGM6mb.sf2"
    return path if path.is_file() else None


def find_soundfonts() -> list[Path]:
    """Every SoundFont found, in discovery order, without duplicates (default-GM is a symlink)."""
    candidates = [os.environ.get("SONATINA_SOUNDFONT") or None, *SYSTEM_SOUNDFONTS, pretty_midi_soundfont()]
    found: list[Path] = []
    for candidate in candidates:
        if candidate and Path(candidate).is_file() and Path(candidate).resolve() not in {p.resolve() for p in found}:
            found.append(Path(candidate))
    return found


def default_soundfont() -> Path:
    """The SoundFont used when none is given."""
    found = find_soundfonts()
    if not found:
        raise SonatinaError("No SoundFont found: install Debian's fluid-soundfont-gm, set SONATINA_SOUNDFONT, or pass --soundfont.")
    return found[0]


def resolve_soundfont(soundfont: str | Path | None = None) -> Path:
    """The given SoundFont checked to exist, or the default one."""
    if soundfont is None:
        return default_soundfont()
    path = Path(soundfont).expanduser()
    if not path.is_file():
        raise BadInputError(f"There is no SoundFont at '{path}'.")
    if path.suffix.lower() not in (".sf2", ".sf3"):
        raise BadInputError(f"'{path.name}' is not a SoundFont (expected a .sf2 or .sf3 file).")
    return path


def _chunks(data: bytes, start: int, end: int):
    """(id, payload offset, payload size) of the RIFF chunks in data[start:end]."""
    while start + 8 <= end:
        cid, size = data[start:start + 4], struct.unpack("<I", data[start + 4:start + 8])[0]
        yield cid, start + 8, size
        start += 8 + size + (size & 1)


def _read_layout(path: Path) -> tuple[list[tuple[bytes, int, int]], bytes]:
    """Top-level chunks (id, file offset, total size) and the raw 'pdta' payload, without
    reading the (large) sample data."""
    with open(path, "rb") as fh:
        head = fh.read(12)
        if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"sfbk":
            raise BadInputError(f"'{path.name}' is not a SoundFont (no RIFF sfbk header).")
        total = min(struct.unpack("<I", head[4:8])[0] + 8, path.stat().st_size)
        layout, pdta, pos = [], None, 12
        while pos + 12 <= total:
            fh.seek(pos)
            cid, size, kind = struct.unpack("<4sI4s", fh.read(12))
            layout.append((cid + kind, pos, 8 + size + (size & 1)))
            if cid == b"LIST" and kind == b"pdta":
                pdta = fh.read(size - 4)
            pos += 8 + size + (size & 1)
    if pdta is None:
        raise BadInputError(f"'{path.name}' is not a usable SoundFont (it has no preset data).")
    return layout, pdta


def _fixed_pdta(pdta: bytes) -> bytes | None:
    """The preset data rewritten so symusic 0.5.x plays every instrument zone at its pitch,
    or None when nothing needs fixing.

    symusic (prestosynth) takes a zone's root from the sample header only, clamps coarse +
    fine tuning to +-120 cents, and caches each resampled sample by (key, sample start)
    regardless of the zone. So for every zone: root = its override (or its instrument's
    global one, or the header's) minus its coarse tuning in semitones, written into a sample
    header of its own; coarse tuning is then zeroed. A sample used by several zones gets a
    header copy per extra use, starting 1, 2, ... frames later so symusic's cache keeps them
    apart (not done for SF3's compressed samples, whose start is a byte offset in Ogg data).
    """
    sub = {cid: pdta[off:off + size] for cid, off, size in _chunks(pdta, 0, len(pdta))}
    try:
        inst, ibag, igen, shdr = (sub[k] for k in (b"inst", b"ibag", b"igen", b"shdr"))
    except KeyError:
        return None
    bags = [struct.unpack_from("<H", inst, i + 20)[0] for i in range(0, len(inst), 22)]
    gen_starts = [struct.unpack_from("<H", ibag, i)[0] for i in range(0, len(ibag), 4)]
    n_samples = len(shdr) // _SHDR_SIZE - 1  # the last header is the terminal "EOS" record
    headers = [bytearray(shdr[i * _SHDR_SIZE:(i + 1) * _SHDR_SIZE]) for i in range(n_samples + 1)]
    terminal = headers.pop()
    igen = bytearray(igen)
    uses: Counter[int] = Counter()
    changed = False
    for i in range(len(bags) - 1):
        global_gens: dict[int, tuple[int, int]] = {}
        for zone_index, bag in enumerate(range(bags[i], bags[i + 1])):
            if bag + 1 >= len(gen_starts):
                break
            gens = {}  # generator -> (amount, igen index)
            for g in range(gen_starts[bag], gen_starts[bag + 1]):
                op, amount = struct.unpack_from("<Hh", igen, g * 4)
                gens[op] = (amount, g)
            if _SAMPLE_ID not in gens:
                if zone_index == 0:
                    global_gens = gens
                continue
            sample, g_sample = gens[_SAMPLE_ID][0] & 0xFFFF, gens[_SAMPLE_ID][1]
            if sample >= n_samples:
                continue
            header = headers[sample]
            root = gens.get(_ROOT_KEY, global_gens.get(_ROOT_KEY, (-1, None)))[0]
            root = root if 0 <= root <= 127 else header[40]
            coarse = gens.get(_COARSE_TUNE, global_gens.get(_COARSE_TUNE, (0, None)))[0]
            root = min(127, max(0, root - coarse))
            for source in (gens, global_gens):
                if _COARSE_TUNE in source and source[_COARSE_TUNE][0] != 0:
                    struct.pack_into("<h", igen, source[_COARSE_TUNE][1] * 4 + 2, 0)
                    changed = True
            uses[sample] += 1
            if uses[sample] == 1:
                changed |= header[40] != root
                header[40] = root
                continue
            copy = bytearray(header)
            copy[40] = root
            start, end, loop_start = struct.unpack_from("<III", copy, 20)
            shift = uses[sample] - 1
            compressed = struct.unpack_from("<H", copy, 44)[0] & 0x10
            if not compressed and start + shift < min(end, loop_start):
                struct.pack_into("<I", copy, 20, start + shift)
            struct.pack_into("<H", igen, g_sample * 4 + 2, len(headers))
            headers.append(copy)
            changed = True
    if not changed:
        return None
    sub[b"igen"], sub[b"shdr"] = bytes(igen), b"".join(headers) + terminal
    return b"".join(cid + struct.pack("<I", len(body)) + body + (b"\0" if len(body) & 1 else b"")
                    for cid, body in sub.items())


def for_symusic(path: str | Path) -> Path:
    """A SoundFont symusic plays in tune: the file itself if it needs no fix, else a cached fixed copy."""
    path = Path(path)
    layout, pdta = _read_layout(path)
    key = hashlib.sha1(pdta + str(path.stat().st_size).encode() + _FIX_VERSION.encode()).hexdigest()[:16]
    target = cache_dir("soundfonts") / f"{path.stem}-{key}{path.suffix.lower()}"
    if target.is_file():
        return target
    fixed = _fixed_pdta(pdta)
    if fixed is None:
        return path
    # Worker processes or threads may fix the same file at once: each writes its own part file.
    tmp = target.with_name(f"{target.name}.{os.getpid()}-{threading.get_ident()}.part")
    try:
        with open(path, "rb") as src, open(tmp, "wb") as dst:
            body_size = sum(size if ident != b"LISTpdta" else 12 + len(fixed) for ident, _, size in layout)
            dst.write(b"RIFF" + struct.pack("<I", 4 + body_size) + b"sfbk")
            for ident, offset, size in layout:
                if ident == b"LISTpdta":
                    dst.write(b"LIST" + struct.pack("<I", 4 + len(fixed)) + b"pdta" + fixed)
                else:
                    src.seek(offset)
                    _copy_bytes(src, dst, size)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    os.replace(tmp, target)
    return target


def _copy_bytes(src, dst, count: int) -> None:
    while count > 0:
        block = src.read(min(count, 1 << 22))
        if not block:
            raise BadInputError(f"'{Path(src.name).name}' is truncated: it ends inside its sample data.")
        dst.write(block)
        count -= len(block)
