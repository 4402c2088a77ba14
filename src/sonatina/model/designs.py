"""The seed designs (issue 12) as configs, presets and NumPy networks: no torch here.

- `classic`: the notes-and-chords tutorial. Input per event is its vocabulary index divided by
  the vocabulary size (one number, as the tutorial feeds it), LSTM 512 x3 (recurrent dropout 0.3),
  batch norm, dropout 0.3, Dense 256 ReLU, batch norm, dropout 0.3, softmax; windows of 100, batch 64.
- `twolayer`: the same events, LSTM 256 x2 and a Dense softmax.
- `bilstm-psdv`: each note is (pitch, step, duration, velocity); a window of the previous 25 notes
  is read by a 3-layer bidirectional LSTM; four softmax heads give the next note's pitch (128) and
  its step, duration and velocity bins. Bins with a softmax rather than the tutorial's regression
  (MSE on step and duration): a regression has no likelihood, so no held-out score comparable with
  the others; a softmax over bins is a proper discrete distribution at REMI's time resolution, it
  can say "0 (a chord) or a half beat, nothing between", which a single Gaussian cannot, and
  temperature / top-k / top-p apply to it as to any other head.

Every design predicts the next item from a window read from a zero state, as the tutorials train;
held-out scoring does exactly that. Composing, in NumPy and batched over variations: the
bidirectional design must re-read its window per note (its backward pass starts at the newest
note); the unidirectional ones step once per event with the state carried on (after reading a
window of padding, so the first draw is exactly the windowed one), 100x less work than re-reading
100 events per note as the tutorial's model.predict loop does. A window shorter than `window` (a
piece's start) is padded in front with PAD (index 0 / an all-zero feature row).
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import numpy as np

from sonatina.data.events import DURATION_BINS, PITCHES, STEP_BINS, VELOCITY_BINS, psdv_features
from sonatina.model.checkpoint import CARD_FILE, WEIGHTS_FILE, checkpoint_folder, damaged
from sonatina.model.stepper import lstm_cell

EVENT_DESIGNS = ("classic", "twolayer")
DESIGNS = ("remi", *EVENT_DESIGNS, "bilstm-psdv")
HEADS = {"pitch": PITCHES, "step": STEP_BINS, "duration": DURATION_BINS, "velocity": VELOCITY_BINS}
BN_EPS = 1e-3  # Keras's BatchNormalization epsilon

# What each design models, for cards, help and the comparison table.
MODELS = {
    "remi": "pitch, onset position, duration (1/8 beat) and velocity (16 levels) of every note, bars",
    "classic": "the order of onsets' pitch content only: a single note's pitch, a chord's pitch classes "
               "(no octave); no timing, duration or velocity",
    "twolayer": "the order of onsets' pitch content only: a single note's pitch, a chord's pitch classes "
                "(no octave); no timing, duration or velocity",
    "bilstm-psdv": "pitch, step since the previous onset (1/8 beat bins up to 8 beats), duration (1/8 beat "
                   "bins up to 8 beats) and velocity (16 bins) of every note",
}
NOT_HONOURED = {
    "classic": "composes one event per half beat, each a beat long at one velocity (the representation has no "
               "rhythm, duration or velocity); genre and mode are not conditioned (genre sets only the default "
               "tempo and the key's mode odds)",
    "bilstm-psdv": "genre and mode are not conditioned (genre sets only the default tempo and the key's mode odds)",
}
NOT_HONOURED["twolayer"] = NOT_HONOURED["classic"]


@dataclass
class DesignConfig:
    design: str = "classic"
    vocab_size: int = 0  # events in the vocabulary (set from the training data); psdv: unused
    hidden_size: int = 512  # LSTM width (per direction when bidirectional)
    num_layers: int = 3  # stacked LSTM layers
    dense_size: int = 256  # classic's Dense(256, ReLU) between batch norms; 0: straight to the softmax
    dropout: float = 0.3  # after the LSTM stack (and after the dense layer); between layers for psdv
    recurrent_dropout: float = 0.3  # Keras-style: one mask per sequence on the recurrent state
    window: int = 100  # items read before each prediction
    bidirectional: bool = False

    def __post_init__(self):
        if self.design not in DESIGNS[1:]:
            raise ValueError(f"DesignConfig.design must be one of {', '.join(DESIGNS[1:])}, got {self.design!r}.")
        for name in ("hidden_size", "num_layers", "window"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"DesignConfig.{name} must be a positive integer, got {value!r}.")
        for name in ("dropout", "recurrent_dropout"):
            if not 0.0 <= getattr(self, name) < 1.0:
                raise ValueError(f"DesignConfig.{name} must be in [0, 1), got {getattr(self, name)!r}.")

    @classmethod
    def from_dict(cls, d: dict) -> "DesignConfig":
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in known})


DESIGN_PRESETS = {
    "classic": DesignConfig("classic", hidden_size=512, num_layers=3, dense_size=256, dropout=0.3,
                            recurrent_dropout=0.3, window=100),
    "twolayer": DesignConfig("twolayer", hidden_size=256, num_layers=2, dense_size=0, dropout=0.0,
                             recurrent_dropout=0.0, window=100),
    "bilstm-psdv": DesignConfig("bilstm-psdv", hidden_size=256, num_layers=3, dense_size=0, dropout=0.2,
                                recurrent_dropout=0.0, window=25, bidirectional=True),
}
DESIGN_BATCH = 64  # the tutorials' batch size, used unless --batch-size says otherwise


def design_preset(name: str) -> DesignConfig:
    return DesignConfig(**asdict(DESIGN_PRESETS[name]))


# --- NumPy networks ----------------------------------------------------------------------------

def _lstm_run(x: np.ndarray, w_ih: np.ndarray, w_hh: np.ndarray, b: np.ndarray, reverse: bool = False) -> np.ndarray:
    """One LSTM layer over [B, T, In] from a zero state -> outputs [B, T, H]; weights pre-transposed."""
    B, T, _ = x.shape
    H = w_hh.shape[0]
    projected = x @ w_ih + b
    h, c = np.zeros((B, H), np.float32), np.zeros((B, H), np.float32)
    out = np.empty((B, T, H), np.float32)
    for t in (range(T - 1, -1, -1) if reverse else range(T)):
        h, c = lstm_cell(projected[:, t] + h @ w_hh, c)
        out[:, t] = h
    return out


def _layer(w: dict, prefix: str, suffix: str = "") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return (w[f"{prefix}weight_ih_l{suffix}"].T.copy(), w[f"{prefix}weight_hh_l{suffix}"].T.copy(),
            w[f"{prefix}bias_ih_l{suffix}"] + w[f"{prefix}bias_hh_l{suffix}"])


def _log_softmax(x: np.ndarray) -> np.ndarray:
    x = x - x.max(axis=-1, keepdims=True)
    return x - np.log(np.exp(x).sum(axis=-1, keepdims=True))


class EventNetwork:
    """classic / twolayer in NumPy: windows of event ids [B, W] -> logits of the next event [B, V]."""

    def __init__(self, weights: dict[str, np.ndarray], config: DesignConfig):
        self.config = config
        self.layers = [_layer(weights, f"lstms.{i}.", "0") for i in range(config.num_layers)]
        w = weights
        self.bn1 = _bn(w, "bn1") if config.dense_size else None
        self.dense = (w["dense.weight"].T.copy(), w["dense.bias"]) if config.dense_size else None
        self.bn2 = _bn(w, "bn2") if config.dense_size else None
        self.head = (w["head.weight"].T.copy(), w["head.bias"])
        if self.head[0].shape != (config.hidden_size if not config.dense_size else config.dense_size, config.vocab_size):
            raise ValueError(f"the output layer has shape {self.head[0].shape}, the config says otherwise")

    def logits(self, windows: np.ndarray) -> dict[str, np.ndarray]:
        """Each window read from a zero state, as in training and scoring."""
        x = (np.asarray(windows, np.float32) / self.config.vocab_size)[..., None]
        for w_ih, w_hh, b in self.layers:
            x = _lstm_run(x, w_ih, w_hh, b)
        return self._top(x[:, -1])

    def initial_state(self, batch: int) -> list[tuple[np.ndarray, np.ndarray]]:
        zeros = np.zeros((batch, self.config.hidden_size), np.float32)
        return [(zeros.copy(), zeros.copy()) for _ in self.layers]

    def step(self, ids, state) -> tuple[dict[str, np.ndarray], list]:
        """One event per row [B] with the state carried on: composing's fast path (one step per
        event instead of re-reading a window of `window` events)."""
        x = (np.asarray(ids, np.float32) / self.config.vocab_size)[:, None]
        new_state = []
        for (w_ih, w_hh, b), (h, c) in zip(self.layers, state):
            h, c = lstm_cell(x @ w_ih + h @ w_hh + b, c)
            new_state.append((h, c))
            x = h
        return self._top(x), new_state

    def _top(self, h: np.ndarray) -> dict[str, np.ndarray]:
        if self.dense:
            h = np.maximum((_apply_bn(h, self.bn1)) @ self.dense[0] + self.dense[1], 0.0)
            h = _apply_bn(h, self.bn2)
        return {"event": h @ self.head[0] + self.head[1]}


class PSDVNetwork:
    """bilstm-psdv in NumPy: windows of note bins [B, W, 4] (rows of -1: padding) -> logits per head."""

    def __init__(self, weights: dict[str, np.ndarray], config: DesignConfig):
        self.config = config
        self.layers = [(_layer(weights, "lstm.", str(i)), _layer(weights, "lstm.", f"{i}_reverse"))
                       for i in range(config.num_layers)]
        self.heads = {name: (weights[f"{name}_head.weight"].T.copy(), weights[f"{name}_head.bias"]) for name in HEADS}
        for name, size in HEADS.items():
            if self.heads[name][0].shape != (2 * config.hidden_size, size):
                raise ValueError(f"the {name} head has shape {self.heads[name][0].shape}")

    def logits(self, windows: np.ndarray) -> dict[str, np.ndarray]:
        x = window_features(windows)
        for fwd, bwd in self.layers:
            x = np.concatenate([_lstm_run(x, *fwd), _lstm_run(x, *bwd, reverse=True)], axis=-1)
        H = self.config.hidden_size
        h = np.concatenate([x[:, -1, :H], x[:, 0, H:]], axis=-1)  # forward's last, backward's whole-window state
        return {name: h @ w + b for name, (w, b) in self.heads.items()}


def window_features(windows: np.ndarray) -> np.ndarray:
    """Note bins [B, W, 4] -> input features [B, W, 5]; padding rows (pitch -1) become zeros."""
    windows = np.asarray(windows)
    feats = psdv_features(np.maximum(windows, 0))
    feats[windows[..., 0] < 0] = 0.0
    return feats


def _bn(w: dict, name: str) -> tuple:
    return (w[f"{name}.weight"], w[f"{name}.bias"], w[f"{name}.running_mean"], w[f"{name}.running_var"])


def _apply_bn(x: np.ndarray, bn: tuple) -> np.ndarray:
    gamma, beta, mean, var = bn
    return (x - mean) / np.sqrt(var + BN_EPS) * gamma + beta


def network_for(weights: dict[str, np.ndarray], config: DesignConfig):
    return PSDVNetwork(weights, config) if config.bidirectional else EventNetwork(weights, config)


# --- windows, scoring, reading -----------------------------------------------------------------

def windows_before(seq: np.ndarray, positions, window: int) -> np.ndarray:
    """The `window` items before each position, padded in front (0 for ids, -1 rows for note bins)."""
    seq = np.asarray(seq)
    pad_value = -1 if seq.ndim == 2 else 0
    padded = np.concatenate([np.full((window, *seq.shape[1:]), pad_value, seq.dtype), seq])
    positions = np.asarray(positions)
    idx = positions[:, None] + np.arange(window)[None, :]  # padded[t : t + window] == before t
    return padded[idx]


@dataclass
class DesignScore:
    """Held-out negative log-likelihood of a design, split by what it names."""

    nats: float = 0.0  # every head (the design's full likelihood)
    pitch_nats: float = 0.0  # the pitch part: the event (classic, twolayer) or the pitch head (psdv)
    items: int = 0  # events or notes scored
    notes: int = 0  # notes of the scored pieces (the same count REMI divides by)
    pieces: int = 0
    unknown: int = 0  # events outside the vocabulary (scored as UNK)

    def as_dict(self) -> dict:
        ln2 = math.log(2)
        per = (lambda n, d: n / ln2 / d if d else float("nan"))
        return {"bits_per_note": per(self.nats, self.notes), "bits_per_note_pitch": per(self.pitch_nats, self.notes),
                "bits_per_event": per(self.nats, self.items), "nats_per_event": self.nats / self.items if self.items else float("nan"),
                "bits_per_token": per(self.nats, self.items), "tokens": self.items,
                "events": self.items, "notes": self.notes, "pieces": self.pieces, "unknown_events": self.unknown}


def score_sequences(network, sequences: list[np.ndarray], notes: list[int], max_items: int | None = None,
                    batch: int = 256) -> DesignScore:
    """Score every item of each sequence from the window before it (whole pieces, up to max_items)."""
    total = DesignScore()
    W = network.config.window
    for seq, n_notes in zip(sequences, notes):
        seq = np.asarray(seq)
        for start in range(0, len(seq), batch):
            positions = np.arange(start, min(len(seq), start + batch))
            logits = network.logits(windows_before(seq, positions, W))
            targets = seq[positions]
            if "event" in logits:
                nll = -np.take_along_axis(_log_softmax(logits["event"]), targets[:, None], axis=1)[:, 0]
                total.nats += float(nll.sum())
                total.pitch_nats += float(nll.sum())
                total.unknown += int((targets == 1).sum())
            else:
                for k, name in enumerate(HEADS):
                    part = -np.take_along_axis(_log_softmax(logits[name]), targets[:, k:k + 1], axis=1)[:, 0]
                    total.nats += float(part.sum())
                    if name == "pitch":
                        total.pitch_nats += float(part.sum())
        total.items += len(seq)
        total.notes += int(n_notes)
        total.pieces += 1
        if max_items and total.items >= max_items:
            break
    return total


def read_design(path: Path) -> tuple[DesignConfig, object, dict]:
    """(config, NumPy network, card) of a design checkpoint, without torch."""
    from safetensors import SafetensorError
    from safetensors.numpy import load_file

    folder = checkpoint_folder(Path(path))
    try:
        card = json.loads((folder / CARD_FILE).read_text())
        config = DesignConfig.from_dict(card["design_config"])
        weights = {k: v.astype(np.float32) for k, v in load_file(str(folder / WEIGHTS_FILE)).items()}
        network = network_for(weights, config)
    except (KeyError, TypeError, ValueError, OSError, SafetensorError) as exc:
        raise damaged(folder, exc) from None
    return config, network, card


def evaluate_design(loaded, sources: list[str], progress: bool = False) -> dict:
    """`sonatina evaluate` for a design: every note of SOURCES scored from its window."""
    from sonatina.data.corpus import collect_sources
    from sonatina.data.events import EventVocabulary, build_note_dataset, chord_events, psdv_rows

    dataset = build_note_dataset(collect_sources(list(sources)), progress=progress)
    if loaded.vocab is not None:
        vocab: EventVocabulary = loaded.vocab
        sequences = [vocab.encode(chord_events(p)) for p in dataset.pieces]
    else:
        sequences = [psdv_rows(p) for p in dataset.pieces]
    result = score_sequences(loaded.stepper, sequences, [p.notes for p in dataset.pieces]).as_dict()
    return {"model": loaded.name, "design": loaded.design, "models": MODELS[loaded.design], **result,
            "bits_per_token": result["bits_per_event"], "tokens": result["events"],
            "skipped": len(dataset.skipped), "skipped_files": [name for name, _ in dataset.skipped]}
