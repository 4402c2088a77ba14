"""Editing measured on held-out pieces: a regenerated passage against plain continuation and the original.

    nice -n 10 .venv/bin/python bench/edit.py --data ../shared/datasets [--pieces 5 --candidates 8]

Pieces come from the test split (split_of, as the shipped models use it: none was learned from),
--pieces per genre of bench/classifier.py's sources, cropped to their first 16 bars. Bars 7-10
are written anew three ways, each with the piece's own genre (chorale as classical when the
model has no chorale), seed 1:
  regen     what `sonatina regenerate` does: K candidates, the one under which the model finds
            the kept bars 11-14 most likely is kept
  plain     plain continuation: one sample from what comes before, blind to what follows
  original  the human passage itself (the reference)
and judged by:
  next-LL   log-likelihood (nats per token) the model gives the kept bars 11-14 after the passage;
            `beats plain` is the share of pieces where regen's is higher than plain's
  seam      pitch step (semitones) from the passage's last top note to the first kept top note
            after it, and the rhythm step (beats from the passage's last onset to the next kept
            onset); `|d human|` is the mean distance from the original's step on that piece
  overlap   pitch-class histogram overlap (sum of minima, 1 = same distribution) with the
            original passage, and onsets per bar over the original's
Then speed: regenerating 4 bars (K candidates) of a 16-bar piece, and engraving a 60 s piece
(MusicXML by music21 + SVG by Verovio), CPU seconds (the process's own time; the box is shared).

    OMP_NUM_THREADS=1 nice -n 10 .venv/bin/python bench/edit.py --scores [--data ../shared/datasets]

times only the studio's scores of long pieces (a 3-minute generated pop piece, POP909 001, a
Beethoven sonata movement from GiantMIDI), as web/songs.score_file serves them in a fresh server:
the song page's SVG, then the PDF download after it, and a PDF download with nothing engraved
before (CPU and wall seconds); then, where the code has them, the steps: MusicXML by music21,
Verovio's A4 pages, and those pages drawn into a PDF by cairosvg and by librsvg. Run it with
PYTHONPATH=<old checkout>/src for the code before a change: the same pieces, the same calls.
First it says how plainly each score's rhythms are written (issue 13): those pieces and a 60 s
piece per genre of the default model (seeds 1, 2...): tuplets other than triplets, triplet
brackets, brackets over rests alone, rests, ties and A4 pages, and music21's CPU seconds (notation.musicxml,
three times).
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from symusic import Score

sys.path.insert(0, str(Path(__file__).parent))
from classifier import SOURCES, works  # noqa: E402  (the same pieces and splits as the classifier's bench)

from sonatina import api  # noqa: E402
from sonatina.compose.regenerate import (Passage, _groups, _Grid, bar_ticks, continuation_logprob,  # noqa: E402
                                         regenerate_passage)
from sonatina.data.corpus import collect_sources  # noqa: E402
from sonatina.data.corpus.reading import read_midi  # noqa: E402
from sonatina.data.dataset import mode_index, split_of  # noqa: E402
from sonatina.errors import SonatinaError  # noqa: E402
from sonatina.model.registry import load_model  # noqa: E402
from sonatina.music.keys import estimate_key, shift_to  # noqa: E402

BARS, FIRST, LAST = 16, 7, 10  # pieces cropped to 16 bars; bars 7-10 written anew; 11-14 judge


def held_out(data: Path, per_genre: int, genres=tuple(SOURCES)) -> list[tuple[str, Score, str]]:
    pieces = []
    for genre, sources in SOURCES.items():
        if genre not in genres:
            continue
        refs = collect_sources([s if s.startswith("music21:") else str(data / s) for s in sources], genre=genre)
        found = 0
        for ref in refs:
            for midi, key in works(ref):
                if found >= per_genre or split_of(key) != "test":
                    continue
                try:
                    score = read_midi(midi).resample(480)
                except SonatinaError:
                    continue
                if any(t.is_drum for t in score.tracks):
                    score.tracks = [t for t in score.tracks if not t.is_drum]
                size = bar_ticks(score)
                notes = [n for t in score.tracks for n in t.notes]
                first = min(n.time for n in notes) // size * size  # from the first bar that sounds
                score = score.clip(first, first + BARS * size, clip_end=True).shift_time(-first)
                if len({n.time // size for t in score.tracks for n in t.notes}) < BARS - 2:
                    continue  # long silences: no 16 sounding bars
                pieces.append((genre, score, Path(midi).name))
                found += 1
            if found >= per_genre:
                break
    return pieces


def next_loglik(model, score: Score, passage: Passage, genre: int) -> float:
    """Nats per token the model gives the 4 kept bars after `passage`, having read the piece up to it."""
    grid = _Grid(model, score.ticks_per_quarter)
    notes = [n for t in score.tracks if not t.is_drum for n in t.notes]
    tonic, mode = estimate_key(np.array([n.pitch for n in notes]), np.array([max(1, n.duration) for n in notes]))
    shift = shift_to(tonic, 0)
    end = grid.at(passage.end)
    groups = _groups(grid, notes, shift)
    context, bar, pos = grid.serialize({p: g for p, g in groups.items() if p < end}, -1, -1)
    follow, _, _ = grid.serialize({p: g for p, g in groups.items() if p >= end}, bar, pos,
                                  until=end + 4 * grid.per_bar)
    logits, state = model.stepper.prime(np.array([[model.vocab.bos] + context]), np.array([genre]),
                                        np.array([mode_index(mode)]))
    total = continuation_logprob(model.stepper, logits, state, [follow], genre, mode_index(mode))[0]
    return float(total) / max(1, len(follow))


def top_line(notes) -> list[tuple[int, int]]:
    """(onset, highest pitch) per onset."""
    best: dict[int, int] = {}
    for n in notes:
        best[n.time] = max(best.get(n.time, 0), n.pitch)
    return sorted(best.items())


def seam(score: Score, passage: Passage) -> tuple[float, float]:
    """(pitch step, rhythm step in beats) from the passage's last top note to the next kept one."""
    notes = [n for t in score.tracks if not t.is_drum for n in t.notes]
    inside = top_line([n for n in notes if passage.holds(n.time)])
    after = top_line([n for n in notes if n.time >= passage.end])
    if not inside or not after:
        return float("nan"), float("nan")
    return abs(after[0][1] - inside[-1][1]), (after[0][0] - inside[-1][0]) / score.ticks_per_quarter


