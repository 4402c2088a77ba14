"""Training loop: validation every epoch, best checkpoint, resume, early stop, time limit,
learning curves, and data-parallel training under torchrun (gloo on CPU, nccl on CUDA).

An "epoch" is as many random windows as the training split has tokens (at least
MIN_STEPS_PER_EPOCH steps), so small and large collections both validate at a sensible rhythm.
--max-minutes without --epochs trains until the minutes run out or validation stops improving:
a user who gives minutes expects them used, so no epoch cap applies (--epochs alone: 20 by
default), and the learning rate decays over the time budget instead of a planned step count. When --max-minutes stops training inside an
epoch, that last epoch is validated and recorded as the fraction of it that ran (12.007, not 13),
so the learning curve shows no false plateau.
"""

from __future__ import annotations

import csv
import json
import math
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
import torch.nn.functional as F
from tqdm import tqdm

from sonatina.data.dataset import BatchSampler, Dataset, interleave_by_genre
from sonatina.errors import SonatinaError
from sonatina.model.evaluate import held_out_by_genre, likelihood
from sonatina.model.checkpoint import CARD_FILE, ModelConfig
from sonatina.model.descent import cosine_rate, descend
from sonatina.model.lstm import MusicLSTM, save_checkpoint, warm_start
from sonatina.model.card import write_card
from sonatina.data.tokens import Vocabulary, build_tokenizer

DEFAULT_EPOCHS = 20  # without --max-minutes
PLAN_EVERY_STEPS = 20  # time-limited runs re-estimate their total steps this often
MIN_STEPS_PER_EPOCH = 20  # a small collection's epoch of 3 steps would validate (and early-stop) on noise

CURVE_FIELDS = ["epoch", "step", "tokens_seen", "elapsed_s", "train_loss", "val_loss",
                "val_bits_per_token", "val_bits_per_note"]


@dataclass
class TrainConfig:
    epochs: int | None = None  # cap on passes over the training tokens; None: DEFAULT_EPOCHS, or
    # no cap when max_minutes is given (train until the minutes or early stopping)
    max_minutes: float | None = None  # wall-clock budget; the best checkpoint so far is kept
    batch_size: int = 32  # windows per step (per process under torchrun)
    seq_len: int = 256  # tokens per window (truncated backpropagation length)
    learning_rate: float = 2e-3  # AdamW, cosine-decayed to 10% over the planned steps
    weight_decay: float = 0.01
    grad_clip: float = 1.0  # LSTMs explode now and then; clip the global norm
    patience: int = 3  # stop after this many epochs without a better validation score
    transpose: int = 0  # augmentation: random transposition up to +-N semitones
    steps_per_epoch: int | None = None  # override the automatic epoch length
    val_max_tokens: int = 200_000  # cap on validation tokens per epoch (whole pieces)
    device: str = "cpu"
    seed: int = 0

    def __post_init__(self):
        if self.epochs is None and self.max_minutes is None:
            self.epochs = DEFAULT_EPOCHS
        positive = ("epochs", "batch_size", "seq_len", "patience")
        for name in positive:
            if getattr(self, name) is not None and getattr(self, name) < 1:
                raise ValueError(f"TrainConfig.{name} must be at least 1, got {getattr(self, name)!r}.")
        if self.max_minutes is not None and self.max_minutes <= 0:
            raise ValueError(f"TrainConfig.max_minutes must be positive, got {self.max_minutes!r}.")
        if self.learning_rate <= 0:
            raise ValueError(f"TrainConfig.learning_rate must be positive, got {self.learning_rate!r}.")
        if not 0 <= self.transpose <= 12:
            raise ValueError(f"TrainConfig.transpose must be within 0-12 semitones, got {self.transpose!r}.")
        if self.device not in ("cpu", "cuda") and not self.device.startswith("cuda:"):
            raise ValueError(f"TrainConfig.device must be 'cpu' or 'cuda', got {self.device!r}.")
        if self.device != "cpu" and not torch.cuda.is_available():  # said before any data is read
            raise SonatinaError("--device cuda was asked for, but this machine has no CUDA GPU that PyTorch can use.")


