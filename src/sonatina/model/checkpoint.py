"""Model sizes and self-describing checkpoints, readable without torch.

A checkpoint is a folder with model.safetensors (weights, stored as float16 to keep shipped
models small) and model.json (model config, tokenizer settings, genres with their typical
tempo and modes, a summary of the data, the validation score). Nothing else is needed to
generate from it. Composing reads the weights straight into NumPy (see stepper.py), so
nothing here imports torch; the torch module and the writer live in lstm.py.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import numpy as np

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


def checkpoint_folder(path: Path) -> Path:
    """A checkpoint folder, or the folder of a given model.safetensors / model.json file."""
    folder = path.parent if path.is_file() else path
    if not (folder / CARD_FILE).is_file() or not (folder / WEIGHTS_FILE).is_file():
        raise BadInputError(f"'{path}' is not a Sonatina checkpoint (no {CARD_FILE} and {WEIGHTS_FILE} there).")
    return folder


def damaged(folder: Path, exc: Exception) -> BadInputError:
    return BadInputError(f"The checkpoint in '{folder}' is damaged or from another program ({exc}).")


def read_checkpoint(path: Path) -> tuple[ModelConfig, dict[str, np.ndarray], dict]:
    """(config, float32 weights by torch state-dict name, card) of a checkpoint, without torch."""
    from safetensors import SafetensorError
    from safetensors.numpy import load_file

    folder = checkpoint_folder(path)
    try:
        card = json.loads((folder / CARD_FILE).read_text())
        config = ModelConfig.from_dict(card["model_config"])
        weights = {k: v.astype(np.float32) for k, v in load_file(str(folder / WEIGHTS_FILE)).items()}
    except (KeyError, TypeError, ValueError, OSError, SafetensorError) as exc:
        raise damaged(folder, exc) from None
    return config, weights, card
