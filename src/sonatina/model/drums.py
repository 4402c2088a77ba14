"""Drum grooves learned from people's drumming: a small LSTM over a sixteenth-note grid.

A groove is a sequence of steps (STEPS_PER_BEAT per beat, 4/4). At each step the network reads
which of the nine drum classes were hit at the previous step, the style, the position inside
the bar and whether the bar is a fill, and predicts, per class, the chance of a hit now
(nine independent Bernoulli outputs, as in Magenta's Drums RNN but multi-label). How hard and
how far off the grid people play each class at each position (the feel: a laid-back snare, a
swung ride) is kept per style as averages measured from the same data, and applied to the hits
the network chooses.

Trained by `bench/drums.py` on the Groove MIDI Dataset (Gillick et al. 2019, CC BY 4.0:
1,150 performances by 10 drummers, labelled by style); generation runs in NumPy.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from safetensors.numpy import load_file
from symusic import Note, Score, Track

from sonatina.errors import BadInputError, UnknownOptionError
from sonatina.model.stepper import lstm_cell

STEPS_PER_BEAT = 4
BEATS_PER_BAR = 4
STEPS_PER_BAR = STEPS_PER_BEAT * BEATS_PER_BAR
CLASSES = ("kick", "snare", "closed hi-hat", "open hi-hat", "low tom", "mid tom", "high tom", "crash", "ride")
CLASS_PITCH = (36, 38, 42, 46, 43, 47, 50, 49, 51)  # General MIDI notes written for each class
# General MIDI (and the Roland kit of the Groove data) drum notes -> class
PITCH_CLASS = {35: 0, 36: 0, 37: 1, 38: 1, 39: 1, 40: 1, 22: 2, 42: 2, 44: 2, 26: 3, 46: 3,
               41: 4, 43: 4, 58: 4, 45: 5, 47: 5, 48: 6, 50: 6, 49: 7, 52: 7, 55: 7, 57: 7, 51: 8, 53: 8, 59: 8}
N = len(CLASSES)
WEIGHTS_FILE, CARD_FILE = "drums.safetensors", "drums.json"


def grid_of(score: Score) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Drum notes of a 4/4 score -> hits [steps, N] (0/1), velocity [steps, N], offset [steps, N] in steps."""
    step_ticks = score.ticks_per_quarter / STEPS_PER_BEAT
    notes = [n for t in score.tracks if t.is_drum for n in t.notes if n.pitch in PITCH_CLASS]
    steps = int(max((n.time for n in notes), default=0) / step_ticks) + 2
    steps = -(-steps // STEPS_PER_BAR) * STEPS_PER_BAR  # whole bars
    hits, velocity, offset = np.zeros((steps, N)), np.zeros((steps, N)), np.zeros((steps, N))
    for note in notes:
        exact = note.time / step_ticks
        step, cls = int(round(exact)), PITCH_CLASS[note.pitch]
        if step < steps and note.velocity > velocity[step, cls]:  # the loudest of doubled hits
            hits[step, cls], velocity[step, cls], offset[step, cls] = 1, note.velocity, exact - step
    return hits, velocity, offset


@dataclass
class Performance:
    style: str
    fill: bool
    split: str
    hits: np.ndarray
    velocity: np.ndarray
    offset: np.ndarray


def read_groove(folder: str | Path) -> list[Performance]:
    """The 4/4 performances of a Groove-MIDI-style folder (labels.csv: file, genre, beat_type, split)."""
    folder = Path(folder)
    labels = folder / "labels.csv"
    if not labels.is_file():
        raise BadInputError(f"'{folder}' has no labels.csv; expected the Groove MIDI Dataset's layout.")
    out = []
    with labels.open() as handle:
        for row in csv.DictReader(handle):
            if row.get("time_signature", "4-4") != "4-4":
                continue
            score = Score(str(folder / row["file"]))
            hits, velocity, offset = grid_of(score)
            if hits.sum():
                out.append(Performance(row["genre"], row["beat_type"] == "fill", row["split"], hits, velocity, offset))
    return out


def feel_of(performances: list[Performance], styles: list[str]) -> dict[str, np.ndarray]:
    """Per style, class and position in the bar: mean velocity, its spread, mean offset (steps)."""
    shape = (len(styles), STEPS_PER_BAR, N)
    count, vel, vel2, off = (np.zeros(shape) for _ in range(4))
    for p in performances:
        s = styles.index(p.style)
        pos = np.arange(len(p.hits)) % STEPS_PER_BAR
        for k in range(STEPS_PER_BAR):
            rows = p.hits[pos == k]
            count[s, k] += rows.sum(axis=0)
            vel[s, k] += (p.velocity[pos == k] * rows).sum(axis=0)
            vel2[s, k] += (p.velocity[pos == k] ** 2 * rows).sum(axis=0)
            off[s, k] += (p.offset[pos == k] * rows).sum(axis=0)
    seen = np.maximum(count, 1)
    mean = np.where(count > 0, vel / seen, 80.0)
    spread = np.sqrt(np.maximum(vel2 / seen - mean ** 2, 0.0))
    return {"velocity": mean, "velocity_std": np.where(count > 2, spread, 10.0), "offset": off / seen}


def step_inputs(hits: np.ndarray, style: int, fill: np.ndarray, num_styles: int) -> np.ndarray:
    """Network input per step: previous step's hits, style one-hot, position one-hot, fill flag."""
    steps = len(hits)
    prev = np.vstack([np.zeros((1, N)), hits[:-1]])
    style_hot = np.zeros((steps, num_styles))
    style_hot[:, style] = 1
    position = np.eye(STEPS_PER_BAR)[np.arange(steps) % STEPS_PER_BAR]
    return np.hstack([prev, style_hot, position, fill[:, None]]).astype(np.float32)


class DrumModel:
    """A trained groove model: LSTM weights (NumPy) and each style's feel."""

    def __init__(self, card: dict, weights: dict[str, np.ndarray]):
        self.card, self.styles = card, list(card["styles"])
        self.feel = {k: np.array(v) for k, v in card["feel"].items()}
        self.w_ih, self.w_hh = weights["lstm.weight_ih_l0"].T, weights["lstm.weight_hh_l0"].T
        self.bias = weights["lstm.bias_ih_l0"] + weights["lstm.bias_hh_l0"]
        self.head_w, self.head_b = weights["head.weight"].T, weights["head.bias"]

    @classmethod
    def load(cls, folder: str | Path) -> "DrumModel":
        folder = Path(folder)
        try:
            card = json.loads((folder / CARD_FILE).read_text())
            weights = {k: v.astype(np.float32) for k, v in load_file(str(folder / WEIGHTS_FILE)).items()}
            return cls(card, weights)
        except (OSError, KeyError, ValueError) as exc:
            raise BadInputError(f"'{folder}' holds no usable drum model ({exc}).") from None

    def _step(self, x, h, c):
        h, c = lstm_cell(x @ self.w_ih + h @ self.w_hh + self.bias, c)
        return h @ self.head_w + self.head_b, h, c

    def sample_hits(self, style: str, bars: int, *, fill_every: int = 8, temperature: float = 1.0,
                    seed: int = 0) -> np.ndarray:
        """[bars * STEPS_PER_BAR, N] hits; the last bar of every `fill_every` bars is a fill (0: none)."""
        if style not in self.styles:
            raise UnknownOptionError(f"No drum style '{style}'; the drum model knows {', '.join(self.styles)}.")
        rng = np.random.default_rng([seed, 11])
        steps = bars * STEPS_PER_BAR
        bar = np.arange(steps) // STEPS_PER_BAR
        fill = ((bar + 1) % fill_every == 0) if fill_every else np.zeros(steps, dtype=bool)
        style_hot = np.zeros(len(self.styles), dtype=np.float32)
        style_hot[self.styles.index(style)] = 1
        h = c = np.zeros(self.w_hh.shape[0], dtype=np.float32)
        hits = np.zeros((steps, N))
        prev = np.zeros(N, dtype=np.float32)
        for t in range(steps):
            x = np.concatenate([prev, style_hot, np.eye(STEPS_PER_BAR, dtype=np.float32)[t % STEPS_PER_BAR],
                                [float(fill[t])]])
            logits, h, c = self._step(x, h, c)
            p = 1.0 / (1.0 + np.exp(-logits / temperature))
            hits[t] = rng.random(N) < p
            prev = hits[t].astype(np.float32)
        return hits

    def track(self, style: str, bars: int, tpq: int, *, seed: int = 0, fill_every: int = 8,
              temperature: float = 1.0, start_tick: int = 0) -> Track:
        """A drum Track of `bars` bars in `style`, with the style's own velocities and timing."""
        hits = self.sample_hits(style, bars, fill_every=fill_every, temperature=temperature, seed=seed)
        s = self.styles.index(style)
        rng = np.random.default_rng([seed, 12])
        step_ticks = tpq / STEPS_PER_BEAT
        track = Track(name="Drums", program=0, is_drum=True)
        for t, cls in zip(*np.nonzero(hits)):
            k = t % STEPS_PER_BAR
            velocity = self.feel["velocity"][s, k, cls] + rng.normal(0, self.feel["velocity_std"][s, k, cls] * 0.5)
            tick = start_tick + (t + self.feel["offset"][s, k, cls]) * step_ticks
            track.notes.append(Note(max(start_tick, int(round(tick))), max(1, int(step_ticks)), CLASS_PITCH[cls],
                                    int(np.clip(velocity, 20, 127))))
        track.notes.sort(key=lambda n: n.time)
        return track


def _windows(performances: list[Performance], styles: list[str], length: int) -> tuple[np.ndarray, np.ndarray]:
    """Every bar-aligned window of `length` steps (the last one padded): inputs, targets."""
    xs, ys = [], []
    for p in performances:
        fill = np.full(len(p.hits), float(p.fill))
        x = step_inputs(p.hits, styles.index(p.style), fill, len(styles))
        for start in range(0, len(p.hits) - STEPS_PER_BAR + 1, STEPS_PER_BAR):
            xw, yw = x[start:start + length], p.hits[start:start + length]
            pad = length - len(xw)
            xs.append(np.pad(xw, ((0, pad), (0, 0))))
            ys.append(np.pad(yw, ((0, pad), (0, 0)), constant_values=-1))  # -1: no target
    return np.array(xs, dtype=np.float32), np.array(ys, dtype=np.float32)


def train(performances: list[Performance], out: str | Path, *, hidden: int = 128, minutes: float = 5.0,
          epochs: int | None = None, lr: float = 3e-3, window_bars: int = 4, batch: int = 64, seed: int = 0,
          log=print, extra_card: dict | None = None) -> dict:
    """Fit the groove LSTM on the train split for `minutes` (or `epochs`, whichever ends first),
    keep the epoch best on validation, and write the model to OUT."""
    import time

    import torch
    from safetensors.torch import save_file

    torch.manual_seed(seed)
    styles = sorted({p.style for p in performances})
    by_split = {s: [p for p in performances if p.split == s] for s in ("train", "validation")}
    if not by_split["train"] or not by_split["validation"]:
        raise BadInputError("Drum training needs performances in both the train and the validation split.")
    length = window_bars * STEPS_PER_BAR
    x_train, y_train = (torch.from_numpy(a) for a in _windows(by_split["train"], styles, length))
    x_val, y_val = (torch.from_numpy(a) for a in _windows(by_split["validation"], styles, length))

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = torch.nn.LSTM(x_train.shape[-1], hidden, batch_first=True)
            self.head = torch.nn.Linear(hidden, N)

        def forward(self, x):
            return self.head(self.lstm(x)[0])

    net = Net()
    optimiser = torch.optim.Adam(net.parameters(), lr=lr)

    def bits_per_step(x, y) -> float:
        with torch.no_grad():
            mask = y >= 0
            loss = torch.nn.functional.binary_cross_entropy_with_logits(net(x)[mask], y[mask], reduction="sum")
            return float(loss) / float(mask.sum() / N) / np.log(2)

    best, started, epoch, history = float("inf"), time.monotonic(), 0, []
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    generator = torch.Generator().manual_seed(seed)
    while time.monotonic() - started < minutes * 60 and (epochs is None or epoch < epochs):
        epoch += 1
        net.train()
        for idx in torch.randperm(len(x_train), generator=generator).split(batch):
            x, y = x_train[idx], y_train[idx]
            mask = y >= 0
            loss = torch.nn.functional.binary_cross_entropy_with_logits(net(x)[mask], y[mask])
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
        net.eval()
        score = bits_per_step(x_val, y_val)
        history.append(score)
        log(f"epoch {epoch}: validation {score:.3f} bits per step")
        if score < best:
            best = score
            save_file({k: v.detach().contiguous() for k, v in net.state_dict().items()}, str(out / WEIGHTS_FILE))
    feel = feel_of(by_split["train"], styles)
    card = {"styles": styles, "steps_per_beat": STEPS_PER_BEAT, "classes": list(CLASSES), "hidden": hidden,
            "feel": {k: v.round(3).tolist() for k, v in feel.items()},
            "validation": {"bits_per_step": round(best, 4), "history": [round(h, 4) for h in history]},
            "data": {"performances": {s: len(v) for s, v in by_split.items()},
                     "styles": {s: sum(p.style == s for p in performances) for s in styles}},
            "minutes": minutes, **(extra_card or {})}
    (out / CARD_FILE).write_text(json.dumps(card, indent=1))
    return card
