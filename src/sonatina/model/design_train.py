"""The seed designs as torch modules, their checkpoint writer and their training loop.

Each training example is a window and the one item after it (the tutorials' recipe: a window of
100 events predicts the 101st; a window of notes predicts the next note), so one step of batch 64
learns from 64 targets, where a REMI step learns from every token of its windows. Validation
scores every held-out item from its window in NumPy (designs.score_sequences), the same code that
`sonatina evaluate` runs. Only training imports torch.
"""

from __future__ import annotations

import csv
import json
import math
import os
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from safetensors.torch import save_file
from torch import nn
from tqdm import tqdm

from sonatina.data.events import EventVocabulary, NoteDataset, chord_events, psdv_rows, psdv_features
from sonatina.errors import SonatinaError
from sonatina.model.card import write_card
from sonatina.model.checkpoint import CARD_FILE, FORMAT_VERSION, WEIGHTS_FILE
from sonatina.model.descent import cosine_rate, descend
from sonatina.model.designs import (BN_EPS, HEADS, MODELS, DesignConfig, network_for, score_sequences,
                                    windows_before)

VALIDATION_ITEMS = 1000  # items scored per validation (whole pieces): windowed scoring reads W items per item
CURVE_FIELDS = ["epoch", "step", "items_seen", "elapsed_s", "train_loss", "val_bits_per_note",
                "val_bits_per_note_pitch"]


class EventNet(nn.Module):
    """classic / twolayer: event-index windows [B, W] -> logits of the next event [B, V]."""

    def __init__(self, config: DesignConfig):
        super().__init__()
        self.config = config
        H = config.hidden_size
        self.lstms = nn.ModuleList(nn.LSTM(1 if i == 0 else H, H, batch_first=True) for i in range(config.num_layers))
        top = H
        if config.dense_size:
            self.bn1 = nn.BatchNorm1d(H, eps=BN_EPS, momentum=0.01)
            self.dense = nn.Linear(H, config.dense_size)
            self.bn2 = nn.BatchNorm1d(config.dense_size, eps=BN_EPS, momentum=0.01)
            top = config.dense_size
        self.drop = nn.Dropout(config.dropout)
        self.head = nn.Linear(top, config.vocab_size)

    def forward(self, windows):
        x = (windows.float() / self.config.vocab_size).unsqueeze(-1)
        for lstm in self.lstms:
            x = _run_lstm(lstm, x, self.config.recurrent_dropout if self.training else 0.0)
        h = x[:, -1]
        if self.config.dense_size:
            h = self.drop(self.bn1(h))
            h = self.drop(self.bn2(torch.relu(self.dense(h))))
        else:
            h = self.drop(h)
        return {"event": self.head(h)}


def _run_lstm(lstm: nn.LSTM, x, recurrent_dropout: float):
    """One LSTM layer; with recurrent dropout (training), a loop that masks h with one mask per
    sequence, as Keras does (torch's fused LSTM has no recurrent dropout)."""
    if not recurrent_dropout:
        return lstm(x)[0]
    w_ih, w_hh = lstm.weight_ih_l0, lstm.weight_hh_l0
    projected = x @ w_ih.T + (lstm.bias_ih_l0 + lstm.bias_hh_l0)
    B, T, H = x.shape[0], x.shape[1], lstm.hidden_size
    mask = torch.bernoulli(torch.full((B, H), 1 - recurrent_dropout, device=x.device)) / (1 - recurrent_dropout)
    h = c = torch.zeros(B, H, device=x.device)
    outputs = []
    for t in range(T):
        i, f, g, o = (projected[:, t] + (h * mask) @ w_hh.T).chunk(4, dim=-1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        h = torch.sigmoid(o) * torch.tanh(c)
        outputs.append(h)
    return torch.stack(outputs, dim=1)


class PSDVNet(nn.Module):
    """bilstm-psdv: note-bin windows [B, W, 4] (padding rows -1) -> logits per head."""

    def __init__(self, config: DesignConfig):
        super().__init__()
        self.config = config
        H = config.hidden_size
        self.lstm = nn.LSTM(5, H, config.num_layers, batch_first=True, bidirectional=True,
                            dropout=config.dropout if config.num_layers > 1 else 0.0)
        self.drop = nn.Dropout(config.dropout)
        for name, size in HEADS.items():
            setattr(self, f"{name}_head", nn.Linear(2 * H, size))

    def forward(self, windows):
        rows = windows.clamp(min=0).cpu().numpy()
        feats = torch.from_numpy(psdv_features(rows)).to(windows.device)
        feats = feats * (windows[..., :1] >= 0).float()
        out, _ = self.lstm(feats)
        H = self.config.hidden_size
        h = self.drop(torch.cat([out[:, -1, :H], out[:, 0, H:]], dim=-1))
        return {name: getattr(self, f"{name}_head")(h) for name in HEADS}


def build_net(config: DesignConfig) -> nn.Module:
    return PSDVNet(config) if config.bidirectional else EventNet(config)


def numpy_network(model: nn.Module):
    weights = {k: v.detach().float().cpu().numpy().copy() for k, v in model.state_dict().items()}
    return network_for(weights, model.config)


def save_design(model: nn.Module, folder: Path, card: dict) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().to("cpu", torch.float16).contiguous() for k, v in model.state_dict().items()
             if not k.endswith("num_batches_tracked")}
    tmp = folder / (WEIGHTS_FILE + ".tmp")
    save_file(state, str(tmp))
    tmp.replace(folder / WEIGHTS_FILE)
    tmp = folder / (CARD_FILE + ".tmp")
    tmp.write_text(json.dumps({"format": FORMAT_VERSION, "design": model.config.design,
                               "design_config": asdict(model.config), **card}, indent=2))
    tmp.replace(folder / CARD_FILE)


