"""The LSTM language model as a torch module (training, likelihood) and the checkpoint writer.

Only training and evaluation import this (and so torch); composing runs the same network
from the checkpoint in NumPy (stepper.py), and config, presets and reading live in checkpoint.py.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import save_file
from torch import nn

from sonatina.model.checkpoint import CARD_FILE, FORMAT_VERSION, WEIGHTS_FILE, ModelConfig, damaged, read_checkpoint


class MusicLSTM(nn.Module):
    def __init__(self, config: ModelConfig):
        super().__init__()
        self.config = config
        self.embed = nn.Embedding(config.vocab_size, config.embed_dim)
        self.genre_embed = nn.Embedding(config.num_genres, config.embed_dim)
        self.mode_embed = nn.Embedding(config.num_modes, config.embed_dim)
        self.lstm = nn.LSTM(config.embed_dim, config.hidden_size, config.num_layers, batch_first=True,
                            dropout=config.dropout if config.num_layers > 1 else 0.0)
        self.drop = nn.Dropout(config.dropout)
        self.head = nn.Linear(config.hidden_size, config.vocab_size)

    def forward(self, tokens, genre, mode, state=None):
        """tokens [B, T], genre [B], mode [B] -> logits [B, T, V], new (h, c) state."""
        x = self.embed(tokens) + (self.genre_embed(genre) + self.mode_embed(mode)).unsqueeze(1)
        out, state = self.lstm(self.drop(x), state)
        return self.head(self.drop(out)), state

    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())

    def numpy_weights(self) -> dict[str, np.ndarray]:
        """float32 copies by state-dict name, what stepper.NumpyStepper takes."""
        return {k: v.detach().float().cpu().numpy().copy() for k, v in self.state_dict().items()}


def save_checkpoint(model: MusicLSTM, folder: Path, card: dict) -> None:
    """Write weights (float16) and the JSON card atomically enough for a reader mid-training."""
    folder.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().to("cpu", torch.float16).contiguous() for k, v in model.state_dict().items()}
    tmp = folder / (WEIGHTS_FILE + ".tmp")
    save_file(state, str(tmp))
    tmp.replace(folder / WEIGHTS_FILE)
    full = {"format": FORMAT_VERSION, "model_config": asdict(model.config), **card}
    tmp = folder / (CARD_FILE + ".tmp")
    tmp.write_text(json.dumps(full, indent=2))
    tmp.replace(folder / CARD_FILE)


def warm_start(model: MusicLSTM, genres: list[str], path: Path) -> None:
    """Start training from another checkpoint's weights (fine-tuning a shipped model on new
    music). Genres it knew keep their embedding; a new genre starts from the mean of the known
    ones, a neutral point the new music then moves."""
    config, weights, card = read_checkpoint(path)
    old_genres = card.get("genres", [])
    own = model.config
    if (config.vocab_size, config.embed_dim, config.hidden_size, config.num_layers) != \
            (own.vocab_size, own.embed_dim, own.hidden_size, own.num_layers):
        raise damaged(Path(path), ValueError("its network or vocabulary differs from this run's"))
    table = weights["genre_embed.weight"]
    weights["genre_embed.weight"] = np.stack([
        table[old_genres.index(g)] if g in old_genres else table.mean(axis=0) for g in genres])
    model.load_state_dict({k: torch.from_numpy(v) for k, v in weights.items()})


def load_checkpoint(path: Path, device: str = "cpu") -> tuple[MusicLSTM, dict]:
    config, weights, card = read_checkpoint(path)
    try:
        model = MusicLSTM(config)
        model.load_state_dict({k: torch.from_numpy(v) for k, v in weights.items()})
    except (KeyError, ValueError, RuntimeError) as exc:
        raise damaged(Path(path), exc) from None
    model.to(device).eval()
    return model, card