def _distributed() -> tuple[int, int]:
    """(rank, world size); joins the process group when launched by torchrun."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world > 1 and not dist.is_initialized():
        dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")
    return (dist.get_rank(), world) if world > 1 else (0, 1)


def train(dataset: Dataset, out: Path, model_config: ModelConfig, config: TrainConfig,
          tokenizer_settings: dict, card_extra: dict | None = None, resume: bool = False,
          progress: bool = True, on_epoch_end=None, init_from: Path | None = None) -> dict:
    """Train on dataset.split('train'), validate on 'validation'; returns the final card.

    init_from, if given, is a checkpoint whose weights training starts from (fine-tuning).
    on_epoch_end(out), if given, runs in rank 0 after each epoch's row of learning_curve.csv is
    written (the API draws the curve with it: plotting is analysis, a later stage than this)."""
    rank, world = _distributed()
    device = torch.device(f"cuda:{int(os.environ.get('LOCAL_RANK', 0))}" if config.device.startswith("cuda") and world > 1
                          else config.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise SonatinaError("--device cuda was asked for, but this machine has no CUDA GPU that PyTorch can use.")
    torch.manual_seed(config.seed + rank)
    out.mkdir(parents=True, exist_ok=True)
    vocab = Vocabulary(build_tokenizer(tokenizer_settings))
    genres = dataset.genres
    last_dir = out / "last"
    state = None
    if resume and (last_dir / "trainer.pt").exists():
        state = torch.load(last_dir / "trainer.pt", map_location="cpu", weights_only=False)
        genres = state["genres"]
        model_config = ModelConfig.from_dict(state["model_config"])
        unknown = set(dataset.genres) - set(genres)
        if unknown:
            raise SonatinaError(f"Cannot resume: genres {sorted(unknown)} were not in the original run.")
    model_config.vocab_size = vocab.size
    model_config.num_genres = len(genres)
    genre_index = {g: i for i, g in enumerate(genres)}

    model = MusicLSTM(model_config)
    if init_from and not state:
        warm_start(model, genres, init_from)
    model = model.to(device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.learning_rate, weight_decay=config.weight_decay)
    if state:
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
    net = torch.nn.parallel.DistributedDataParallel(model) if world > 1 else model

    train_pieces, val_pieces = dataset.split("train"), interleave_by_genre(dataset.split("validation"))
    if not train_pieces:
        raise SonatinaError("No piece landed in the training split; give more music.")
    sampler = BatchSampler(train_pieces, vocab, genre_index, config.seq_len, config.batch_size,
                           config.transpose, seed=config.seed * 1000 + rank + (state["epoch"] if state else 0))
    train_tokens = sum(len(p.ids) + 2 for p in train_pieces)
    steps_per_epoch = config.steps_per_epoch or max(MIN_STEPS_PER_EPOCH,
                                                    math.ceil(train_tokens / (config.batch_size * config.seq_len * world)))
    # Steps the learning rate decays over: the epochs asked for, or (time-limited) an estimate
    # from the speed so far, renewed every PLAN_EVERY_STEPS steps, shared by rank 0 so all agree.
    total_steps = steps_per_epoch * config.epochs if config.epochs else None
    planned = total_steps

    epoch, step, tokens_seen = (state["epoch"], state["step"], state["tokens_seen"]) if state else (0, 0, 0)
    epochs_done = state.get("epochs_done", epoch) if state else 0.0  # epoch counts passes; this, training done
    best, bad_epochs = (state["best"], state["bad_epochs"]) if state else (float("inf"), 0)
    elapsed_before = state["elapsed_s"] if state else 0.0
    started = time.monotonic()
    deadline = started + config.max_minutes * 60 if config.max_minutes else None
    card, best_weights = {}, None
    stop = False
    curve_path = out / "learning_curve.csv"
    if rank == 0 and not (state and curve_path.exists()):
        with open(curve_path, "w", newline="") as fh:
            csv.writer(fh).writerow(CURVE_FIELDS)

    budget_s = config.max_minutes * 60 if config.max_minutes else None  # this session's (a resume gets it anew)
    first_step = step
    while (config.epochs is None or epoch < config.epochs) and not stop:
        net.train()
        losses = []
        # disable=None: tqdm hides the bar when stderr is not a terminal (a piped log gets no \r floods)
        bar = tqdm(range(steps_per_epoch), desc=f"epoch {epoch + 1}/{config.epochs or '-'}", unit="step",
                   disable=None if progress and rank == 0 else True, leave=False)
        for _ in bar:
            x, y, g, m = (torch.from_numpy(a).to(device) for a in sampler())
            if total_steps is None and (step - first_step) % PLAN_EVERY_STEPS == 0:
                planned = _planned_steps(first_step, step, time.monotonic() - started, budget_s, world)
            logits, _ = net(x, g, m)
            loss = descend(optimizer, net.parameters(),
                           F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1), ignore_index=vocab.pad),
                           cosine_rate(config.learning_rate, step, planned), config.grad_clip)
            losses.append(loss)
            step += 1
            tokens_seen += int((y != vocab.pad).sum()) * world
            bar.set_postfix(loss=f"{loss:.3f}")
            if deadline and _agree(time.monotonic() > deadline, world):
                stop = True
                break
        epoch += 1
        epochs_done += len(losses) / steps_per_epoch
        shown = _epochs(epochs_done)
        elapsed = elapsed_before + time.monotonic() - started
        improved = False
        if rank == 0:
            val = likelihood(model, val_pieces, lambda p: genre_index[p.genre], vocab, device, config.val_max_tokens)
            row = [shown, step, tokens_seen, round(elapsed, 1), float(np.mean(losses)) if losses else float("nan"),
                   val.loss, val.bits_per_token, val.bits_per_note]
            with open(curve_path, "a", newline="") as fh:
                csv.writer(fh).writerow(row)
            improved = val.loss < best
            if improved:
                best = val.loss
                best_weights = {k: v.detach().clone() for k, v in model.state_dict().items()}
                card = _card(genres, dataset, tokenizer_settings, val, shown, step, tokens_seen, elapsed,
                             config, model, world, card_extra)
                save_checkpoint(model, out, card)
                write_card(out)
            if on_epoch_end:
                on_epoch_end(out)
            last_dir.mkdir(exist_ok=True)
            torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": epoch,
                        "epochs_done": epochs_done, "step": step, "tokens_seen": tokens_seen, "elapsed_s": elapsed,
                        "best": best,
                        "bad_epochs": 0 if improved else bad_epochs + 1, "genres": genres,
                        "model_config": asdict(model_config)}, last_dir / "trainer.pt")
            if progress:
                partial = "" if len(losses) == steps_per_epoch else \
                    f" (time limit: {len(losses)} of {steps_per_epoch} steps)"
                tqdm.write(f"epoch {shown}{partial}: train loss {row[4]:.3f}, "
                           f"validation {val.bits_per_note:.3f} bits/note"
                           f"{' (best)' if improved else ''}, {elapsed / 60:.1f} min")
        bad_epochs = 0 if _agree(improved, world) else bad_epochs + 1
        if _agree(bad_epochs >= config.patience, world):
            stop = True
    if world > 1:
        dist.barrier()
    if rank == 0 and not card:
        card = json.loads((out / CARD_FILE).read_text())
    if rank == 0 and best_weights is not None:  # the best weights scored on every held-out piece, per genre
        model.load_state_dict(best_weights)
        card["held_out"] = held_out_by_genre(model, dataset, genre_index, vocab, device)
        save_checkpoint(model, out, card)
        write_card(out)
    return card


def _planned_steps(first_step: int, step: int, elapsed_s: float, budget_s: float, world: int) -> float:
    """Time-limited training: the step count this session's budget will reach at its speed so far
    (validation included; rank 0's estimate for every process). Before any step: no decay yet."""
    if step == first_step or elapsed_s <= 0:
        estimate = math.inf
    else:
        estimate = first_step + (step - first_step) * budget_s / elapsed_s
    if world > 1:
        t = torch.tensor([estimate], dtype=torch.float64)
        dist.broadcast(t, src=0)
        estimate = float(t.item())
    return max(estimate, step + 1)


def _epochs(done: float) -> int | float:
    """Epochs of training as the curve and card show them: 12 for whole ones, 12.004 for a partial."""
    return round(done) if abs(done - round(done)) < 1e-9 else round(done, 3)


def _agree(flag: bool, world: int) -> bool:
    """Rank 0's decision, shared with every process so they stop together."""
    if world == 1:
        return flag
    t = torch.tensor([1 if flag else 0])
    dist.broadcast(t, src=0)
    return bool(t.item())


def _card(genres, dataset, tokenizer_settings, val, epoch, step, tokens_seen, elapsed, config, model, world,
          extra) -> dict:
    return {
        "genres": genres,
        "genre_stats": dataset.genre_stats("tokens", lambda p: len(p.ids)),
        "tokenizer": tokenizer_settings,
        "data": {**dataset.summary(), **(extra or {}).get("data", {})},
        "validation": {**val.as_dict(), "epoch": epoch},
        "training": {"epochs": epoch, "steps": step, "tokens_seen": tokens_seen, "minutes": round(elapsed / 60, 2),
                     "processes": world, "parameters": model.num_parameters(), "config": asdict(config)},
        **{k: v for k, v in (extra or {}).items() if k != "data"},
    }
