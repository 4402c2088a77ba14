"""Turning SOURCE arguments into a list of pieces to read, each with a genre and maybe a split.

A SOURCE is one of:
  path/to/file.mid | .xml | .abc | .krn   one file
  path/to/folder                          every music file below it (recursive)
  path/to/maestro-v3.0.0                  a folder holding MAESTRO's csv: its split column is honoured
  path/to/giantmidi-eval                  the GiantMIDI-Piano evaluation set: its csv ties each work's
                                          score, performance and transcription into one split
  music21:NAME                            a collection of music21's bundled corpus (bach, palestrina,
                                          essenFolksong, oneills1850, ryansMammoth, ...)
  GENRE=SOURCE                            any of the above, labelled with a genre
With genre_folders=True a folder's first-level subfolders name the genres of the files below
them (data/<genre>/**/*.mid, as people lay out the Lakh MIDI set).
"""

from __future__ import annotations

import csv
import os
import re
from dataclasses import dataclass
from pathlib import Path

from sonatina.data.corpus.reading import music_files
from sonatina.errors import BadInputError, EmptyDatasetError

DEFAULT_GENRE = "general"
GENRE_RE = re.compile(r"^[a-z0-9][a-z0-9_\-]{0,31}$")

# Genres of music21's bundled collections (folder name -> genre).
MUSIC21_GENRES = {
    "essenfolksong": "folk", "oneills1850": "folk", "ryansmammoth": "folk", "airdsairs": "folk",
    "miscfolk": "folk", "nottingham-dataset": "folk", "leadsheet": "pop", "joplin": "ragtime",
}


@dataclass(frozen=True)
class PieceRef:
    path: Path
    genre: str
    split: str | None = None  # "train" | "validation" | "test" when the source dictates it
    source: str = ""
    key: str = ""  # the piece's name inside its collection ("pop909/001/001.mid"): splits hash it,
    # so a piece lands in the same split wherever the collection lies and whatever the cwd;
    # "GROUP|NAME" names one version of a work, and the split hashes GROUP only


GROUP_MARK = "|"


def check_genre(name: str) -> str:
    genre = name.strip().lower()
    if not GENRE_RE.match(genre):
        raise BadInputError(f"Genre name '{name}' must be 1-32 lowercase letters, digits, '-' or '_'.")
    return genre


def collect_sources(sources: list[str], genre: str | None = None, genre_folders: bool = False,
                    limit: int | None = None) -> list[PieceRef]:
    """Expand SOURCE arguments; `genre` labels unlabelled ones; `limit` caps pieces per source."""
    refs: list[PieceRef] = []
    for source in sources:
        label = check_genre(genre) if genre else None
        spec = source
        if "=" in source and not Path(source).exists():
            label, spec = source.split("=", 1)
            label = check_genre(label)
        if not spec.strip():  # `rock=$UNSET` or "": Path("") is the working folder, never meant
            raise BadInputError(f"Source '{source}' names no file, folder or music21:COLLECTION.")
        found = _expand(spec, label, genre_folders)
        if not found:
            raise EmptyDatasetError(f"Source '{source}' holds no MIDI, MusicXML, ABC or Humdrum files.")
        refs.extend(found[:limit] if limit else found)
    if not refs:
        raise EmptyDatasetError("No music was given: name at least one file, folder or music21:COLLECTION.")
    return refs


def _expand(spec: str, label: str | None, genre_folders: bool) -> list[PieceRef]:
    if spec.startswith("music21:"):
        return _music21_collection(spec.split(":", 1)[1], label)
    path = Path(spec).expanduser()
    if path.is_file():
        return [PieceRef(path, label or DEFAULT_GENRE, None, spec, path.name)]
    if not path.is_dir():
        raise BadInputError(f"Source '{spec}' is neither a file, a folder nor music21:COLLECTION.")
    maestro_csv = sorted(path.glob("maestro-v*.csv"))
    if maestro_csv:
        return _maestro(path, maestro_csv[-1], label or "classical", spec)
    if (path / GIANTMIDI_CSV).is_file():
        return _giantmidi_eval(path, label or "classical", spec)
    if genre_folders and not label:
        return [
            PieceRef(f, check_genre(sub.name), None, spec, _key(f, path))
            for sub in sorted(p for p in path.iterdir() if p.is_dir())
            for f in music_files(sub)
        ]
    return [PieceRef(f, label or DEFAULT_GENRE, None, spec, _key(f, path)) for f in music_files(path)]


def _key(file: Path, root: Path) -> str:
    """The file's path inside the collection, under the collection's own folder name (links
    are not followed: a folder of links to files elsewhere names its pieces by the links)."""
    return "/".join((Path(os.path.abspath(root)).name, *file.relative_to(root).parts))


def _maestro(root: Path, csv_path: Path, genre: str, spec: str) -> list[PieceRef]:
    """MAESTRO: the csv lists midi_filename (relative to root) and split train/validation/test."""
    refs = []
    with open(csv_path, newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            midi = root / row.get("midi_filename", "")
            split = row.get("split", "").strip().lower()
            if midi.is_file() and split in ("train", "validation", "test"):
                refs.append(PieceRef(midi, genre, split, spec, _key(midi, root)))
    return refs


GIANTMIDI_CSV = "groundtruth_maestro_giantmidi-piano.csv"
GIANTMIDI_VERSIONS = {"GroundTruth": "ground_truth", "Maestro": "maestro", "GiantMIDI-Piano": "giantmidi-piano"}


def _giantmidi_eval(root: Path, genre: str, spec: str) -> list[PieceRef]:
    """Three versions of each work (score, performance, transcription) must share a split, or
    a held-out work would be learned from its other versions. The group is named after the
    performance as `maestro/FILE`, the key that folder alone gives, so splits stay as they were."""
    refs = []
    with open(root / GIANTMIDI_CSV, newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            group = f"maestro/{row['Maestro']}"
            for column, folder in GIANTMIDI_VERSIONS.items():
                midi = root / folder / row[column]
                if midi.is_file():
                    refs.append(PieceRef(midi, genre, None, spec, f"{group}{GROUP_MARK}{folder}/{midi.name}"))
    return refs


def _music21_collection(name: str, label: str | None) -> list[PieceRef]:
    from music21 import corpus  # slow import; only for this kind of source

    wanted = name.strip().lower()
    paths = {}
    for p in corpus.getCorePaths():
        parts = [part.lower() for part in Path(p).parts]
        if "corpus" in parts and wanted in parts[parts.index("corpus") + 1:-1]:
            paths[Path(p)] = "/".join(Path(p).parts[parts.index("corpus") + 1:])
    if not paths:
        raise BadInputError(
            f"music21's corpus has no collection '{name}'; try bach, palestrina, monteverdi, "
            "essenFolksong, oneills1850 or ryansMammoth."
        )
    genre = label or MUSIC21_GENRES.get(wanted, "classical")
    return [PieceRef(p, genre, None, f"music21:{name}", f"music21:{paths[p]}") for p in sorted(paths)]
