"""PNG plots of a piece, of its sound, of a training run and of a set comparison.

Every function writes one PNG of a fixed pixel size (figure inches x DPI, no tight-bbox
cropping) and returns its path. Figures are plain matplotlib `Figure` objects drawn by the Agg
canvas: no pyplot state and no backend switch, so importing this module changes nothing for a
program (or notebook) that uses matplotlib itself, and threads never share a "current figure".
"""

from __future__ import annotations

import csv
import math
import tempfile
from pathlib import Path

import numpy as np
from matplotlib import colormaps
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure
from symusic import Score

from sonatina.analysis import metrics as M
from sonatina.errors import BadInputError

DPI = 100
SIZE_WIDE = (12, 5)  # piano roll, spectrogram, learning curves: 1200 x 500 px
SIZE_SQUARE = (7, 6)  # transition heatmap: 700 x 600 px
SIZE_BARS = (8, 4)  # histograms: 800 x 400 px
AUDIO_SUFFIXES = {".wav", ".flac", ".mp3", ".ogg"}
SPECTRO_FRAMES = 1200  # at most this many STFT frames across the image (hop grows with length)
SPECTRO_BINS = 256  # log-spaced frequency rows
SPECTRO_FMIN = 27.5  # A0, the lowest piano key
SPECTRO_FLOOR_DB = -90.0
TIME_UNITS = ("seconds", "bars")


