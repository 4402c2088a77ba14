"""Finding and loading models: shipped ones by name, checkpoints and run folders by path.

Loading reads the weights into NumPy for composing; the torch module is built only when
something asks for `.net` (evaluation), so composing never imports torch.
"""

from __future__ import annotations

import functools
import json
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from sonatina.data.tokens import Vocabulary, build_tokenizer
from sonatina.errors import UnknownOptionError
from sonatina.model.checkpoint import CARD_FILE, WEIGHTS_FILE, checkpoint_folder
from sonatina.model.stepper import NumpyStepper

if TYPE_CHECKING:
    import miditok  # imported for real by sonatina.data.tokens, without its torch extras

PRETRAINED_DIR = Path(__file__).parent.parent / "pretrained"
DEFAULT_MODEL = "default"
CACHE_SIZE = 4  # models kept loaded (a small one is ~4 MB of float32 weights, a large one ~100 MB)


@dataclass
class LoadedModel:
    name: str
    folder: Path
    stepper: NumpyStepper  # a seed design's NumPy network (model/designs.py) when design != "remi"
    card: dict
    tokenizer: miditok.REMI | None  # None for the seed designs
    vocab: Vocabulary  # EventVocabulary (or None) for the seed designs
    _net: object = field(default=None, repr=False)
    _net_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def net(self):
        """The torch MusicLSTM (on the CPU, eval mode), loaded on first use; imports torch."""
        with self._net_lock:
            if self._net is None:
                from sonatina.model.lstm import load_checkpoint

                self._net, _ = load_checkpoint(self.folder)
            return self._net

    @property
    def design(self) -> str:
        """"remi" (the default LSTM) or a seed design's name (model/designs.py)."""
        return self.card.get("design", "remi")

    @property
    def genres(self) -> list[str]:
        return list(self.card["genres"])

    @property
    def default_genre(self) -> str:
        """The genre the model learned most music of (by tokens; by pieces in older cards)."""
        stats = self.card.get("genre_stats", {})
        return max(self.genres, key=lambda g: (stats.get(g, {}).get("tokens", 0), stats.get(g, {}).get("pieces", 0)))


_cache: OrderedDict[tuple, LoadedModel] = OrderedDict()  # least recently used first
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
    """Load (once per file version, keeping the CACHE_SIZE last used) a model ready to compose."""
    name, folder = resolve_model_path(name_or_path)
    # a training run rewrites its checkpoint in place: a new version is a new entry
    stamp = (str(folder.resolve()), (folder / CARD_FILE).stat().st_mtime_ns, (folder / WEIGHTS_FILE).stat().st_mtime_ns)
    with _lock:
        if stamp in _cache:
            _cache.move_to_end(stamp)
        else:
            if json.loads((folder / CARD_FILE).read_text()).get("design", "remi") != "remi":
                _cache[stamp] = _load_design(name, folder)
            else:
                stepper, card = NumpyStepper.from_checkpoint(folder)
                tokenizer = build_tokenizer(card.get("tokenizer"))
                _cache[stamp] = LoadedModel(name, folder, stepper, card, tokenizer, Vocabulary(tokenizer))
            while len(_cache) > CACHE_SIZE:
                _cache.popitem(last=False)
        return _cache[stamp]


def _load_design(name: str, folder: Path) -> LoadedModel:
    """A seed design: its NumPy network as the stepper, its event vocabulary (if any) as vocab."""
    from sonatina.data.events import EventVocabulary
    from sonatina.model.designs import read_design

    _, network, card = read_design(folder)
    vocab = EventVocabulary(card["events"]) if card.get("events") else None
    return LoadedModel(name, folder, network, card, None, vocab)


def describe(folder: Path, name: str | None = None) -> dict:
    """One row of `sonatina models`: name, design, genres, description, validation score."""
    card = json.loads((folder / CARD_FILE).read_text())
    val = card.get("validation", {})
    return {"name": name or folder.name, "path": str(folder), "design": card.get("design", "remi"),
            "genres": card.get("genres", []), "description": card.get("description", ""),
            "bits_per_note": val.get("bits_per_note"), "bits_per_note_pitch": val.get("bits_per_note_pitch")}


def list_models() -> list[dict]:
    return [describe(folder) for folder in shipped_models()]


@functools.cache
def drum_model():
    """The shipped groove model (pretrained/drums), loaded once."""
    from sonatina.model.drums import DrumModel

    return DrumModel.load(PRETRAINED_DIR / "drums")


@functools.cache
def genre_classifier():
    """The shipped genre classifier (pretrained/genre_classifier.json), loaded once."""
    from sonatina.model.classify import GenreClassifier

    return GenreClassifier.load(PRETRAINED_DIR / "genre_classifier.json")
