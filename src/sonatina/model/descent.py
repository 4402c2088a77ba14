"""The step every trainer takes (the REMI LSTM and the seed designs alike): the learning rate on
a cosine from its start down to a tenth, and one optimiser step with the gradients clipped."""

from __future__ import annotations

import math

import torch


def cosine_rate(base: float, step: int, total: int) -> float:
    """The learning rate at `step` of `total`: `base` eased down half a cosine to a tenth of it, held
    there after `total` (a time-limited run may outlast its plan)."""
    return base * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(step / total, 1.0))))


def descend(optimizer, parameters, loss: torch.Tensor, rate: float, grad_clip: float) -> float:
    """One optimiser step down `loss` at learning rate `rate`, the gradients of `parameters` clipped to
    norm `grad_clip`; returns the loss's value."""
    for group in optimizer.param_groups:
        group["lr"] = rate
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(parameters, grad_clip)
    optimizer.step()
    return loss.item()
