"""Train a network from a spec and report each finished epoch."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import keras
import numpy as np

from models.builder import build_network, build_optimizer
from models.datasets import Dataset
from models.diagnostics import GradientHealth, GradientProbe, probe_batch
from models.errors import TrainingDiverged
from models.spec import TrainingSpec

EPOCH_KEYS = ("loss", "accuracy", "val_loss", "val_accuracy")
Report = Callable[[dict[str, Any]], None]


@dataclass
class TrainingResult:
    """The trained network, its per-epoch history and its test-split metrics."""

    network: keras.Model
    history: list[dict[str, Any]] = field(default_factory=list)
    test_metrics: dict[str, float] = field(default_factory=dict)
    stopped_early: bool = False


class _EpochReporter(keras.callbacks.Callback):
    """Times each epoch and hands its metrics (and health verdict) to ``on_epoch``."""

    def __init__(self, on_epoch: Report | None, health: GradientHealth | None):
        super().__init__()
        self.on_epoch, self.health = on_epoch, health
        self.history: list[dict[str, Any]] = []
        self._started = 0.0

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self._started = time.perf_counter()

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        # Runs after the health callback, so `seconds` includes its cost: honest timing.
        logs = logs or {}
        entry: dict[str, Any] = {"epoch": epoch + 1}
        for key in EPOCH_KEYS:
            entry[key] = float(logs[key]) if key in logs else None
        entry["seconds"] = round(time.perf_counter() - self._started, 4)
        if self.health is not None and self.health.latest is not None:
            entry["verdict"] = self.health.latest["verdict"]
        self.history.append(entry)
        if self.on_epoch is not None:
            self.on_epoch(entry)
        if entry["loss"] is None or not math.isfinite(entry["loss"]):
            self.model.stop_training = True  # nothing good can come of more epochs


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


def _callbacks(
    spec: TrainingSpec,
    network: keras.Model,
    x: np.ndarray,
    y: np.ndarray,
    has_validation: bool,
    on_epoch: Report | None,
    on_report: Report | None,
) -> tuple[list[keras.callbacks.Callback], keras.callbacks.EarlyStopping | None]:
    health = None
    if spec.diagnostics.enabled:
        probe_x, probe_y = probe_batch(x, y, spec.diagnostics.probe_size, spec.seed)
        health = GradientHealth(GradientProbe(network, spec, probe_x, probe_y), on_report)
    stopper = None
    if spec.early_stopping is not None:
        stopper = keras.callbacks.EarlyStopping(
            monitor="val_loss" if has_validation else "loss",
            patience=spec.early_stopping.patience,
            min_delta=spec.early_stopping.min_delta,
            restore_best_weights=spec.early_stopping.restore_best_weights,
        )
    callbacks = [c for c in (health, _EpochReporter(on_epoch, health), stopper) if c is not None]
    return callbacks, stopper


def train(
    spec: TrainingSpec,
    dataset: Dataset,
    on_epoch: Report | None = None,
    on_report: Report | None = None,
) -> TrainingResult:
    """Build, compile and train the network of ``spec`` on ``dataset``.

    Args:
        spec: the training spec.
        dataset: the data set; its test split is evaluated once training ends.
        on_epoch: called after every finished epoch with that epoch's history entry
            (``epoch``, ``loss``, ``accuracy``, ``val_loss``, ``val_accuracy``,
            ``seconds`` and, with diagnostics on, ``verdict``).
        on_report: called with the gradient-health report before training (epoch 0)
            and after every epoch (see ``models.diagnostics``).

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
    callbacks, stopper = _callbacks(
        spec, network, x, y, validation is not None, on_epoch, on_report
    )
    network.fit(
        x,
        y,
        batch_size=spec.batch_size,
        epochs=spec.epochs,
        validation_data=validation,
        callbacks=callbacks,
        verbose=0,
    )
    reporter = next(c for c in callbacks if isinstance(c, _EpochReporter))
    last = reporter.history[-1]
    if last["loss"] is None or not math.isfinite(last["loss"]):
        raise TrainingDiverged(
            f"training diverged at epoch {last['epoch']}: the loss became {last['loss']}. "
            "Lower optimizer.learning_rate, set optimizer.clipnorm, or turn batch_norm on."
        )
    scores = network.evaluate(
        dataset.x_test, dataset.y_test, batch_size=1024, verbose=0, return_dict=True
    )
    test_metrics = {"test_loss": float(scores["loss"]), "test_accuracy": float(scores["accuracy"])}
    stopped = stopper is not None and stopper.stopped_epoch > 0
    return TrainingResult(network, reporter.history, test_metrics, stopped)
