"""The LSTM language model, its config and presets, and self-describing checkpoints.

A checkpoint is a folder with model.safetensors (weights, stored as float16 to keep shipped
models small) and model.json (model config, tokenizer settings, genres with their typical
tempo and modes, a summary of the data, the validation score). Nothing else is needed to
generate from it.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import load_file, save_file
from torch import nn

from sonatina.errors import BadInputError, UnknownOptionError

WEIGHTS_FILE = "model.safetensors"
CARD_FILE = "model.json"
FORMAT_VERSION = 1


@dataclass
class ModelConfig:
    vocab_size: int = 267  # tokens the model reads and writes (set from the tokenizer)
    num_genres: int = 1  # genre conditioning: one learned embedding per genre
    num_modes: int = 2  # major / minor conditioning
    embed_dim: int = 256  # token embedding width (genre and mode embeddings are added to it)
    hidden_size: int = 512  # LSTM state width
    num_layers: int = 2  # stacked LSTM layers
    dropout: float = 0.1  # between layers and before the output head (training only)

    def __post_init__(self):
        for name in ("vocab_size", "num_genres", "num_modes", "embed_dim", "hidden_size", "num_layers"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"ModelConfig.{name} must be a positive integer, got {value!r}.")
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"ModelConfig.dropout must be in [0, 1), got {self.dropout!r}.")

    @classmethod
    def from_dict(cls, d: dict) -> "ModelConfig":
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in known})


# Named sizes; `sonatina train --preset NAME` picks one, other flags override fields.
PRESETS = {
    "tiny": ModelConfig(embed_dim=32, hidden_size=64, num_layers=1, dropout=0.0),  # tests, smoke runs
    "small": ModelConfig(embed_dim=128, hidden_size=256, num_layers=2, dropout=0.1),  # ~1M params, CPU
    "medium": ModelConfig(embed_dim=256, hidden_size=512, num_layers=2, dropout=0.15),  # ~4M params
    "large": ModelConfig(embed_dim=384, hidden_size=1024, num_layers=3, dropout=0.2),  # ~23M params, GPU
}


def preset(name: str) -> ModelConfig:
    if name not in PRESETS:
        raise UnknownOptionError(f"Unknown preset '{name}'; choose one of {', '.join(PRESETS)}.")
    return ModelConfig(**asdict(PRESETS[name]))


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


def checkpoint_folder(path: Path) -> Path:
    """A checkpoint folder, or the folder of a given model.safetensors / model.json file."""
    folder = path.parent if path.is_file() else path
    if not (folder / CARD_FILE).is_file() or not (folder / WEIGHTS_FILE).is_file():
        raise BadInputError(f"'{path}' is not a Sonatina checkpoint (no {CARD_FILE} and {WEIGHTS_FILE} there).")
    return folder


def load_checkpoint(path: Path, device: str = "cpu") -> tuple[MusicLSTM, dict]:
    folder = checkpoint_folder(path)
    try:
        card = json.loads((folder / CARD_FILE).read_text())
        model = MusicLSTM(ModelConfig.from_dict(card["model_config"]))
        weights = load_file(str(folder / WEIGHTS_FILE))
        model.load_state_dict({k: v.float() for k, v in weights.items()})
    except (KeyError, ValueError, RuntimeError, OSError) as exc:
        raise BadInputError(f"The checkpoint in '{folder}' is damaged or from another program ({exc}).") from None
    model.to(device).eval()
    return model, card


class NumpyStepper:
    """The same network as MusicLSTM, one token at a time, in NumPy.

    Composing calls the network thousands of times on a single token; torch's per-call
    overhead (and its thread pool) then dominates, measured at 4 ms per step under load
    against ~0.1 ms here. tests/test_core_library.py checks it agrees with MusicLSTM.forward.
    """

    def __init__(self, model: MusicLSTM):
        sd = {k: v.detach().float().cpu().numpy() for k, v in model.state_dict().items()}
        self.embed, self.genre_embed, self.mode_embed = sd["embed.weight"], sd["genre_embed.weight"], sd["mode_embed.weight"]
        self.layers = [(sd[f"lstm.weight_ih_l{i}"].T.copy(), sd[f"lstm.weight_hh_l{i}"].T.copy(),
                        sd[f"lstm.bias_ih_l{i}"] + sd[f"lstm.bias_hh_l{i}"]) for i in range(model.config.num_layers)]
        self.head_w, self.head_b = sd["head.weight"].T.copy(), sd["head.bias"]
        self.hidden = model.config.hidden_size

    def initial_state(self, batch: int):
        zeros = np.zeros((batch, self.hidden), dtype=np.float32)
        return [(zeros.copy(), zeros.copy()) for _ in self.layers]

    def state_from_torch(self, state):
        h, c = state
        return [(h[i].numpy().copy(), c[i].numpy().copy()) for i in range(len(self.layers))]

    def step(self, tokens, genre, mode, state):
        """tokens, genre, mode: int arrays [B] -> logits [B, V], new state."""
        x = self.embed[tokens] + self.genre_embed[genre] + self.mode_embed[mode]
        new_state = []
        H = self.hidden
        for (w_ih, w_hh, b), (h, c) in zip(self.layers, state):
            gates = x @ w_ih + h @ w_hh + b
            i, f = _sigmoid(gates[:, :H]), _sigmoid(gates[:, H:2 * H])
            g, o = np.tanh(gates[:, 2 * H:3 * H]), _sigmoid(gates[:, 3 * H:])
            c = f * c + i * g
            h = o * np.tanh(c)
            new_state.append((h, c))
            x = h
        return x @ self.head_w + self.head_b, new_state


def _sigmoid(x):
    return 0.5 * (np.tanh(0.5 * x) + 1.0)
