"""Loudness measurement and normalisation of rendered audio.

Loudness follows ITU-R BS.1770-4 (the LUFS used by EBU R128 and streaming services):
K-weighting (a +4 dB high shelf above ~1.7 kHz, then a ~38 Hz high-pass), mean square in
400 ms blocks overlapping by 75 %, an absolute gate at -70 LUFS and a relative gate 10 LU
below the mean of the blocks that pass it. The K-weighting biquads are derived from their
analogue corner, Q and gain (the parameters that reproduce the standard's 48 kHz table), so
any sample rate works.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import signal

# Streaming services play back around -14 to -16 LUFS; -16 leaves room for the peak ceiling.
TARGET_LUFS = -16.0
# No sample may reach full scale: MP3 decoding and cheap DACs clip otherwise.
PEAK_CEILING_DBFS = -1.0


def _k_weighting(sample_rate: int) -> np.ndarray:
    """The two K-weighting biquads (scipy sos rows) for any sample rate.

    Both are analogue second-order sections mapped with the bilinear transform (prewarped at
    their corner): the shelf passes DC at unity and lifts highs by ~4 dB, with its mid term
    scaled by Vh**0.5 so the knee matches the standard; the high-pass keeps the standard's
    unnormalised [1, -2, 1] numerator.
    """
    def section(fc: float, q: float, hi: float, mid: float, lo: float) -> list[float]:
        k = math.tan(math.pi * fc / sample_rate)
        a0 = 1 + k / q + k * k
        return [(hi + mid * k / q + lo * k * k) / a0, 2 * (lo * k * k - hi) / a0, (hi - mid * k / q + lo * k * k) / a0,
                1.0, 2 * (k * k - 1) / a0, (1 - k / q + k * k) / a0]

    vh = 10 ** (3.999843853973347 / 20)
    shelf = section(1681.974450955533, 0.7071752369554196, vh, vh**0.4996667741545416, 1.0)
    k = math.tan(math.pi * 38.13547087602444 / sample_rate)
    q = 0.5003270373238773
    a0 = 1 + k / q + k * k
    highpass = [1.0, -2.0, 1.0, 1.0, 2 * (k * k - 1) / a0, (1 - k / q + k * k) / a0]
    return np.array([shelf, highpass])


def integrated_loudness(samples: np.ndarray, sample_rate: int) -> float:
    """BS.1770 integrated loudness in LUFS of (frames, channels) audio; -inf when silent."""
    x = np.asarray(samples, dtype=np.float32)
    if x.ndim == 1:
        x = x[:, None]
    hop = max(1, round(0.1 * sample_rate))
    weighted = signal.sosfilt(_k_weighting(sample_rate).astype(np.float32), x, axis=0)
    # Energy per 100 ms step, then 400 ms blocks = 4 consecutive steps (75 % overlap).
    # A clip shorter than one block is measured as a single block.
    n_steps = len(x) // hop
    if n_steps >= 4:
        steps = np.square(weighted[:n_steps * hop], dtype=np.float64).reshape(n_steps, hop, -1).sum(axis=(1, 2))
        power = (steps[:-3] + steps[1:-2] + steps[2:-1] + steps[3:]) / (4 * hop)  # channel weights are 1 (L, R)
    else:
        power = np.array([np.square(weighted, dtype=np.float64).sum() / max(len(x), 1)])
    with np.errstate(divide="ignore"):
        lufs = -0.691 + 10 * np.log10(power)
    kept = power[lufs > -70.0]
    if kept.size == 0:
        return float("-inf")
    relative_gate = -0.691 + 10 * math.log10(kept.mean()) - 10.0
    kept = power[(lufs > -70.0) & (lufs > relative_gate)]
    return float(-0.691 + 10 * math.log10(kept.mean()))


def peak_dbfs(samples: np.ndarray) -> float:
    """Sample peak in dB relative to full scale; -inf for silence."""
    peak = max(float(np.max(samples)), -float(np.min(samples))) if np.size(samples) else 0.0
    return 20 * math.log10(peak) if peak > 0 else float("-inf")


def normalise(samples: np.ndarray, sample_rate: int, *, target_lufs: float = TARGET_LUFS,
              ceiling_dbfs: float = PEAK_CEILING_DBFS) -> tuple[np.ndarray, dict]:
    """Scale audio to the target loudness, lowered as needed so the peak stays under the ceiling.

    A plain gain (no limiter), so dynamics are untouched; quiet, spiky music (solo piano)
    ends up below the loudness target rather than being squashed.
    Returns the scaled float32 audio and {"gain_db", "loudness_lufs", "peak_dbfs"} after scaling.
    """
    loudness, peak = integrated_loudness(samples, sample_rate), peak_dbfs(samples)
    if not math.isfinite(peak):
        return samples.astype(np.float32), {"gain_db": 0.0, "loudness_lufs": loudness, "peak_dbfs": peak}
    gain_db = ceiling_dbfs - peak
    if math.isfinite(loudness):
        gain_db = min(gain_db, target_lufs - loudness)
    out = (samples * 10 ** (gain_db / 20)).astype(np.float32)
    return out, {"gain_db": round(gain_db, 2), "loudness_lufs": round(loudness + gain_db, 2), "peak_dbfs": round(peak_dbfs(out), 2)}
