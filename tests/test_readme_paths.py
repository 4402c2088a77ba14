"""The files the README points a reader to exist (a module moved once and its README path stayed)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_python_file_the_readme_names_exists():
    named = set(re.findall(r"`([\w./-]+\.py)`", (ROOT / "README.md").read_text(encoding="utf-8")))
    assert named, "the README names no .py file: the pattern is out of date"
    everywhere = {p.name for p in ROOT.glob("src/**/*.py")} | {p.name for p in ROOT.glob("bench/*.py")}
    missing = [name for name in sorted(named)
               if not ((ROOT / name).exists() or (ROOT / "src" / "sonatina" / name).exists()
                       or ("/" not in name and name in everywhere))]
    assert missing == []
