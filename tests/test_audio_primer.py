"""A recording as the primer of `generate`: transcribed first, as convert, the edits and the studio do."""

from __future__ import annotations

from click.testing import CliRunner
from symusic import Score

from helpers import make_score
from sonatina.audio import synth as audio
from sonatina.cli import main


def test_generate_continues_a_recording(tmp_path):
    # before, `generate --primer take.wav` answered "'take.wav' is not a music file Sonatina reads"
    # while `convert take.wav` and the studio's primer field took the same file
    take = tmp_path / "take.wav"
    audio.render(make_score(bars=4, tempo=120.0), take)
    out = tmp_path / "answer.mid"
    result = CliRunner().invoke(main, ["generate", "--primer", str(take), "--seconds", "20", "--seed", "1",
                                       "--json", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert '"primer": "' + str(take) + '"' in result.output  # named as given, not as a transcription
    score = Score(str(out), ttype="second")
    assert abs(score.end() - 20.0) < 0.05 and score.note_num() > 20
