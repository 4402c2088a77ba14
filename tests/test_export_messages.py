"""`sonatina export` names every file it writes: an SVG of many pages is many files."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from sonatina.cli import main
from tests.helpers import make_score


def test_every_svg_page_written_is_named(tmp_path):
    source = tmp_path / "long.mid"
    make_score(seed=4, bars=120).dump_midi(str(source))
    result = CliRunner().invoke(main, ["export", str(source), "--out", str(tmp_path / "x.svg")])
    assert result.exit_code == 0, result.output
    pages = sorted(tmp_path.glob("x*.svg"), key=lambda p: (len(p.name), p.name))
    assert len(pages) > 4  # enough music for several pages: x.svg, x-2.svg ... x-N.svg
    assert [p.name for p in pages] == ["x.svg"] + [f"x-{n}.svg" for n in range(2, len(pages) + 1)]
    assert result.output.strip() == \
        f"Wrote {tmp_path / 'x.svg'} and {len(pages) - 1} more pages: x-2.svg ... x-{len(pages)}.svg."
    as_json = json.loads(CliRunner().invoke(main, ["export", str(source), "--out", str(tmp_path / "y.svg"),
                                                   "--json"]).output)
    assert [Path(f).name for f in as_json["files"]] == [p.name.replace("x", "y") for p in pages]


def test_one_file_is_named_once(tmp_path):
    source = tmp_path / "short.mid"
    make_score(seed=4, bars=4).dump_midi(str(source))
    result = CliRunner().invoke(main, ["export", str(source), "--out", str(tmp_path / "x.svg")])
    assert result.output.strip() == f"Wrote {tmp_path / 'x.svg'}."
