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
            unshare_time_signatures(work)
            work.write("midi", fp=str(out / f"{index}.mid"))
        except Exception as exc:  # one bad tune in a book should not lose the others
            failures.append(f"{path}#{index}\tmusic21 could not convert this work ({_short(exc)})\n")
    (out / FAILURES_FILE).write_text("".join(failures))


def unshare_time_signatures(work) -> None:
    """music21's ABC reader puts one TimeSignature object back into a later bar when a tune
    returns to its metre (2/4, a 1/16 pickup bar, 2/4 again), and its MIDI writer then refuses
    the tune ("already found in this Stream"): 9 of O'Neill's first 50 tunes. Each later
    appearance becomes a copy of its own."""
    import copy

    seen = set()
    for measure in work.recurse().getElementsByClass("Measure"):
        for signature in list(measure.getElementsByClass("TimeSignature")):
            if id(signature) in seen:
                measure.replace(signature, copy.deepcopy(signature))
            seen.add(id(signature))


def conversion_failures(path: Path) -> list[tuple[str, str]]:
    """(work, reason) for the works of a multi-work file that music21 could not convert."""
    failed = cache_dir("converted", file_digest(path)) / FAILURES_FILE
    lines = failed.read_text().splitlines() if failed.exists() else []
    return [tuple(line.split("\t", 1)) for line in lines if "\t" in line]


def load_score(path: str | Path, **options) -> Score:
    """Read a user's MIDI, MusicXML, ABC or Humdrum file (the first work of a multi-work file)
    in the sandbox; options (name=, limits=) go to `sonatina.data.untrusted.read_score`."""
    return read_score(path, **options)


# --- every work of a user's file (compare reads tune books whole) ------------------------------

BOOK_SECONDS_PER_TUNE = 5.0  # sandbox time per tune on top of Limits.score_seconds: ~0.15 s on an idle
# machine, but at load 10+ on two cores 100-tune books of O'Neill's took over 160 s. Only the CLI's
# compare reads books (the user's own folders); the studio never does.
BOOK_BYTES = 4 << 20  # an ABC tune book as given (O'Neill's 100-tune files are ~60 kB)


def abc_tune_count(path: Path) -> int:
    """Tunes in an ABC file: lines starting a tune with 'X:' (0 for other files)."""
    if path.suffix.lower() != ".abc":
        return 0
    with open(path, "rb") as fh:
        return sum(line.startswith(b"X:") for line in fh)


def load_works(path: str | Path, *, limits=None) -> tuple[dict[str, Score], list[str]]:
    """Every work of a user's file as Scores by name ("" for a file of one work, "#N" for tune N
    of a book), with a sentence per work that could not be read.

    A MIDI, MusicXML or Humdrum file, or an ABC file of one tune, is one work (`load_score`).
    An ABC tune book is converted whole in the sandbox (one child for the book, its time limit
    grown by BOOK_SECONDS_PER_TUNE per tune) and cached by content, so O'Neill's 1,850 tunes are
    read once, not as their 39 first tunes."""
    from sonatina.data.untrusted import CLI_LIMITS, run_reader

    path, limits = Path(path), limits or CLI_LIMITS
    tunes = abc_tune_count(path) if path.is_file() else 0
    if tunes < 2:
        return {"": load_score(path, limits=limits)}, []
    out = cache_dir("books", file_digest(path))
    if not (out / "done").exists():
        seconds = limits.score_seconds + BOOK_SECONDS_PER_TUNE * tunes
        header, payload = run_reader("sonatina.data.corpus.reading:abc_book_reader", path, max_bytes=BOOK_BYTES,
                                     seconds=seconds, memory_bytes=limits.memory_bytes, limits=limits)
        for old in out.glob("*.mid"):
            old.unlink()
        start = 0
        for index, size in header["works"]:
            (out / f"{index}.mid").write_bytes(payload[start:start + size])
            start += size
        (out / FAILURES_FILE).write_text("".join(f"{path.name}#{i}\t{why}\n" for i, why in header["failed"]))
        (out / "done").write_text("ok")
    scores = {f"#{f.stem}": Score(str(f)) for f in sorted(out.glob("*.mid"), key=lambda p: int(p.stem))}
    failed = [f"{work}: {why}" for work, why in
              (line.split("\t", 1) for line in (out / FAILURES_FILE).read_text().splitlines() if "\t" in line)]
    if not scores:
        raise BadInputError(f"'{path.name}' holds {tunes} tunes, none of which music21 could convert.")
    return scores, failed


def abc_book_reader(path: Path, name: str, options: dict) -> tuple[dict, bytes]:
    """Runs in the sandbox's child: every tune of an ABC book as MIDI written by symusic (so the
    parent reads only bytes symusic wrote), concatenated; the header lists (tune, size) and the
    tunes that failed."""
    import tempfile

    import music21

    parsed = music21.converter.parse(str(path), format="abc")
    works = list(parsed.scores) if isinstance(parsed, music21.stream.Opus) else [parsed]
    done, failed, chunks = [], [], []
    with tempfile.TemporaryDirectory(prefix="sonatina-book-") as folder:
        for index, work in enumerate(works[:MAX_CONVERTED_WORKS]):
            midi = Path(folder) / f"{index}.mid"
            try:
                unshare_time_signatures(work)
                work.write("midi", fp=str(midi))
                score = Score(str(midi))
            except (MemoryError, RecursionError):
                raise
            except Exception as exc:  # one bad tune in a book should not lose the others
                failed.append((index, f"music21 could not convert this tune ({_short(exc)})"))
                continue
            if score.note_num() == 0 or score.ticks_per_quarter <= 0:
                failed.append((index, "this tune holds no notes"))
                continue
            data = bytes(score.dumps_midi())
            done.append((index, len(data)))
            chunks.append(data)
    return {"works": done, "failed": failed}, b"".join(chunks)
