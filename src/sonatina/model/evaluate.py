"""Held-out likelihood: how many bits a model needs per note (and per token) of given music.

Each piece is framed BOS ... EOS and scored from its first token with the LSTM state carried
across chunks, so the number is the model's true negative log-likelihood of the whole piece.
Bits per note = total bits of every token of the piece / number of notes in it, which lets
models with different tokenizations be compared on the same music.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from scipy.special import logsumexp
from tqdm import tqdm

from sonatina.data.dataset import TokenizedPiece, mode_index

CHUNK = 1024


@dataclass
class Likelihood:
    nats: float = 0.0
    pitch_nats: float = 0.0  # the Pitch tokens' part, each renormalised over pitches (see _piece_nats)
    tokens: int = 0
    notes: int = 0
    pieces: int = 0

    @property
    def bits_per_token(self) -> float:
        return self.nats / math.log(2) / self.tokens if self.tokens else float("nan")

    @property
    def bits_per_note(self) -> float:
        return self.nats / math.log(2) / self.notes if self.notes else float("nan")

    @property
    def loss(self) -> float:
        return self.nats / self.tokens if self.tokens else float("nan")

    def as_dict(self) -> dict:
        pitch = self.pitch_nats / math.log(2) / self.notes if self.notes else float("nan")
        return {"bits_per_note": self.bits_per_note, "bits_per_note_pitch": pitch, "bits_per_token": self.bits_per_token,
                "nats_per_token": self.loss, "tokens": self.tokens, "notes": self.notes, "pieces": self.pieces}


def _piece_nats(model, seq, genre: int, mode: int, device, pitch_ids=None) -> tuple[float, float]:
    """Negative log-likelihood (nats) of one framed token sequence, state carried across chunks,
    and its pitch part: at each Pitch token, -log p(this pitch | a pitch comes here), the model's
    distribution renormalised over the Pitch tokens, so timing (the choice of a note now rather
    than a later position) is left out and the number compares with the seed designs' pitch bits."""
    genre_t, mode_t = torch.tensor([genre], device=device), torch.tensor([mode], device=device)
    state, nats, pitch_nats = None, 0.0, 0.0
    for start in range(0, len(seq) - 1, CHUNK):
        y = seq[start + 1:start + CHUNK + 1].unsqueeze(0)
        x = seq[start:start + y.shape[1]].unsqueeze(0)
        logits, state = model(x, genre_t, mode_t, state)
        nats += F.cross_entropy(logits[0], y[0], reduction="sum").item()
        if pitch_ids is not None:
            at_pitch = torch.isin(y[0], pitch_ids)
            pitch_logits = logits[0][at_pitch][:, pitch_ids]
            targets = torch.searchsorted(pitch_ids, y[0][at_pitch])
            pitch_nats += F.cross_entropy(pitch_logits, targets, reduction="sum").item() if len(targets) else 0.0
    return nats, pitch_nats


@torch.no_grad()
def likelihood(model, pieces: list[TokenizedPiece], genre_of, vocab, device="cpu",
               max_tokens: int | None = None, progress: bool = False) -> Likelihood:
    """Sum of NLL over pieces (stops after max_tokens scored tokens, always whole pieces).

    genre_of(piece) gives the genre index to condition on, or None when the piece's genre is
    unknown: the piece is then scored under the model's genre mixture with a uniform prior,
    -log(1/G * sum_g p(piece | g)), which is its likelihood under the model as a whole.
    progress: a bar on stderr (a terminal only, as training's) counting one step per piece per
    genre it is scored under, so a mixture's G passes over each piece are seen to move.
    """
    model.eval()
    total = Likelihood()
    pitch_ids = torch.as_tensor(np.sort(vocab.pitch_ids), dtype=torch.long, device=device)
    genres = [genre_of(piece) for piece in pieces]
    mixed = sum(g is None for g in genres)
    desc = (f"scoring {mixed} piece{'s' * (mixed > 1)} under each of the model's {model.config.num_genres} genres"
            if mixed else "scoring")
    bar = tqdm(total=len(pieces) + mixed * (model.config.num_genres - 1), desc=desc, unit="pass",
               disable=None if progress else True, leave=False)  # None: off unless stderr is a terminal
    for piece, genre in zip(pieces, genres):
        seq = torch.tensor(np.concatenate([[vocab.bos], piece.ids, [vocab.eos]]), dtype=torch.long, device=device)
        mode = mode_index(piece.mode)
        if genre is None:  # pitch bits: under the genre that explains the piece best
            per_genre = []
            for g in range(model.config.num_genres):
                per_genre.append(_piece_nats(model, seq, g, mode, device, pitch_ids))
                bar.update()
            per_genre = np.array(per_genre)
            total.nats += float(-(logsumexp(-per_genre[:, 0]) - math.log(len(per_genre))))
            total.pitch_nats += float(per_genre[np.argmin(per_genre[:, 0]), 1])
        else:
            nats, pitch_nats = _piece_nats(model, seq, genre, mode, device, pitch_ids)
            total.nats += nats
            total.pitch_nats += pitch_nats
            bar.update()
        total.tokens += len(seq) - 1
        total.notes += piece.notes
        total.pieces += 1
        if max_tokens and total.tokens >= max_tokens:
            break
    bar.close()
    return total


def held_out_by_genre(model, dataset, genre_index: dict[str, int], vocab, device="cpu") -> dict:
    """{split: {genre: likelihood numbers}} on every validation and test piece of each genre, so a
    model card reports each genre's held-out bits per note and not only a mixed figure."""
    out = {}
    for split in ("validation", "test"):
        for genre, index in genre_index.items():
            pieces = [p for p in dataset.split(split) if p.genre == genre]
            if pieces:
                out.setdefault(split, {})[genre] = likelihood(model, pieces, lambda p: index, vocab, device).as_dict()
    return out
