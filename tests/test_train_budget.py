"""Training uses the minutes it is given, and validates on enough music to mean something."""

from __future__ import annotations

import csv

import numpy as np
import pytest

from helpers import one_second_per_batch
from sonatina import api
from sonatina.data.dataset import (MAX_VALIDATION_SHARE, MIN_VALIDATION_PIECES, Dataset, TokenizedPiece,
                                   ensure_validation)
from sonatina.errors import EmptyDatasetError


def fake_dataset(n: int, tokens: int = 5000, validation: int = 0) -> Dataset:
    return Dataset([TokenizedPiece(f"set/{i}.mid", "pop", "validation" if i < validation else "train",
                                   np.zeros(tokens, np.int32), "major", 0, 120.0, tokens // 4) for i in range(n)])


def test_max_minutes_without_epochs_trains_past_the_old_cap(tiny_corpus, tmp_path, monkeypatch):
    """One simulated second per batch, 1-step epochs, 25 s: 25 epochs, not the 20 of --epochs' default."""
    one_second_per_batch(monkeypatch)
    card = api.train([str(tiny_corpus)], tmp_path, preset="tiny", steps_per_epoch=1, batch_size=2, seq_len=16,
                     max_minutes=24.5 / 60, patience=1000, progress=False)
    rows = list(csv.DictReader(open(tmp_path / "learning_curve.csv")))
    assert len(rows) == 25 and card["training"]["config"]["epochs"] is None


def test_epochs_alone_still_stop_at_their_default(tiny_corpus, tmp_path):
    from sonatina.model.train import DEFAULT_EPOCHS, TrainConfig

    assert TrainConfig().epochs == DEFAULT_EPOCHS and TrainConfig(max_minutes=5).epochs is None
    assert TrainConfig(epochs=3, max_minutes=5).epochs == 3


def test_the_learning_rate_decays_over_the_time_budget():
    from sonatina.model.train import _planned_steps

    assert _planned_steps(0, 0, 0.0, 600.0, 1) == float("inf")  # nothing measured yet: no decay
    assert _planned_steps(0, 100, 60.0, 600.0, 1) == pytest.approx(1000)  # 100 steps a minute, 10 minutes
    assert _planned_steps(500, 600, 60.0, 600.0, 1) == pytest.approx(1500)  # a resumed run plans from its start


def test_a_small_collection_validates_on_at_least_five_pieces():
    data = fake_dataset(40)
    assert ensure_validation(data) == []
    assert len(data.split("validation")) == MIN_VALIDATION_PIECES and len(data.split("train")) == 35
    again = fake_dataset(40)
    ensure_validation(again)
    assert {p.name for p in again.split("validation")} == {p.name for p in data.split("validation")}  # stable


def test_a_collection_already_validating_on_enough_is_left_alone():
    data = fake_dataset(200, validation=10)
    assert ensure_validation(data) == [] and len(data.split("validation")) == 10


def test_too_little_music_gets_a_clear_warning_and_keeps_most_for_training():
    data = fake_dataset(10, tokens=3000)
    warnings = ensure_validation(data)
    assert len(data.split("validation")) == int(MAX_VALIDATION_SHARE * 10)  # 2 of 10, not 5
    assert len(warnings) == 1 and "validation holds 2 piece(s)" in warnings[0] and "at least 25 pieces" in warnings[0]
    with pytest.raises(EmptyDatasetError, match="At least two usable pieces"):
        ensure_validation(fake_dataset(1))


def test_the_cli_says_when_the_data_is_small(tiny_corpus, tmp_path):
    from click.testing import CliRunner

    from sonatina.cli import main

    result = CliRunner().invoke(main, ["train", str(tiny_corpus), "--out", str(tmp_path / "run"), "--preset", "tiny",
                                       "--epochs", "1", "--steps-per-epoch", "2", "--batch-size", "2",
                                       "--seq-len", "16"])
    assert result.exit_code == 0, result.output
    assert "Warning: The data is small: validation holds 2 piece(s)" in result.output
