"""Judges of a converted piece's genre, one per part that was made anew, each trained on real music.

The whole-piece genre classifier (model.classify) learned from unaccompanied folk tunes and jazz
solo lines, so it cannot recognise an accompanied folk or jazz piece. These judges look at the
parts a conversion writes, one at a time:

  drums          the drum part's groove (model.drum_style), trained on the Groove MIDI Dataset
                 (Gillick et al. 2019, CC BY 4.0): rock, jazz, pop, and every other style as other
  accompaniment  the pitched parts that are not the melody (model.accompaniment), trained on
                 POP909's piano and bridge tracks (pop), the GiantMIDI evaluation set's score MIDI
                 with its top line taken out (classical) and Bach chorales' lower voices (chorale)

A judge only votes on targets it has a class for: no accompaniment data of folk, jazz or rock
exists here, so their pitched parts get no verdict rather than a made-up one, and folk, with
neither drums nor an accompaniment judge, gets none at all. `bench/judges.py` trains both.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from symusic import Score

from sonatina.model import accompaniment, drum_style
from sonatina.model.classify import GenreClassifier
from sonatina.model.registry import PRETRAINED_DIR

JUDGES_DIR = PRETRAINED_DIR / "judges"
# the classes of a judge that count as a target genre (a chorale's texture is classical music's)
ACCEPTS = {"classical": ("classical", "chorale")}


@dataclass(frozen=True)
class JudgeKind:
    name: str
    file: str
    names: list[str]  # feature names
    features: object  # Score -> feature vector, or None when the piece has no such part


KINDS = (JudgeKind("drums", "drum_style.json", drum_style.feature_names(), drum_style.features),
         JudgeKind("accompaniment", "accompaniment.json", accompaniment.feature_names(), accompaniment.features))


@lru_cache(maxsize=None)
def load_judge(name: str, folder: str | Path = JUDGES_DIR) -> GenreClassifier:
    kind = next(k for k in KINDS if k.name == name)
    return GenreClassifier.load(Path(folder) / kind.file, names=kind.names)


def hear(score: Score) -> dict[str, dict[str, float] | None]:
    """Per judge, its class probabilities for the piece's part, most likely first (None: no such part)."""
    out = {}
    for kind in KINDS:
        x = kind.features(score)
        if x is None:
            out[kind.name] = None
            continue
        judge = load_judge(kind.name)
        p = judge.predict_proba(x[None])[0]
        out[kind.name] = dict(sorted(zip(judge.genres, p.tolist()), key=lambda kv: -kv[1]))
    return out


def can_judge(name: str, target: str) -> bool:
    """Whether a judge has a class that stands for the target genre."""
    return any(c in load_judge(name).genres for c in ACCEPTS.get(target, (target,)))


def verdicts(score: Score, target: str) -> dict[str, bool | None]:
    """Per judge: does it hear the target genre in its part (None: it cannot say, having no class for
    the target); a judge with a class for the target that finds no such part says False."""
    heard = hear(score)
    out = {}
    for kind in KINDS:
        if not can_judge(kind.name, target):
            out[kind.name] = None
        else:
            probabilities = heard[kind.name]
            out[kind.name] = bool(probabilities) and next(iter(probabilities)) in ACCEPTS.get(target, (target,))
    return out
