"""Train a network from a spec and report each finished epoch."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import keras
import numpy as np

from models.builder import build_network, build_optimizer
from models.datasets import Dataset
from models.spec import TrainingSpec

EPOCH_KEYS = ("loss", "accuracy", "val_loss", "val_accuracy")


@dataclass
class TrainingResult:
    """The trained network, its per-epoch history and its test-split metrics."""

    network: keras.Model
    history: list[dict[str, Any]] = field(default_factory=list)
    test_metrics: dict[str, float] = field(default_factory=dict)


class _EpochReporter(keras.callbacks.Callback):
    """Times each epoch and hands its metrics to ``on_epoch``."""

    def __init__(self, epochs: int, on_epoch: Callable[[dict[str, Any]], None] | None):
        super().__init__()
        self.epochs = epochs
        self.on_epoch = on_epoch
        self.history: list[dict[str, Any]] = []
        self._started = 0.0

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self._started = time.perf_counter()

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        logs = logs or {}
        entry: dict[str, Any] = {"epoch": epoch + 1}
        for key in EPOCH_KEYS:
            entry[key] = float(logs[key]) if key in logs else None
        entry["seconds"] = round(time.perf_counter() - self._started, 4)
        self.history.append(entry)
        if self.on_epoch is not None:
            self.on_epoch(entry)


def split_validation(
    x: np.ndarray, y: np.ndarray, fraction: float, seed: int
) -> tuple[np.ndarray, np.ndarray, tuple[np.ndarray, np.ndarray] | None]:
    """Hold out a seeded random ``fraction`` of the rows for validation."""
    if fraction <= 0:
        return x, y, None
    order = np.random.default_rng(seed).permutation(len(x))
    n_val = max(1, int(round(len(x) * fraction)))
    val, train = order[:n_val], order[n_val:]
    return x[train], y[train], (x[val], y[val])


def train(
    spec: TrainingSpec,
    dataset: Dataset,
    on_epoch: Callable[[dict[str, Any]], None] | None = None,
) -> TrainingResult:
    """Build, compile and train the network of ``spec`` on ``dataset``.

    Args:
        spec: the training spec.
        dataset: the data set; its test split is evaluated once training ends.
        on_epoch: called after every finished epoch with that epoch's entry
            (``epoch``, ``loss``, ``accuracy``, ``val_loss``, ``val_accuracy``, ``seconds``).

    Returns:
        A ``TrainingResult`` with the network, the history and the test metrics.
    """
    network = build_network(spec, dataset.n_features, dataset.n_classes, dataset.feature_scale)
    network.compile(
        optimizer=build_optimizer(spec),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    x, y, validation = split_validation(
        dataset.x_train, dataset.y_train, spec.validation_split, spec.seed
    )
    reporter = _EpochReporter(spec.epochs, on_epoch)
    network.fit(
        x,
        y,
        batch_size=spec.batch_size,
        epochs=spec.epochs,
        validation_data=validation,
        callbacks=[reporter],
        verbose=0,
    )
    scores = network.evaluate(
        dataset.x_test, dataset.y_test, batch_size=1024, verbose=0, return_dict=True
    )
    test_metrics = {"test_loss": float(scores["loss"]), "test_accuracy": float(scores["accuracy"])}
    return TrainingResult(network, reporter.history, test_metrics)