def sequences_of(config: DesignConfig, pieces, vocab: EventVocabulary | None) -> list[np.ndarray]:
    """Per piece, what the design predicts: event ids, or note bins [N, 4]."""
    if config.bidirectional:
        return [psdv_rows(p) for p in pieces]
    return [vocab.encode(chord_events(p)) for p in pieces]


class WindowSampler:
    """Random (window, next item) pairs; every item of the training pieces is equally likely a target."""

    def __init__(self, sequences, window: int, batch_size: int, seed: int):
        self.seqs = [s for s in sequences if len(s)]
        self.window, self.batch_size = window, batch_size
        self.rng = np.random.default_rng(seed)
        lengths = np.array([len(s) for s in self.seqs], dtype=float)
        self.weights = lengths / lengths.sum()

    def __call__(self):
        picks = self.rng.choice(len(self.seqs), size=self.batch_size, p=self.weights)
        xs, ys = [], []
        for k in picks:
            seq = self.seqs[k]
            t = int(self.rng.integers(len(seq)))
            xs.append(windows_before(seq, [t], self.window)[0])
            ys.append(seq[t])
        return np.stack(xs), np.stack(ys)


def _loss(logits: dict, y) -> torch.Tensor:
    if "event" in logits:
        return F.cross_entropy(logits["event"], y)
    return sum(F.cross_entropy(logits[name], y[:, k]) for k, name in enumerate(HEADS))


