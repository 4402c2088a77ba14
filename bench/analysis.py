"""Speed of metrics and set comparison, and agreement of our metrics with MusPy on real files.

    .venv/bin/python bench/analysis.py --data ../shared/datasets [--files 100]

Reports: seconds per piece for `piece_metrics` (reading included), the largest difference from
MusPy per metric over pop909 / wjazzd / giantmidi files (MusPy's controller-event quirk removed,
and how many files it changes when left in), and the time and headline numbers of a comparison
of two disjoint sets of pop909 files with a third, disjoint, set as training data.
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from pathlib import Path

from symusic import Score

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from sonatina.analysis import compare as C  # noqa: E402
from sonatina.analysis import metrics as M  # noqa: E402


def pop909_files(data: Path) -> list[Path]:
    return sorted(p / f"{p.name}.mid" for p in (data / "pop909").iterdir() if p.is_dir() and p.name.isdigit())


def bench_metrics(files: list[Path]) -> None:
    start = time.perf_counter()
    notes = 0
    for path in files:
        score = Score(str(path))
        notes += score.note_num()
        M.piece_metrics(score)
    elapsed = time.perf_counter() - start
    print(f"piece_metrics on {len(files)} pop909 files ({notes} notes): {elapsed:.2f} s "
          f"({1000 * elapsed / len(files):.1f} ms per piece, reading included)")


def bench_muspy_agreement(files: list[Path]) -> None:
    import muspy
    from test_metrics import MUSPY_EQUIVALENTS

    worst = dict.fromkeys(MUSPY_EQUIVALENTS, 0.0)
    changed_by_controllers = 0
    start = time.perf_counter()
    for path in files:
        ours = M.piece_metrics(Score(str(path)))
        music = muspy.read_midi(str(path))
        music.adjust_resolution(M.RESOLUTION)
        bar = M.bar_steps(Score(str(path)))
        raw = {name: fn(muspy, music, bar) for name, fn in MUSPY_EQUIVALENTS.items()}
        for track in music.tracks:  # MusPy counts trailing controller events in the length
            track.annotations = []
        for name, fn in MUSPY_EQUIVALENTS.items():
            theirs = fn(muspy, music, bar)
            if not (math.isnan(theirs) and math.isnan(ours[name])):
                worst[name] = max(worst[name], abs(ours[name] - theirs))
        changed_by_controllers += any(abs(raw[n] - fn(muspy, music, bar)) > 1e-12 for n, fn in MUSPY_EQUIVALENTS.items())
    print(f"MusPy agreement on {len(files)} files ({time.perf_counter() - start:.1f} s): largest |ours - MusPy| per metric")
    for name, diff in worst.items():
        print(f"  {name:22s} {diff:.2e}")
    print(f"  files where MusPy's controller events change its value: {changed_by_controllers}")


def link_set(files: list[Path], folder: Path) -> Path:
    folder.mkdir(parents=True)
    for path in files:
        (folder / path.name).symlink_to(path.resolve())
    return folder


def bench_compare(files: list[Path], n: int, n_train: int) -> None:
    gen, ref, train = files[:n], files[n : 2 * n], files[2 * n : 2 * n + n_train]
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        start = time.perf_counter()
        result = C.compare_folders(link_set(gen, tmp / "gen"), link_set(ref, tmp / "ref"), tmp / "report",
                                   training=link_set(train, tmp / "train"))
        elapsed = time.perf_counter() - start
    feats = result["features"]
    print(f"compare: {n} pop909 vs {n} other pop909, {len(train)} disjoint training files: {elapsed:.1f} s (report included)")
    for name, f in feats.items():
        print(f"  {name:24s} OA {f['overlap_area']:.3f}  KL {f['kl_divergence']:.3f}")
    print("  diversity:", {k: {m: round(v, 3) for m, v in d.items()} for k, d in result["diversity"].items()})
    memo = result["memorisation"]
    print(f"  memorisation: longest copied span max {memo['longest_copied_notes_max']} notes, median "
          f"{memo['longest_copied_notes_median']}, windows found {memo['windows_found']}/{memo['windows']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True, help="folder holding pop909/, wjazzd/, giantmidi-eval/")
    parser.add_argument("--files", type=int, default=100, help="pop909 files for the metrics timing")
    parser.add_argument("--compare-set", type=int, default=50)
    parser.add_argument("--training", type=int, default=200)
    args = parser.parse_args()
    pop = pop909_files(args.data)
    bench_metrics(pop[: args.files])
    agreement = pop[:40] + sorted((args.data / "wjazzd").glob("*.mid"))[:40] + \
        sorted((args.data / "giantmidi-eval").rglob("*.mid"))[::6]
    bench_muspy_agreement(agreement)
    bench_compare(pop, args.compare_set, args.training)


if __name__ == "__main__":
    main()
