"""Token arrays on disk, deterministic splits by piece, and training batches.

Each readable piece becomes a TokenizedPiece (ids + genre + key + tempo), cached by the
file's content hash and the tokenizer settings, so a second run over the same files is
nearly free. Splits are decided per piece from a hash of its name inside its collection (or
by the source, for MAESTRO), never per window, so validation music is never seen in training,
and a piece keeps its split wherever the collection lies.
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from tqdm import tqdm

from sonatina.data.corpus import MIDI_SUFFIXES, PieceRef
from sonatina.data.corpus.sources import GROUP_MARK
from sonatina.data.corpus.cache import cache_dir, file_digest
from sonatina.data.corpus.reading import conversion_failures, converted_midi_files, read_midi
from sonatina.errors import EmptyDatasetError, SonatinaError
from sonatina.data.tokens import build_tokenizer, encode, prepare_score


VALIDATION_SHARE = 0.05
TEST_SHARE = 0.05
MIN_NOTES = 8  # shorter pieces teach nothing and are skipped (and counted)
MIN_VALIDATION_PIECES = 5  # fewer, and one odd piece decides early stopping
MIN_VALIDATION_TOKENS = 20_000  # about 5 pop songs or 40 folk tunes
MAX_VALIDATION_SHARE = 0.2  # validation may take at most this much of a small collection


@dataclass
class TokenizedPiece:
    name: str
    genre: str
    split: str
    ids: np.ndarray
    mode: str
    tonic: int
    tempo: float
    notes: int


@dataclass
class PieceSet:
    """The usable pieces of a collection in one representation, and the files that were not."""

    pieces: list
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (file, reason)

    def split(self, name: str) -> list:
        return [p for p in self.pieces if p.split == name]

    @property
    def genres(self) -> list[str]:
        return sorted({p.genre for p in self.pieces})

    def genre_stats(self, size_name: str, size_of) -> dict:
        """Per genre: pieces, their total size (size_of(piece), named size_name), typical tempo, the
        share of minor keys and, per mode, the share of pieces on each tonic (0 = C): composing draws
        its default key from them, so folk comes in the fiddle's D and G as people play it."""
        stats = {}
        for g in self.genres:
            pieces = [p for p in self.pieces if p.genre == g]
            tonics = {}
            for mode in ("major", "minor"):
                counts = np.bincount([p.tonic % 12 for p in pieces if p.mode == mode], minlength=12)
                if counts.sum():
                    tonics[mode] = [round(float(c), 4) for c in counts / counts.sum()]
            stats[g] = {"pieces": len(pieces), size_name: int(sum(size_of(p) for p in pieces)),
                        "tempo": float(np.median([p.tempo for p in pieces])),
                        "minor_share": float(np.mean([p.mode == "minor" for p in pieces])), "tonics": tonics}
        return stats