def train_design(dataset: NoteDataset, out: Path, design: DesignConfig, config, card_extra: dict | None = None,
                 progress: bool = True, on_epoch_end=None) -> dict:
    """Train a seed design (TrainConfig `config`: batch_size, max_minutes, epochs, ...) into `out`."""
    if int(os.environ.get("WORLD_SIZE", "1")) > 1:
        raise SonatinaError("The seed designs train in one process; run them without torchrun.")
    if config.device != "cpu" and not torch.cuda.is_available():
        raise SonatinaError("--device cuda was asked for, but this machine has no CUDA GPU that PyTorch can use.")
    device = torch.device(config.device)
    torch.manual_seed(config.seed)
    out.mkdir(parents=True, exist_ok=True)
    train_pieces, val_pieces = dataset.split("train"), dataset.split("validation")
    if not train_pieces:
        raise SonatinaError("No piece landed in the training split; give more music.")
    vocab = None if design.bidirectional else EventVocabulary.build(train_pieces)
    if vocab is not None:
        design.vocab_size = vocab.size
    train_seqs = sequences_of(design, train_pieces, vocab)
    val_seqs = sequences_of(design, val_pieces, vocab)
    val_notes = [p.notes for p in val_pieces]
    sampler = WindowSampler(train_seqs, design.window, config.batch_size, config.seed)
    train_items = sum(len(s) for s in train_seqs)
    card_extra = {**(card_extra or {})}
    card_extra["data"] = {**card_extra.get("data", {}), "items": {"train": train_items,
                                                                  "validation": sum(len(s) for s in val_seqs)}}
    steps_per_epoch = config.steps_per_epoch or max(1, math.ceil(train_items / config.batch_size))

    model = build_net(design).to(device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.learning_rate, weight_decay=config.weight_decay)
    total_steps = steps_per_epoch * config.epochs
    step, items_seen, best, bad_epochs, card = 0, 0, float("inf"), 0, {}
    started = time.monotonic()
    deadline = started + config.max_minutes * 60 if config.max_minutes else None
    curve_path = out / "learning_curve.csv"
    with open(curve_path, "w", newline="") as fh:
        csv.writer(fh).writerow(CURVE_FIELDS)
    stop, epoch = False, 0
    while epoch < config.epochs and not stop:
        model.train()
        losses = []
        bar = tqdm(range(steps_per_epoch), desc=f"epoch {epoch + 1}/{config.epochs}", unit="step",
                   disable=None if progress else True, leave=False)
        for _ in bar:
            x, y = (torch.from_numpy(a).to(device) for a in sampler())
            loss = descend(optimizer, model.parameters(), _loss(model(x), y),
                           cosine_rate(config.learning_rate, step, total_steps), config.grad_clip)
            losses.append(loss)
            step += 1
            items_seen += len(y)
            bar.set_postfix(loss=f"{loss:.3f}")
            if deadline and time.monotonic() > deadline:
                stop = True
                break
        done = epoch + len(losses) / steps_per_epoch
        epoch += 1
        elapsed = time.monotonic() - started
        model.eval()
        val = score_sequences(numpy_network(model), val_seqs, val_notes,
                              min(VALIDATION_ITEMS, config.val_max_tokens)).as_dict()
        with open(curve_path, "a", newline="") as fh:
            csv.writer(fh).writerow([round(done, 3), step, items_seen, round(elapsed, 1),
                                     float(np.mean(losses)) if losses else float("nan"),
                                     val["bits_per_note"], val["bits_per_note_pitch"]])
        improved = val["bits_per_note"] < best
        if improved:
            best, bad_epochs = val["bits_per_note"], 0
            card = _card(dataset, design, vocab, val, done, step, items_seen, elapsed, config, model,
                         card_extra)
            save_design(model, out, card)
            write_card(out)
        else:
            bad_epochs += 1
        if on_epoch_end:
            on_epoch_end(out)
        if progress:
            tqdm.write(f"epoch {round(done, 3)}: train loss {np.mean(losses) if losses else float('nan'):.3f}, "
                       f"validation {val['bits_per_note']:.3f} bits/note{' (best)' if improved else ''}, "
                       f"{elapsed / 60:.1f} min")
        if bad_epochs >= config.patience:
            stop = True
    return card or json.loads((out / CARD_FILE).read_text())


def _card(dataset, design, vocab, val, epoch, step, items_seen, elapsed, config, model, extra) -> dict:
    extra = extra or {}
    return {
        "genres": dataset.genres,
        "genre_stats": dataset.genre_stats("notes", lambda p: p.notes),
        "events": vocab.tokens if vocab is not None else None,
        "models": MODELS[design.design],
        "data": {**dataset.summary(), **extra.get("data", {})},
        "validation": {**val, "epoch": epoch},
        "training": {"epochs": epoch, "steps": step, "items_seen": items_seen, "tokens_seen": items_seen,
                     "minutes": round(elapsed / 60, 2), "processes": 1,
                     "parameters": sum(p.numel() for p in model.parameters()), "config": asdict(config)},
        **{k: v for k, v in extra.items() if k != "data"},
    }


def train_design_run(sources: list[str], out: Path, preset: str, config, *, genre=None, genre_folders=False,
                     limit=None, progress=True, overrides: dict | None = None, description: str = "",
                     command: str | None = None, on_epoch_end=None) -> dict:
    """`sonatina train --preset classic|twolayer|bilstm-psdv`: read SOURCES as notes and train."""
    from sonatina.data.corpus import collect_sources
    from sonatina.data.events import build_note_dataset, ensure_note_validation
    from sonatina.model.designs import design_preset

    design = design_preset(preset)
    try:
        for name, value in (overrides or {}).items():
            if value is not None:
                setattr(design, name, value)
        design.__post_init__()
    except (TypeError, ValueError) as exc:
        raise SonatinaError(str(exc)) from None
    refs = collect_sources(list(sources), genre=genre, genre_folders=genre_folders, limit=limit)
    dataset = build_note_dataset(refs, progress=progress)
    ensure_note_validation(dataset)
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "split.csv", "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["piece", "genre", "split"])
        writer.writerows((p.name, p.genre, p.split) for p in dataset.pieces)
    if dataset.skipped:
        (out / "skipped.log").write_text("".join(f"{name}\t{why}\n" for name, why in dataset.skipped))
    extra = {"description": description or f"{preset} design (issue 12) trained by `sonatina train` on "
                                           f"{', '.join(sources)}",
             "data": {"sources": list(sources), "skipped_log": "skipped.log" if dataset.skipped else None},
             "command": command}
    return train_design(dataset, out, design, config, extra, progress=progress, on_epoch_end=on_epoch_end)
