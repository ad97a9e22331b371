"""Train a network from a spec and report each finished epoch."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import keras
import numpy as np

from models.builder import build_network, build_optimizer
from models.checkpoints import load_checkpoint, save_checkpoint
from models.datasets import Dataset
from models.diagnostics import GradientHealth, GradientProbe, probe_batch
from models.errors import TrainingDiverged
from models.spec import JIT_AUTO_MIN_STEPS, TrainingSpec
from models.tensorboard import TensorBoardWriter

EPOCH_KEYS = ("loss", "accuracy", "val_loss", "val_accuracy")
Report = Callable[[dict[str, Any]], None]


@dataclass
class TrainingResult:
    """The trained network, its per-epoch history and its test-split metrics.

    ``stopped`` is true when ``should_stop`` ended training; then nothing was evaluated.
    """

    network: keras.Model
    history: list[dict[str, Any]] = field(default_factory=list)
    test_metrics: dict[str, float] = field(default_factory=dict)
    stopped_early: bool = False
    stopped: bool = False
    resumed_from: int = 0


class _EpochReporter(keras.callbacks.Callback):
    """Times each epoch, checkpoints it, and hands its metrics (and health verdict) to
    ``on_epoch``: the checkpoint is on disk before anyone hears of the epoch."""

    def __init__(
        self,
        on_epoch: Report | None,
        health: GradientHealth | None,
        history: list[dict[str, Any]],
        checkpoint_dir: Path | None,
        interrupted: Callable[[], bool] = lambda: False,
    ):
        super().__init__()
        self.on_epoch, self.health = on_epoch, health
        self.interrupted = interrupted
        self.history = list(history)
        self.checkpoint_dir = checkpoint_dir
        self._started = 0.0

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self._started = time.perf_counter()

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        # Runs after the health callback, so `seconds` includes its cost: honest timing.
        if self.model.stop_training and self.interrupted():
            return  # a stop cut this epoch short: it is not a finished epoch
        logs = logs or {}
        entry: dict[str, Any] = {"epoch": epoch + 1}
        for key in EPOCH_KEYS:
            entry[key] = float(logs[key]) if key in logs else None
        entry["seconds"] = round(time.perf_counter() - self._started, 4)
        if self.health is not None and self.health.latest is not None:
            entry["verdict"] = self.health.latest["verdict"]
        self.history.append(entry)
        if self.checkpoint_dir is not None:
            save_checkpoint(self.model, self.checkpoint_dir, self.history)
        if self.on_epoch is not None:
            self.on_epoch(entry)
        if entry["loss"] is None or not math.isfinite(entry["loss"]):
            self.model.stop_training = True  # nothing good can come of more epochs


class _StopWhen(keras.callbacks.Callback):
    """Ends training at the next batch boundary once ``should_stop()`` is true. It only
    reads a flag: whoever sets it (a cancel request, a lost lease) polls elsewhere."""

    def __init__(self, should_stop: Callable[[], bool]):
        super().__init__()
        self.should_stop = should_stop
        self.stopped = False

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        if self.should_stop():
            self.stopped = self.model.stop_training = True


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
    history: list[dict[str, Any]],
    checkpoint_dir: Path | None,
    stop_when: _StopWhen | None,
    tensorboard_dir: Path | None = None,
) -> tuple[list[keras.callbacks.Callback], keras.callbacks.EarlyStopping | None]:
    health = None
    if spec.diagnostics.enabled:
        probe_x, probe_y = probe_batch(x, y, spec.diagnostics.probe_size, spec.seed)
        probe = GradientProbe(network, spec, probe_x, probe_y)
        health = GradientHealth(
            probe,
            on_report,
            report_initial=not history,
            interrupted=lambda: bool(stop_when and stop_when.stopped),
        )
    stopper = None
    if spec.early_stopping is not None:
        stopper = keras.callbacks.EarlyStopping(
            monitor="val_loss" if has_validation else "loss",
            patience=spec.early_stopping.patience,
            min_delta=spec.early_stopping.min_delta,
            restore_best_weights=spec.early_stopping.restore_best_weights,
        )
    reporter = _EpochReporter(
        on_epoch,
        health,
        history,
        checkpoint_dir,
        interrupted=lambda: bool(stop_when and stop_when.stopped),
    )
    # After the reporter: it writes the epochs the reporter has finished and timed.
    writer = None
    if tensorboard_dir is not None:
        writer = TensorBoardWriter(tensorboard_dir, lambda: reporter.history, health)
    callbacks = [c for c in (stop_when, health, reporter, writer, stopper) if c is not None]
    return callbacks, stopper


def _has_gpu() -> bool:
    import tensorflow as tf

    return bool(tf.config.list_physical_devices("GPU"))


def use_xla(spec: TrainingSpec, n_train_rows: int) -> bool:
    """Whether to compile the training step with XLA (``jit_compile`` resolved)."""
    if spec.execution.jit_compile != "auto":
        return spec.execution.jit_compile
    steps = spec.epochs * math.ceil(n_train_rows / spec.batch_size)
    return steps >= JIT_AUTO_MIN_STEPS


def _compile_training_step(network: keras.Model, xla: bool) -> None:
    """Compile the training step with XLA (or not), and nothing else with it.

    Validation and evaluation meet new batch shapes (bigger batches, a last partial one),
    and XLA compiles each shape anew: on the chapter network that cost more than XLA
    saved. Keras builds each function from ``jit_compile`` as it stands at that moment.
    """
    network.jit_compile = xla
    network.make_train_function(force=True)
    network.jit_compile = False


def _network(
    spec: TrainingSpec, dataset: Dataset, checkpoint_dir: Path | None
) -> tuple[keras.Model, list[dict[str, Any]]]:
    """A checkpointed network and its history, or a new compiled one."""
    if checkpoint_dir is not None and (checkpoint := load_checkpoint(checkpoint_dir)):
        return checkpoint
    # The policy is per process: set it for every job, so one job's choice never leaks.
    keras.mixed_precision.set_global_policy(
        "mixed_float16" if spec.execution.mixed_precision and _has_gpu() else "float32"
    )
    network = build_network(spec, dataset.n_features, dataset.n_classes, dataset.feature_scale)
    network.compile(
        optimizer=build_optimizer(spec),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
        # Several batches per call into TensorFlow: on a 2-core CPU the chapter network
        # trains faster than with Keras's defaults (bench/training.py).
        jit_compile=False,
        steps_per_execution=spec.execution.steps_per_execution,
    )
    return network, []


def train(
    spec: TrainingSpec,
    dataset: Dataset,
    on_epoch: Report | None = None,
    on_report: Report | None = None,
    checkpoint_dir: Path | None = None,
    should_stop: Callable[[], bool] | None = None,
    tensorboard_dir: Path | None = None,
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
        checkpoint_dir: where each finished epoch is checkpointed; training resumes
            from the newest checkpoint found there.
        should_stop: polled at every batch boundary; once true, training ends there
            and the result says ``stopped`` (nothing is evaluated).
        tensorboard_dir: where to write TensorBoard event files (see
            ``models.tensorboard``); a resumed run appends to them.

    Returns:
        A ``TrainingResult`` with the network, the history and the test metrics.
    """
    x, y, validation = split_validation(
        dataset.x_train, dataset.y_train, spec.validation_split, spec.seed
    )
    network, history = _network(spec, dataset, checkpoint_dir)
    _compile_training_step(network, use_xla(spec, len(x)))
    stop_when = _StopWhen(should_stop) if should_stop is not None else None
    callbacks, stopper = _callbacks(
        spec,
        network,
        x,
        y,
        validation is not None,
        on_epoch,
        on_report,
        history,
        checkpoint_dir,
        stop_when,
        tensorboard_dir,
    )
    if len(history) < spec.epochs:
        network.fit(
            x,
            y,
            batch_size=spec.batch_size,
            epochs=spec.epochs,
            initial_epoch=len(history),
            validation_data=validation,
            # Inference-mode batch norm makes the batch size irrelevant to the scores;
            # bigger batches make the pass cheaper.
            validation_batch_size=max(spec.batch_size, 1024),
            callbacks=callbacks,
            verbose=0,
        )
    reporter = next(c for c in callbacks if isinstance(c, _EpochReporter))
    if stop_when is not None and stop_when.stopped:
        return TrainingResult(network, reporter.history, stopped=True, resumed_from=len(history))
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
    stopped_early = stopper is not None and stopper.stopped_epoch > 0
    return TrainingResult(
        network, reporter.history, test_metrics, stopped_early, resumed_from=len(history)
    )