def overlap(score: Score, original: Score, passage: Passage) -> tuple[float, float]:
    def hist(s):
        pcs = [n.pitch % 12 for t in s.tracks for n in t.notes if passage.holds(n.time)]
        h = np.bincount(pcs, minlength=12).astype(float)
        return h / max(1.0, h.sum()), len({n.time for t in s.tracks for n in t.notes if passage.holds(n.time)})

    (a, onsets_a), (b, onsets_b) = hist(score), hist(original)
    return float(np.minimum(a, b).sum()), onsets_a / max(1, onsets_b)


SCORE_PIECES = ("pop909/001/001.mid",
                "giantmidi-eval/giantmidi-piano/Beethoven_Piano_Sonata_No_10_Op_14_No_2_fQqNsTUvqCY_cut_mov_1.mid")


def _timed(call):
    """(result, CPU seconds of this process, wall seconds) of call()."""
    cpu, wall = time.process_time(), time.perf_counter()
    result = call()
    return result, time.process_time() - cpu, time.perf_counter() - wall


def tuplet_counts(xml: bytes) -> tuple[int, int, int]:
    """(notes or rests in tuplets other than 3:2, brackets drawn, brackets enclosing only rests)."""
    from sonatina.audio.score_rhythm import tuplets_written

    ratios, brackets, rests_only = tuplets_written(xml)
    return sum(n for ratio, n in ratios.items() if ratio != (3, 2)), brackets, rests_only