@dataclass
class Dataset(PieceSet):
    """REMI's tokens: TokenizedPieces."""

    def summary(self) -> dict:
        by_split = {s: self.split(s) for s in ("train", "validation", "test")}
        return {
            "pieces": {s: len(v) for s, v in by_split.items()},
            "tokens": {s: int(sum(len(p.ids) for p in v)) for s, v in by_split.items()},
            "notes": {s: int(sum(p.notes for p in v)) for s, v in by_split.items()},
            "genres": {g: sum(p.genre == g for p in self.pieces) for g in self.genres},
            "skipped": len(self.skipped),
        }

    def write_split(self, path: Path) -> None:
        """piece,genre,split per line: which music a model learned from and which it never saw."""
        with open(path, "w", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(["piece", "genre", "split"])
            writer.writerows((p.name, p.genre, p.split) for p in self.pieces)


def split_of(name: str) -> str:
    """'train', 'validation' or 'test' for a piece's name inside its collection (PieceRef.key);
    versions of one work ("GROUP|NAME") share their group's split."""
    group = name.split(GROUP_MARK, 1)[0]
    u = int(hashlib.sha1(group.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
    return "validation" if u < VALIDATION_SHARE else "test" if u < VALIDATION_SHARE + TEST_SHARE else "train"


def _convert(path: Path) -> tuple[Path, list[Path] | str]:
    try:
        return path, converted_midi_files(path)
    except SonatinaError as exc:
        return path, str(exc)


def _midi_files_of(refs: list[PieceRef], progress: bool) -> dict[Path, list[Path] | str]:
    """MIDI files behind each ref; non-MIDI files are converted by music21 in parallel, once."""
    result: dict[Path, list[Path] | str] = {r.path: [r.path] for r in refs if r.path.suffix.lower() in MIDI_SUFFIXES}
    others = sorted({r.path for r in refs} - set(result))
    if others:
        workers = min(len(others), os.cpu_count() or 1)
        with ProcessPoolExecutor(max_workers=workers) as pool:
            results = pool.map(_convert, others, chunksize=4)
            for path, files in tqdm(results, total=len(others), desc="converting with music21",
                                    unit="file", disable=None if progress else True):  # None: off unless a terminal
                result[path] = files
    return result


def _tokenize_file(midi: Path, cache: Path, tokenizer) -> dict:
    cached = cache / f"{file_digest(midi)}.npz"
    if cached.exists():
        with np.load(cached, allow_pickle=False) as z:
            return {k: z[k] for k in z.files}
    prepared = prepare_score(read_midi(midi))
    entry = {"ids": encode(tokenizer, prepared.score), "mode": np.array(prepared.mode),
             "tonic": np.array(prepared.tonic), "tempo": np.array(prepared.tempo),
             "notes": np.array(prepared.notes)}
    np.savez(cached, **entry)
    return entry


def read_pieces(refs: list[PieceRef], read_file, make_piece, progress: bool, desc: str, verb: str):
    """The pieces behind `refs` and the (file, reason) of each file that could not be used.

    Shared by every representation: `read_file(midi)` reads one MIDI file into arrays (raising
    for a file it cannot use) and `make_piece(key, genre, split, entry)` makes a piece with a
    `notes` count of them; a file that is unreadable, fails `read_file` or has fewer than
    MIN_NOTES notes is skipped and listed. `desc` names the progress bar, `verb` what failed."""
    midi_of = _midi_files_of(refs, progress)
    pieces, skipped = [], []
    for ref in tqdm(refs, desc=desc, unit="file", disable=None if progress else True):
        files = midi_of[ref.path]
        if isinstance(files, str):
            skipped.append((str(ref.path), files))
            continue
        if files[0] != ref.path:
            skipped.extend(conversion_failures(ref.path))
        for work, midi in enumerate(files):
            suffix = f"#{work}" if len(files) > 1 else ""
            name, key = str(ref.path) + suffix, (ref.key or str(ref.path)) + suffix
            try:
                entry = read_file(midi)
            except SonatinaError as exc:
                skipped.append((name, str(exc)))
                continue
            except Exception as exc:  # a file the reader chokes on must not stop a long run
                skipped.append((name, f"could not be {verb} ({type(exc).__name__}: {exc})"))
                continue
            piece = make_piece(key, ref.genre, ref.split or split_of(key), entry)
            if piece.notes < MIN_NOTES:
                skipped.append((name, f"has fewer than {MIN_NOTES} notes"))
                continue
            pieces.append(piece)
    if not pieces:
        raise EmptyDatasetError(f"None of the {len(refs)} files could be used ({len(skipped)} unreadable or empty).")
    return pieces, skipped


def build_dataset(refs: list[PieceRef], tokenizer_settings: dict, progress: bool = True) -> Dataset:
    """Read, prepare and tokenize every piece; unreadable ones are skipped and listed."""
    tokenizer = build_tokenizer(tokenizer_settings)
    settings_key = hashlib.sha1(json.dumps(tokenizer_settings, sort_keys=True).encode()).hexdigest()[:12]
    cache = cache_dir("tokens", settings_key)

    def piece(key, genre, split, entry):
        return TokenizedPiece(key, genre, split, entry["ids"].astype(np.int32), str(entry["mode"]),
                              int(entry["tonic"]), float(entry["tempo"]), int(entry["notes"]))

    pieces, skipped = read_pieces(refs, lambda midi: _tokenize_file(midi, cache, tokenizer), piece,
                                  progress, desc="tokenizing", verb="tokenized")
    return Dataset(pieces, skipped)


def ensure_validation(dataset: Dataset) -> list[str]:
    """Make the validation split large enough to mean something; returns warnings for the user.

    A 5 % hash split of 30 pieces validates on one or two, so early stopping and the reported
    score follow noise. Train pieces (chosen by a hash of their names, so the choice is stable)
    move to validation until it holds MIN_VALIDATION_PIECES pieces and MIN_VALIDATION_TOKENS
    tokens, but never more than MAX_VALIDATION_SHARE of the pieces. If that is still short, the
    warning says so."""
    train = sorted(dataset.split("train"), key=lambda p: hashlib.sha1(p.name.encode()).hexdigest())
    validation = dataset.split("validation")
    if len(train) + len(validation) < 2:
        raise EmptyDatasetError("At least two usable pieces are needed: one to learn from, one to validate on.")
    usable = len(train) + len(validation)
    room = max(1, int(MAX_VALIDATION_SHARE * usable)) - len(validation)
    tokens = sum(len(p.ids) for p in validation)
    while train and room > 0 and (not validation or len(validation) < MIN_VALIDATION_PIECES
                                  or tokens < MIN_VALIDATION_TOKENS):
        moved = train.pop(0)
        moved.split = "validation"
        validation.append(moved)
        tokens += len(moved.ids)
        room -= 1
    if len(validation) < MIN_VALIDATION_PIECES or tokens < MIN_VALIDATION_TOKENS:
        return [f"The data is small: validation holds {len(validation)} piece(s), {tokens} tokens (meaningful from "
                f"{MIN_VALIDATION_PIECES} pieces and {MIN_VALIDATION_TOKENS} tokens), so the validation score and "
                f"early stopping are noisy; give at least {math.ceil(MIN_VALIDATION_PIECES / MAX_VALIDATION_SHARE)} "
                "pieces for a trustworthy run."]
    return []


class BatchSampler:
    """Random windows of seq_len+1 tokens from the training pieces, with their genre and mode.

    Pieces are framed as BOS ... EOS so the model learns how music starts and ends. Optional
    augmentation transposes a window by up to +-`transpose` semitones (kept inside the range).
    """

    def __init__(self, pieces, vocab, genre_index, seq_len, batch_size, transpose=0, seed=0):
        self.seq_len, self.batch_size, self.transpose = seq_len, batch_size, transpose
        self.vocab = vocab
        self.rng = np.random.default_rng(seed)
        self.seqs = [np.concatenate([[vocab.bos], p.ids, [vocab.eos]]).astype(np.int64) for p in pieces]
        self.genres = np.array([genre_index[p.genre] for p in pieces])
        self.modes = np.array([mode_index(p.mode) for p in pieces])
        # Every token of a genre is equally likely to be seen; genres are drawn in proportion to
        # the square root of their size, so a small genre is not drowned out by a big one (nor
        # repeated until it is memorised).
        lengths = np.array([len(s) for s in self.seqs], dtype=float)
        genre_tokens = {g: lengths[self.genres == g].sum() for g in set(self.genres)}
        weights = lengths / np.sqrt([genre_tokens[g] for g in self.genres])
        self.weights = weights / weights.sum()
        self.pitch_lo, self.pitch_hi = int(vocab.pitch_ids.min()), int(vocab.pitch_ids.max())

    def __call__(self):
        B, T = self.batch_size, self.seq_len
        x = np.full((B, T + 1), self.vocab.pad, dtype=np.int64)
        picks = self.rng.choice(len(self.seqs), size=B, p=self.weights)
        for row, k in enumerate(picks):
            seq = self.seqs[k]
            start = 0 if len(seq) <= T + 1 else int(self.rng.integers(0, len(seq) - T))
            window = seq[start:start + T + 1].copy()
            if self.transpose:
                window = self._transpose(window)
            x[row, :len(window)] = window
        return x[:, :-1], x[:, 1:], self.genres[picks], self.modes[picks]

    def _transpose(self, window):
        is_pitch = (window >= self.pitch_lo) & (window <= self.pitch_hi)
        if not is_pitch.any():
            return window
        lo = max(-self.transpose, self.pitch_lo - int(window[is_pitch].min()))
        hi = min(self.transpose, self.pitch_hi - int(window[is_pitch].max()))
        window[is_pitch] += int(self.rng.integers(lo, hi + 1)) if hi >= lo else 0
        return window


def interleave_by_genre(pieces: list[TokenizedPiece]) -> list[TokenizedPiece]:
    """Pieces taken round-robin from each genre, so a capped validation pass sees every genre."""
    by_genre: dict[str, list[TokenizedPiece]] = {}
    for p in pieces:
        by_genre.setdefault(p.genre, []).append(p)
    queues = [iter(v) for _, v in sorted(by_genre.items())]
    out = []
    while queues:
        for q in list(queues):
            nxt = next(q, None)
            if nxt is None:
                queues.remove(q)
            else:
                out.append(nxt)
    return out


def mode_index(mode: str) -> int:
    return 1 if mode == "minor" else 0
