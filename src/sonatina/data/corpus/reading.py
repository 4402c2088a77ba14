"""Reading one file into a symusic Score.

MIDI is parsed by symusic (thousands of times faster than music21). MusicXML, ABC and
Humdrum go through music21 once; the MIDI it writes is cached by the source's content
hash, so the slow conversion never repeats. A file that holds several works (an ABC
tune book) becomes several cached MIDI files.

Two paths: `load_score` reads ONE file a user named (CLI inputs, primers, uploads) in the
sandbox of `sonatina.data.untrusted` (a crash or a hang there cannot take us down);
`read_midi` / `converted_midi_files` read trusted training corpora in-process, because a
corpus of thousands of files would pay the sandbox's 14-34 ms per file for nothing.
"""

from __future__ import annotations

from pathlib import Path

from symusic import Score

from sonatina.data.corpus.cache import cache_dir, file_digest
from sonatina.data.untrusted import MIDI_SUFFIXES, SCORE_SUFFIXES, read_score
from sonatina.errors import BadInputError

OTHER_SUFFIXES = SCORE_SUFFIXES
READABLE_SUFFIXES = MIDI_SUFFIXES | OTHER_SUFFIXES  # the one list of music files Sonatina reads
MAX_CONVERTED_WORKS = 2000
FAILURES_FILE = "failures.tsv"


def music_files(folder: Path) -> list[Path]:
    """Every music file under a folder (recursive), sorted for determinism."""
    return sorted(p for p in folder.rglob("*") if p.suffix.lower() in READABLE_SUFFIXES and p.is_file())


def read_midi(path: Path) -> Score:
    """A trusted MIDI file (training corpora) parsed in-process; user files go through load_score."""
    try:
        score = Score(str(path))
    except Exception as exc:  # symusic raises plain RuntimeError/ValueError on bad bytes
        raise BadInputError(f"'{path.name}' is not a readable MIDI file ({_short(exc)}).") from None
    if score.ticks_per_quarter <= 0:  # division 0: MidiTok would divide by zero later
        raise BadInputError(f"'{path.name}' gives 0 ticks per beat in its header, so its timing is broken.")
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


def load_score(path: str | Path, **options) -> Score:
    """Read a user's MIDI, MusicXML, ABC or Humdrum file (the first work of a multi-work file)
    in the sandbox; options (name=, limits=) go to `sonatina.data.untrusted.read_score`."""
    return read_score(path, **options)
