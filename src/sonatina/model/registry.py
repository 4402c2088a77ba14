"""Finding and loading models: shipped ones by name, checkpoints and run folders by path."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from pathlib import Path

import miditok
import torch

from sonatina.errors import UnknownOptionError
from sonatina.model.lstm import CARD_FILE, MusicLSTM, checkpoint_folder, load_checkpoint
from sonatina.data.tokens import Vocabulary, build_tokenizer

PRETRAINED_DIR = Path(__file__).parent.parent / "pretrained"
DEFAULT_MODEL = "default"


@dataclass
class LoadedModel:
    name: str
    folder: Path
    net: MusicLSTM
    card: dict
    tokenizer: miditok.REMI
    vocab: Vocabulary

    @property
    def genres(self) -> list[str]:
        return list(self.card["genres"])

    @property
    def default_genre(self) -> str:
        """The genre the model learned most music of (by tokens; by pieces in older cards)."""
        stats = self.card.get("genre_stats", {})
        return max(self.genres, key=lambda g: (stats.get(g, {}).get("tokens", 0), stats.get(g, {}).get("pieces", 0)))


_cache: dict[tuple[str, float], LoadedModel] = {}
_lock = threading.Lock()


def shipped_models() -> list[Path]:
    return sorted(p for p in PRETRAINED_DIR.iterdir() if (p / CARD_FILE).is_file()) if PRETRAINED_DIR.is_dir() else []


def resolve_model_path(name_or_path: str | Path) -> tuple[str, Path]:
    """A shipped model's name, a checkpoint file, or a run folder -> (display name, checkpoint folder)."""
    text = str(name_or_path or DEFAULT_MODEL)
    if "/" not in text and (PRETRAINED_DIR / text / CARD_FILE).is_file():
        return text, PRETRAINED_DIR / text
    path = Path(text).expanduser()
    if path.exists():
        folder = checkpoint_folder(path)
        return folder.name, folder
    names = ", ".join(p.name for p in shipped_models()) or "none are installed"
    raise UnknownOptionError(f"No model '{text}': give a shipped model ({names}), a checkpoint file or a run folder.")


def load_model(name_or_path: str | Path = DEFAULT_MODEL) -> LoadedModel:
    """Load (once per file version) and return a model ready to compose on the CPU."""
    name, folder = resolve_model_path(name_or_path)
    stamp = (str(folder.resolve()), (folder / CARD_FILE).stat().st_mtime)
    with _lock:
        if stamp not in _cache:
            net, card = load_checkpoint(folder)
            tokenizer = build_tokenizer(card.get("tokenizer"))
            _cache[stamp] = LoadedModel(name, folder, net, card, tokenizer, Vocabulary(tokenizer))
        return _cache[stamp]


def list_models() -> list[dict]:
    rows = []
    for folder in shipped_models():
        card = json.loads((folder / CARD_FILE).read_text())
        rows.append({
            "name": folder.name, "path": str(folder), "genres": card.get("genres", []),
            "description": card.get("description", ""),
            "bits_per_note": card.get("validation", {}).get("bits_per_note"),
        })
    return rows
