"""Reading one file into a symusic Score.

MIDI is parsed by symusic (thousands of times faster than music21). MusicXML, ABC and
Humdrum go through music21 once; the MIDI it writes is cached by the source's content
hash, so the slow conversion never repeats. A file that holds several works (an ABC
tune book) becomes several cached MIDI files.
"""

from __future__ import annotations

from pathlib import Path

from symusic import Score

from sonatina.data.corpus.cache import cache_dir, file_digest
from sonatina.errors import BadInputError

MIDI_SUFFIXES = {".mid", ".midi", ".kar", ".smf"}
OTHER_SUFFIXES = {".xml", ".musicxml", ".mxl", ".abc", ".krn"}
MAX_FILE_BYTES = 20 * 1024 * 1024  # bigger than any real score; guards against hostile uploads
MAX_CONVERTED_WORKS = 2000
FAILURES_FILE = "failures.tsv"


def music_files(folder: Path) -> list[Path]:
    """Every music file under a folder (recursive), sorted for determinism."""
    suffixes = MIDI_SUFFIXES | OTHER_SUFFIXES
    return sorted(p for p in folder.rglob("*") if p.suffix.lower() in suffixes and p.is_file())


def read_midi(path: Path) -> Score:
    try:
        score = Score(str(path))
    except Exception as exc:  # symusic raises plain RuntimeError/ValueError on bad bytes
        raise BadInputError(f"'{path.name}' is not a readable MIDI file ({_short(exc)}).") from None
    if score.note_num() == 0:
        raise BadInputError(f"'{path.name}' contains no notes.")
    return score


def _short(exc: Exception) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:120]


def converted_midi_files(path: Path) -> list[Path]:
    """Convert a MusicXML/ABC/Humdrum file to MIDI with music21 (cached); one file per work."""
    out = cache_dir("converted", file_digest(path))
    done = out / "done"
    if not done.exists():
        for old in out.glob("*.mid"):
            old.unlink()
        try:
            _convert_with_music21(path, out)
        except Exception as exc:
            raise BadInputError(f"'{path.name}' could not be converted by music21 ({_short(exc)}).") from None
        done.write_text("ok")
    files = sorted(out.glob("*.mid"), key=lambda p: int(p.stem))
    if not files:
        raise BadInputError(f"'{path.name}' holds no music that music21 could convert.")
    return files


def _convert_with_music21(path: Path, out: Path) -> None:
    import music21  # slow import; only needed for non-MIDI formats

    parsed = music21.converter.parse(str(path))
    works = list(parsed.scores) if isinstance(parsed, music21.stream.Opus) else [parsed]
    failures = []
    for index, work in enumerate(works[:MAX_CONVERTED_WORKS]):
        try:
            work.write("midi", fp=str(out / f"{index}.mid"))
        except Exception as exc:  # one bad tune in a book should not lose the others
            failures.append(f"{path}#{index}\tmusic21 could not convert this work ({_short(exc)})\n")
    (out / FAILURES_FILE).write_text("".join(failures))


def conversion_failures(path: Path) -> list[tuple[str, str]]:
    """(work, reason) for the works of a multi-work file that music21 could not convert."""
    failed = cache_dir("converted", file_digest(path)) / FAILURES_FILE
    lines = failed.read_text().splitlines() if failed.exists() else []
    return [tuple(line.split("\t", 1)) for line in lines if "\t" in line]


def load_score(path: str | Path) -> Score:
    """Read a MIDI, MusicXML, ABC or Humdrum file (the first work of a multi-work file)."""
    path = Path(path)
    if not path.is_file():
        raise BadInputError(f"'{path}' does not exist or is not a file.")
    if path.stat().st_size > MAX_FILE_BYTES:
        raise BadInputError(f"'{path.name}' is larger than {MAX_FILE_BYTES // 2**20} MB, too large for a score.")
    suffix = path.suffix.lower()
    if suffix in MIDI_SUFFIXES:
        return read_midi(path)
    if suffix in OTHER_SUFFIXES:
        return read_midi(converted_midi_files(path)[0])
    # Unknown extension (e.g. an upload saved without one): try MIDI, say what we accept otherwise.
    try:
        return read_midi(path)
    except BadInputError:
        raise BadInputError(
            f"'{path.name}' is not a music file Sonatina reads (MIDI, MusicXML, ABC or Humdrum)."
        ) from None