def score_rhythms(pieces) -> None:
    """How plainly each piece's score is written (see the docstring)."""
    import music21.musicxml.m21ToXml  # noqa: F401  (imported before the clock starts)

    from sonatina.audio import notation

    print("| piece | notes | notes and rests in odd tuplets | triplet brackets | over rests alone | rests | ties | "
          "A4 pages | music21 CPU s, min of 3 (median) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for label, score in pieces:
        runs = [_timed(lambda: notation.musicxml(score, label)) for _ in range(3)]
        xml, cpu = runs[0][0], sorted(run[1] for run in runs)
        odd, brackets, rests_only = tuplet_counts(xml)
        pages = len(notation.svg_pages(None, xml=xml))
        rests, ties = xml.count(b"<rest"), xml.count(b'<tie type="start"')
        print(f"| {label} | {score.note_num()} | {odd} | {brackets} | {rests_only} | {rests} | {ties} | {pages} | "
              f"{cpu[0]:.2f} ({cpu[1]:.2f}) |", flush=True)


def score_times(data: Path) -> None:
    """The studio's scores of long pieces, timed as a fresh server makes them (see the docstring)."""
    import tempfile

    from sonatina.web import create_app, songs, storage
    from sonatina.web.extensions import db
    from sonatina.web.models import Song, User

    pieces = [("generated pop, 180 s, seed 1", api.compose("default", seconds=180, genre="pop", seed=1)[0].score)]
    pieces += [(name.split("/")[-1][:40], read_midi(data / name)) for name in SCORE_PIECES]
    model = load_model("default")
    score_rhythms(pieces + [(f"generated {genre}, 60 s, seed {seed}",
                             api.compose(model, seconds=60, genre=genre, seed=seed)[0].score)
                            for seed, genre in enumerate(model.genres, start=1)])
    print()
    with tempfile.TemporaryDirectory() as instance:
        app = create_app({"TESTING": True, "INSTANCE_PATH": instance, "HUEY_IMMEDIATE": True,
                          "DATABASE_URL": f"sqlite:///{instance}/bench.db", "REDIS_URL": None})
        with app.test_request_context():
            import music21  # noqa: F401  (warm, as in a server that has engraved before)
            import verovio  # noqa: F401

            owner = User(username="bench", email="bench@example.com", password_hash="-")
            db.session.add(owner)
            db.session.commit()
            print("| piece | notes | page's SVG | PDF after the page | PDF, nothing engraved before | PDF size |")
            print("|---|---|---|---|---|---|")
            for label, score in pieces:
                name = storage.new_name("midi", ".mid")
                score.dump_midi(str(storage.path(name)))
                song = Song(owner_id=owner.id, title=label, model="default", duration_s=1.0, seed=1, settings={},
                            midi_file=name)
                db.session.add(song)
                db.session.commit()
                songs._SCORES.clear()
                _svg, svg_cpu, svg_wall = _timed(lambda: songs.score_file(song, "svg"))
                _pdf, after_cpu, after_wall = _timed(lambda: songs.score_file(song, "pdf"))
                songs._SCORES.clear()
                pdf, cold_cpu, cold_wall = _timed(lambda: songs.score_file(song, "pdf"))
                print(f"| {label} | {score.note_num()} | {svg_cpu:.2f} CPU ({svg_wall:.2f} wall) | {after_cpu:.2f} "
                      f"({after_wall:.2f}) | {cold_cpu:.2f} ({cold_wall:.2f}) | {len(pdf) // 1024} kB |", flush=True)
    from sonatina.audio import notation

    if not hasattr(notation, "engrave"):
        return  # the code before the change: no steps to time apart
    print("\n| piece | MusicXML (music21) | A4 pages (Verovio) | PDF drawn by cairosvg | by librsvg |")
    print("|---|---|---|---|---|")
    for label, score in pieces:
        xml, xml_cpu, _ = _timed(lambda: notation.musicxml(score, label))
        pages, pages_cpu, _ = _timed(lambda: notation.svg_pages(None, xml=notation._words_for_tempo(xml)))
        _, cairosvg_cpu, _ = _timed(lambda: notation._pdf_by_cairosvg(pages))
        drawn, librsvg_cpu, _ = _timed(lambda: notation._pdf_by_librsvg(pages))
        print(f"| {label} | {xml_cpu:.2f} | {pages_cpu:.2f} ({len(pages)} pages) | {cairosvg_cpu:.2f} | "
              f"{f'{librsvg_cpu:.2f}' if drawn else 'missing'} |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/datasets"))
    parser.add_argument("--pieces", type=int, default=5, help="held-out pieces per genre")
    parser.add_argument("--candidates", type=int, default=8)
    parser.add_argument("--scores", action="store_true", help="time only the studio's scores of long pieces")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    if args.scores:
        score_times(args.data)
        return
    model = load_model("default")
    pieces = held_out(args.data, args.pieces)
    rows = {"regen": [], "plain": [], "original": []}
    seconds = []
    for genre, score, name in pieces:
        model_genre = genre if genre in model.genres else "classical"
        g = model.genres.index(model_genre)
        size = bar_ticks(score)
        passage = Passage((FIRST - 1) * size, LAST * size)
        started = time.process_time()
        regen = regenerate_passage(model, score, passage, genre=g, seed=1, candidates=args.candidates).score
        seconds.append(time.process_time() - started)
        plain = regenerate_passage(model, score, passage, genre=g, seed=1, lookahead=False).score
        human = seam(score, passage)
        for label, result in (("regen", regen), ("plain", plain), ("original", score)):
            step = seam(result, passage)
            rows[label].append({"genre": genre, "ll": next_loglik(model, result, passage, g), "pitch": step[0],
                                "rhythm": step[1], "d_pitch": abs(step[0] - human[0]),
                                "d_rhythm": abs(step[1] - human[1]), **dict(zip(("pc", "density"),
                                                                                 overlap(result, score, passage)))})
        print(f"{genre:9s} {name[:40]:40s} next-LL regen {rows['regen'][-1]['ll']:.3f} plain "
              f"{rows['plain'][-1]['ll']:.3f} original {rows['original'][-1]['ll']:.3f}  ({seconds[-1]:.2f} s)",
              flush=True)

    print(f"\n{len(pieces)} held-out pieces ({', '.join(f'{g} {sum(p[0] == g for p in pieces)}' for g in SOURCES)}), "
          f"bars {FIRST}-{LAST} of 16, K={args.candidates}, seed 1\n")
    print("| passage | next-LL (nats/token) | beats plain | seam pitch step | |d human| | seam rhythm step (beats) "
          "| |d human| | pitch-class overlap | onsets vs original |")
    print("|---|---|---|---|---|---|---|---|---|")
    for label in ("regen", "plain", "original"):
        r = rows[label]
        m = lambda k: float(np.nanmean([x[k] for x in r]))  # noqa: E731
        wins = np.mean([a["ll"] > b["ll"] for a, b in zip(r, rows["plain"])]) if label != "plain" else float("nan")
        print(f"| {label} | {m('ll'):.3f} | {'' if np.isnan(wins) else f'{wins:.0%}'} | {m('pitch'):.1f} | "
              f"{m('d_pitch'):.1f} | {m('rhythm'):.2f} | {m('d_rhythm'):.2f} | {m('pc'):.2f} | {m('density'):.2f} |")

    engrave = []
    piece = api.compose(model, seconds=60, genre="pop", seed=1)[0]
    from sonatina.audio.notation import musicxml, svg_pages

    for _ in range(3):
        started = time.process_time()
        svg_pages(piece.score, "bench", xml=musicxml(piece.score, "bench"))
        engrave.append(time.process_time() - started)
    print(f"\nregenerate 4 bars (K={args.candidates}): median {np.median(seconds):.2f} s CPU, max {max(seconds):.2f} s; "
          f"engrave a 60 s pop piece ({piece.score.note_num()} notes): median {np.median(engrave):.2f} s CPU")


if __name__ == "__main__":
    main()