def _figure(figsize: tuple[float, float]) -> Figure:
    """A figure of its own (not registered with pyplot, so nothing to close), drawn by Agg."""
    fig = Figure(figsize=figsize, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _save(fig: Figure, out_png: str | Path) -> Path:
    out = Path(out_png)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(out, dpi=DPI)
    except OSError as exc:
        raise BadInputError(f"Cannot write the plot '{out}' ({exc.strerror}).") from None
    return out


def _read(score_or_path: Score | str | Path) -> Score:
    if isinstance(score_or_path, Score):
        return score_or_path
    from sonatina.data.corpus import load_score

    return load_score(score_or_path)


# ----------------------------------------------------------------------------- one piece


def piano_roll(score: Score | str | Path, out_png: str | Path, time_unit: str = "seconds", title: str | None = None) -> Path:
    """Notes as bars (pitch against time), one colour per track, legend with track names.
    ``time_unit`` "seconds" follows the tempo map; "bars" counts bars from 1 (first metre)."""
    if time_unit not in TIME_UNITS:
        raise BadInputError(f"Unknown time unit '{time_unit}'; choose seconds or bars.")
    score = _read(score)
    ticks = M.in_ticks(score)
    if time_unit == "seconds":
        timed, scale, offset, xlabel = ticks.to("second"), 1.0, 0.0, "time (s)"
    else:
        bar_ticks = M.bar_steps(ticks) * ticks.tpq / M.RESOLUTION
        timed, scale, offset, xlabel = ticks, 1.0 / bar_ticks, 1.0, "bar"
    fig = _figure(SIZE_WIDE)
    ax = fig.subplots()
    colours = colormaps["tab10"]
    low, high, end = 127, 0, 0.0
    for index, track in enumerate(timed.tracks):
        arr = track.notes.numpy()
        if not len(arr["time"]):
            continue
        start = arr["time"] * scale + offset
        width = np.maximum(arr["duration"] * scale, 1e-9)
        pitch = arr["pitch"].astype(float)
        boxes = np.stack([
            np.stack([start, pitch - 0.4], 1), np.stack([start + width, pitch - 0.4], 1),
            np.stack([start + width, pitch + 0.4], 1), np.stack([start, pitch + 0.4], 1),
        ], axis=1)  # fmt: skip
        label = (track.name or f"track {index + 1}") + (" (drums)" if track.is_drum else "")
        ax.add_collection(PolyCollection(boxes, facecolors=colours(index % 10), edgecolors="none", label=label))
        low, high = min(low, pitch.min()), max(high, pitch.max())
        end = max(end, float((start + width).max()))
    if end == 0:
        raise BadInputError("The piece has no notes to draw.")
    ax.set_xlim(offset, end)
    ax.set_ylim(low - 2, high + 2)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("MIDI pitch (60 = middle C)")
    ax.legend(loc="upper right", fontsize="small")
    ax.set_title(title or "Piano roll")
    ax.grid(alpha=0.3)
    return _save(fig, out_png)


def pitch_class_histogram(score: Score | str | Path, out_png: str | Path, title: str | None = None) -> Path:
    """Share of notes in each pitch class C..B (drums left out)."""
    hist = M.pitch_class_histogram(_read(score))
    if np.isnan(hist).any():
        raise BadInputError("The piece has no pitched notes to count.")
    fig = _figure(SIZE_BARS)
    ax = fig.subplots()
    ax.bar(M.PITCH_CLASS_NAMES, hist, color="tab:blue")
    ax.set_ylabel("share of notes")
    ax.set_title(title or "Pitch classes")
    return _save(fig, out_png)


def transition_heatmap(score: Score | str | Path, out_png: str | Path, title: str | None = None) -> Path:
    """Pitch-class transitions (row: from, column: to) as shares of all moves; see
    ``sonatina.analysis.metrics.pitch_class_transitions`` for how moves are counted."""
    counts = M.pitch_class_transitions(_read(score))
    if counts.sum() == 0:
        raise BadInputError("The piece has fewer than two successive notes, so no transitions to draw.")
    fig = _figure(SIZE_SQUARE)
    ax = fig.subplots()
    image = ax.imshow(counts / counts.sum(), cmap="magma", origin="upper")
    ax.set_xticks(range(12), M.PITCH_CLASS_NAMES)
    ax.set_yticks(range(12), M.PITCH_CLASS_NAMES)
    ax.set_xlabel("to")
    ax.set_ylabel("from")
    ax.set_title(title or "Pitch-class transitions")
    fig.colorbar(image, ax=ax, label="share of moves")
    return _save(fig, out_png)


def _audio_samples(source: Score | str | Path) -> tuple[np.ndarray, int]:
    """Mono samples of an audio file, or of a piece rendered with the default SoundFont."""
    from sonatina.audio import synth as audio
    from sonatina.audio import files as audiofile

    if not isinstance(source, Score) and Path(source).suffix.lower() in AUDIO_SUFFIXES:
        return audiofile.load_audio(source, mono=True)
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "render.wav"
        audio.render(source, wav)
        return audiofile.load_audio(wav, mono=True)


def spectrogram(audio_or_midi: Score | str | Path, out_png: str | Path, title: str | None = None) -> Path:
    """Log-frequency spectrogram in dB (0 dB = loudest bin). Audio files are read as they
    are; MIDI/MusicXML/ABC files and Scores are first rendered with ``sonatina.audio.synth.render``."""
    from scipy import signal

    samples, rate = _audio_samples(audio_or_midi)
    hop = max(256, math.ceil(len(samples) / SPECTRO_FRAMES))
    window = max(2048, 2 ** math.ceil(math.log2(hop)))
    freqs, times, power = signal.spectrogram(samples, rate, nperseg=min(window, len(samples)),
                                             noverlap=max(0, min(window, len(samples)) - hop))
    db = 10 * np.log10(power + 1e-20)
    db = np.maximum(db - db.max(), SPECTRO_FLOOR_DB)
    log_freqs = np.geomspace(SPECTRO_FMIN, rate / 2, SPECTRO_BINS)
    rows = np.searchsorted(freqs, log_freqs).clip(max=len(freqs) - 1)
    fig = _figure(SIZE_WIDE)
    ax = fig.subplots()
    duration = len(samples) / rate
    image = ax.imshow(db[rows], origin="lower", aspect="auto", cmap="magma",
                      extent=(0, duration, 0, SPECTRO_BINS))
    octaves = [f for f in (55, 110, 220, 440, 880, 1760, 3520, 7040, 14080) if f < rate / 2]
    ax.set_yticks(np.interp(np.log(octaves), np.log(log_freqs), np.arange(SPECTRO_BINS)), [f"{f} Hz" for f in octaves])
    ax.set_xlabel("time (s)")
    ax.set_title(title or "Spectrogram")
    fig.colorbar(image, ax=ax, label="dB")
    return _save(fig, out_png)


# ----------------------------------------------------------------------------- training runs

CURVE_COLUMNS = ("epoch", "step", "tokens_seen", "elapsed_s", "train_loss", "val_loss",
                 "val_bits_per_token", "val_bits_per_note")  # fmt: skip


def read_learning_curve(run_dir_or_csv: str | Path) -> dict[str, np.ndarray]:
    """Columns of a trainer's learning_curve.csv as float arrays (blank cells -> NaN)."""
    path = Path(run_dir_or_csv)
    if path.is_dir():
        path = path / "learning_curve.csv"
    if not path.is_file():
        raise BadInputError(f"No learning curve at '{path}' (expected a run folder with learning_curve.csv).")
    with path.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    if not rows or "train_loss" not in rows[0]:
        raise BadInputError(f"'{path.name}' holds no learning-curve rows (it needs a train_loss column).")

    def number(text):
        try:
            return float(text)
        except (TypeError, ValueError):
            return math.nan

    return {col: np.array([number(r.get(col)) for r in rows]) for col in rows[0]}


def run_name(run_dir_or_csv: str | Path) -> str:
    """The training run a curve belongs to: its folder's name (also for the folder's own
    learning_curve.csv), else the CSV's stem. Plots of several runs are named after it."""
    path = Path(run_dir_or_csv).resolve()
    if path.is_dir():
        return path.name
    return path.parent.name if path.name == "learning_curve.csv" else path.stem


def learning_curve(run_dir_or_csv: str | Path, out_png: str | Path) -> Path:
    """Training and validation loss (nats per token) per epoch, and validation bits per note.
    Works from the first row on (single points are drawn as markers)."""
    curve = read_learning_curve(run_dir_or_csv)
    x_name = next((c for c in ("epoch", "step", "tokens_seen") if c in curve and not np.isnan(curve[c]).all()), None)
    x = curve[x_name] if x_name else np.arange(1, len(curve["train_loss"]) + 1, dtype=float)
    fig = _figure(SIZE_WIDE)
    left, right = fig.subplots(1, 2)
    for col, colour in (("train_loss", "tab:blue"), ("val_loss", "tab:orange")):
        if col in curve and not np.isnan(curve[col]).all():
            left.plot(x, curve[col], marker="o", color=colour, label=col.replace("_", " "))
    left.set_ylabel("loss (nats per token)")
    right_col = next((c for c in ("val_bits_per_note", "val_bits_per_token") if c in curve and not np.isnan(curve[c]).all()), None)
    if right_col:
        right.plot(x, curve[right_col], marker="o", color="tab:green")
        best = int(np.nanargmin(curve[right_col]))
        right.annotate(f"best {curve[right_col][best]:.3f}", (x[best], curve[right_col][best]),
                       textcoords="offset points", xytext=(0, 10), ha="center")
    right.set_ylabel((right_col or "val_bits_per_note").replace("_", " ").replace("val ", "validation "))
    for ax in (left, right):
        ax.set_xlabel(x_name or "row")
        ax.grid(alpha=0.3)
    left.legend()
    fig.suptitle(f"Learning curves: {run_name(run_dir_or_csv)}")
    return _save(fig, out_png)


# ----------------------------------------------------------------------------- set comparison


def distance_densities(curves: dict, features: dict, out_png: str | Path) -> Path:
    """One small panel per feature with the three KDE curves of ``compare.compare_feature``."""
    names = [n for n, c in curves.items() if c is not None]
    cols = 4
    rows = max(1, math.ceil(len(names) / cols))
    fig = _figure((16, 2.6 * rows))
    axes = fig.subplots(rows, cols, squeeze=False)
    for ax, name in zip(axes.ravel(), names):
        c = curves[name]
        ax.plot(c["grid"], c["intra_reference"], color="tab:blue", label="intra reference")
        if c["intra_generated"] is not None:
            ax.plot(c["grid"], c["intra_generated"], color="tab:green", label="intra generated")
        ax.plot(c["grid"], c["inter"], color="tab:orange", label="inter (gen. vs ref.)")
        ax.set_title(f"{name}\nOA {features[name]['overlap_area']:.2f}  KL {features[name]['kl_divergence']:.2f}", fontsize=9)
        ax.tick_params(labelsize=7)
    for ax in axes.ravel()[len(names):]:
        ax.axis("off")
    axes.ravel()[0].legend(fontsize=7)
    return _save(fig, out_png)


def metric_distributions(values: dict[str, dict[str, np.ndarray]], out_png: str | Path) -> Path:
    """Box plots per metric, one box per set (``values[set][metric]`` = one value per piece)."""
    labels = list(values)
    names = list(next(iter(values.values())))
    cols = 5
    rows = math.ceil(len(names) / cols)
    fig = _figure((16, 2.8 * rows))
    axes = fig.subplots(rows, cols, squeeze=False)
    for ax, name in zip(axes.ravel(), names):
        data = [values[label][name][~np.isnan(values[label][name])] for label in labels]
        if all(len(d) for d in data):
            ax.boxplot(data, tick_labels=labels)
        ax.set_title(f"{name} ({M.UNITS.get(name, '')})", fontsize=9)
        ax.tick_params(labelsize=7)
    for ax in axes.ravel()[len(names):]:
        ax.axis("off")
    return _save(fig, out_png)


def set_pitch_classes(means: dict[str, np.ndarray], out_png: str | Path) -> Path:
    """Mean pitch-class histogram of each set, side by side."""
    fig = _figure(SIZE_BARS)
    ax = fig.subplots()
    width = 0.8 / max(1, len(means))
    for k, (label, hist) in enumerate(means.items()):
        ax.bar(np.arange(12) + (k - (len(means) - 1) / 2) * width, hist, width, label=label)
    ax.set_xticks(range(12), M.PITCH_CLASS_NAMES)
    ax.set_ylabel("share of notes")
    ax.set_title("Mean pitch-class histogram")
    ax.legend()
    return _save(fig, out_png)
