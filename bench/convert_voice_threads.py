"""Would threads speed up a two-voice conversion? The upper bound: both voices in two threads.

    OMP_NUM_THREADS=1 nice -n 10 .venv/bin/python bench/convert_voice_threads.py --data ../shared/datasets [--pieces 1]

A jazz or folk target writes a bass line and then a middle part that hears it (its notes are kept
notes to the second voice), so the two cannot simply run at once. This measures the most threads
could give: both voices sampled from the kept notes alone (the second not hearing the first), one
after the other and then in two threads, on test-split pieces (bench/convert.py's), seed 1, the
least of 3 runs each. Reports wall and process CPU seconds per minute of music.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from convert import SOURCE_GENRES, held_out, seconds  # noqa: E402

from sonatina.compose import convert  # noqa: E402
from sonatina.compose.sample import SamplingConfig, token_pitches  # noqa: E402
from sonatina.data.dataset import mode_index  # noqa: E402
from sonatina.model.registry import load_model  # noqa: E402
from sonatina.model.stepper import one_blas_thread  # noqa: E402
from sonatina.music.keys import estimate_key, shift_to  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/datasets"))
    parser.add_argument("--pieces", type=int, default=1)
    parser.add_argument("--bars", type=int, default=16)
    args = parser.parse_args()
    model = load_model("default")
    pitch_of, lengths = token_pitches(model.tokenizer), convert.token_lengths(model.tokenizer)
    stepper = convert._table_stepper(model.stepper)
    targets = [g for g, frame in convert.ARRANGEMENTS.items() if len(frame.voices) > 1]
    totals = {"one after another": [], "two threads": []}
    for source in SOURCE_GENRES:
        for key, score in held_out(args.data, source, args.pieces, args.bars):
            score = score.resample(convert.TPQ)
            pitched = [n for t in score.tracks if not t.is_drum for n in t.notes]
            tonic, mode = estimate_key(np.array([n.pitch for n in pitched]), np.array([max(1, n.duration) for n in pitched]))
            melody, _, _ = convert.split_source(score, None, False)
            frame = convert.source_frame(model.tokenizer, score, melody, shift_to(tonic, 0))
            forced = convert.kept_tokens(model.tokenizer, melody, convert.TPQ, frame.shift)
            minutes = seconds(score) / 60
            for target in targets:
                rules, writer = convert.arrangement_for(target, model.genres)

                def voice(i: int) -> None:
                    v = rules.voices[i]
                    genre = model.genres.index(next((g for g in v.writes_as if g in model.genres), writer))
                    with one_blas_thread():
                        convert.sample_voice(stepper, model.vocab, pitch_of, genre, mode_index(mode), frame, dict(forced),
                                             v, SamplingConfig(), 31 + i, lengths)

                def threads() -> None:
                    running = [threading.Thread(target=voice, args=(i,)) for i in range(len(rules.voices))]
                    for t in running:
                        t.start()
                    for t in running:
                        t.join()

                best = {}
                for _ in range(3):
                    for name, run in (("one after another", lambda: [voice(i) for i in range(len(rules.voices))]),
                                      ("two threads", threads)):
                        started, clock = time.process_time(), time.perf_counter()
                        run()
                        cpu, wall = (time.process_time() - started) / minutes, (time.perf_counter() - clock) / minutes
                        old = best.get(name, (np.inf, np.inf))
                        best[name] = (min(old[0], wall), min(old[1], cpu))
                for name, value in best.items():
                    totals[name].append(value)
                print(f"{source:>9} {key} -> {target:<5} " + "  ".join(
                    f"{name}: wall {w:.2f} cpu {c:.2f}" for name, (w, c) in best.items()), flush=True)
    for name, values in totals.items():
        walls, cpus = zip(*values)
        print(f"mean {name}: wall {np.mean(walls):.3f}  cpu {np.mean(cpus):.3f} s per minute")


if __name__ == "__main__":
    main()
