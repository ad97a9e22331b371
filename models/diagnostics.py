"""The gradient-health report: vanishing, exploding, saturated and dead, epoch by epoch.

On a fixed probe batch of training rows, for every hidden layer: the norm of the
loss gradient with respect to its kernel, the mean and standard deviation of its
pre-activations and activations, the fraction of its activations whose derivative
is below a threshold (for activations that saturate: sigmoid, tanh, elu, selu) and
the fraction of its units that output 0 for the whole batch (dead). Measured before
training (epoch 0) and after every epoch, then judged by ``verdict``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from models.spec import SATURATING_ACTIVATIONS, DiagnosticsSpec, TrainingSpec

HEALTHY = "healthy"
STAT_NAMES = (
    "kernel_grad_norm", "pre_activation_mean", "pre_activation_std",
    "activation_mean", "activation_std", "saturated_fraction", "dead_fraction",
)  # fmt: skip


def verdict(report: dict[str, Any], thresholds: DiagnosticsSpec) -> list[str]:
    """The problems in one epoch's report, or ``["healthy"]``.

    ``vanishing``/``exploding`` compare the first hidden layer's kernel-gradient norm
    with the last one's; a non-finite loss is ``exploding`` too. ``saturated``: some
    layer has more than ``saturated_fraction`` of its activations with a derivative
    below ``saturation_derivative``. ``dead``: some layer has more than
    ``dead_fraction`` of its units dead.
    """
    problems = []
    ratio = report.get("gradient_ratio")
    loss = report.get("loss")
    if ratio is not None and math.isfinite(ratio) and ratio < thresholds.vanishing_ratio:
        problems.append("vanishing")
    if (loss is not None and not math.isfinite(loss)) or (
        ratio is not None and (not math.isfinite(ratio) or ratio > thresholds.exploding_ratio)
    ):
        problems.append("exploding")
    layers = report["layers"]
    if any(
        (layer["saturated_fraction"] or 0.0) > thresholds.saturated_fraction for layer in layers
    ):
        problems.append("saturated")
    if any(layer["dead_fraction"] > thresholds.dead_fraction for layer in layers):
        problems.append("dead")
    return problems or [HEALTHY]


def _finite_or_none(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


class GradientProbe:
    """Measures the per-layer statistics of a network on a fixed probe batch."""

    def __init__(self, network: keras.Model, spec: TrainingSpec, x: np.ndarray, y: np.ndarray):
        layers = spec.layers()
        self.thresholds = spec.diagnostics
        self.units = [layer.units for layer in layers]
        self.activation_names = [layer.activation.name for layer in layers]
        self.saturating = [name in SATURATING_ACTIVATIONS for name in self.activation_names]
        self.kernels = [network.get_layer(f"hidden{i}").kernel for i in range(1, len(layers) + 1)]
        self.activations = [network.get_layer(f"hidden{i}_act") for i in range(1, len(layers) + 1)]
        taps = [a.input for a in self.activations] + [a.output for a in self.activations]
        self.tapped = keras.Model(network.inputs, [*taps, network.outputs[0]])
        # Measuring in training mode moves BN's running averages; they are put back.
        self.moving = [
            v for layer in network.layers if isinstance(layer, keras.layers.BatchNormalization)
            for v in (layer.moving_mean, layer.moving_variance)
        ]  # fmt: skip
        self.loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
        self.x = tf.constant(x, tf.float32)
        self.y = tf.constant(y)
        # No autograph: the loops run over Python lists, and converting them cost 0.3 s.
        self._measure_fn = tf.function(self._measure, autograph=False)
        self.latest_gradients: list[tf.Tensor] = []  # of `kernels`, at the last measure

    def _measure(self, x: tf.Tensor, y: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor, list]:
        saved = [tf.identity(v.value) for v in self.moving]
        n = len(self.kernels)
        with tf.GradientTape() as tape:
            outputs = self.tapped(x, training=True)
            loss = self.loss_fn(y, outputs[-1])
        grads = tape.gradient(loss, self.kernels)
        for variable, value in zip(self.moving, saved, strict=True):
            variable.assign(value)
        rows = []
        for i in range(n):
            z, a = outputs[i], outputs[n + i]
            with tf.GradientTape() as inner:
                inner.watch(z)
                recomputed = self.activations[i](z, training=False)
            # Activations act element by element, so the gradient of their sum is the
            # element-wise derivative.
            derivative = inner.gradient(recomputed, z)
            saturated = tf.reduce_mean(
                tf.cast(tf.abs(derivative) < self.thresholds.saturation_derivative, tf.float32)
            )
            dead = tf.reduce_mean(tf.cast(tf.reduce_all(tf.equal(a, 0.0), axis=0), tf.float32))
            rows.append(tf.stack([
                tf.norm(grads[i]), tf.reduce_mean(z), tf.math.reduce_std(z),
                tf.reduce_mean(a), tf.math.reduce_std(a), saturated, dead,
            ]))  # fmt: skip
        return loss, tf.stack(rows), grads

    def measure(self, epoch: int) -> dict[str, Any]:
        """The report of the network as it is now, labelled with ``epoch``."""
        loss, table, self.latest_gradients = self._measure_fn(self.x, self.y)
        table = table.numpy().astype(float)
        layers = []
        for i, row in enumerate(table):
            stats = dict(zip(STAT_NAMES, row.tolist(), strict=True))
            stats = {k: _finite_or_none(v) for k, v in stats.items()}
            if not self.saturating[i]:
                stats["saturated_fraction"] = None
            layers.append(
                {
                    "layer": i + 1,
                    "units": self.units[i],
                    "activation": self.activation_names[i],
                    **stats,
                }
            )
        first, last = table[0][0], table[-1][0]
        ratio = first / last if last > 0 else (math.inf if first > 0 else 1.0)
        report = {
            "epoch": epoch,
            "loss": float(loss),
            "gradient_ratio": float(ratio),
            "layers": layers,
        }
        report["verdict"] = verdict(report, self.thresholds)
        report["loss"] = _finite_or_none(report["loss"])
        report["gradient_ratio"] = _finite_or_none(report["gradient_ratio"])
        return report


class GradientHealth(keras.callbacks.Callback):
    """Reports the probe's measurements before training and after every epoch."""

    def __init__(
        self,
        probe: GradientProbe,
        on_report: Callable[[dict[str, Any]], None] | None,
        report_initial: bool = True,
        interrupted: Callable[[], bool] = lambda: False,
    ):
        super().__init__()
        self.probe, self.on_report = probe, on_report
        self.interrupted = interrupted  # true when a stop cut the epoch short
        self.report_initial = report_initial  # off when resuming: epoch 0 was reported
        self.latest: dict[str, Any] | None = None

    def _report(self, epoch: int, training_loss: float | None = None) -> None:
        report = self.probe.measure(epoch)
        if training_loss is not None and not math.isfinite(training_loss):
            problems = [p for p in report["verdict"] if p != HEALTHY]
            report["verdict"] = problems if "exploding" in problems else [*problems, "exploding"]
        self.latest = report
        if self.on_report is not None:
            self.on_report(report)

    def on_train_begin(self, logs: dict | None = None) -> None:
        if self.report_initial:
            self._report(0)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if not self.interrupted():
            self._report(epoch + 1, (logs or {}).get("loss"))


def probe_batch(
    x: np.ndarray, y: np.ndarray, size: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """A fixed, seeded sample of training rows."""
    rows = np.random.default_rng(seed).permutation(len(x))[: min(size, len(x))]
    return x[rows], y[rows]
