"""bench/quality.py with some genres' rows of the form defaults replaced (issue 11), to try a
repeated section's Variation (opening_strength, carry_bars, register) that quality.py's --config
cannot set; every other argument goes to quality.py unchanged.

    OMP_NUM_THREADS=1 .venv/bin/python bench/quality_rows.py \\
        '{"jazz": {"form": "AABA", "form_strength": 5, "opening_strength": 3.5, "carry_bars": 4}}' \\
        --split validation --pieces 64 --no-bits --training-pieces 0 --config default --genres jazz

A row replaces the genre's whole row of `sonatina.compose.form.GENRE_DEFAULTS` for this run only;
use `--config default` so the pieces are composed under it (bench/RESULTS.md "Repeats in pop,
jazz and classical").
"""

from __future__ import annotations

import json
import runpy
import sys
from pathlib import Path

from sonatina.compose import form


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1].startswith("-"):
        raise SystemExit(__doc__)
    rows = json.loads(sys.argv[1])
    for genre, row in rows.items():
        form.GENRE_DEFAULTS[genre] = row
    print(f"form rows: {rows}", file=sys.stderr, flush=True)
    sys.argv = [str(Path(__file__).with_name("quality.py")), *sys.argv[2:]]
    runpy.run_path(sys.argv[0], run_name="__main__")


if __name__ == "__main__":
    main()
