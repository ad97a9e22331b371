import math

import numpy as np
import pytest

from models.builder import build_network
from models.datasets import load_dataset
from models.diagnostics import GradientProbe, probe_batch, verdict
from models.spec import DiagnosticsSpec, TrainingSpec


def _report(ratio=1.0, loss=1.0, saturated=(None,), dead=(0.0,)):
    layers = [
        {"saturated_fraction": s, "dead_fraction": d} for s, d in zip(saturated, dead, strict=True)
    ]
    return {"gradient_ratio": ratio, "loss": loss, "layers": layers}


@pytest.mark.parametrize(
    ("report", "expected"),
    [
        (_report(), ["healthy"]),
        (_report(ratio=5e-4), ["vanishing"]),
        (_report(ratio=2e3), ["exploding"]),
        (_report(loss=math.nan), ["exploding"]),
        (_report(ratio=math.inf), ["exploding"]),
        (_report(saturated=(0.2, 0.34), dead=(0.0, 0.0)), ["saturated"]),
        (_report(saturated=(0.2, 0.33), dead=(0.0, 0.0)), ["healthy"]),
        (_report(dead=(0.51,)), ["dead"]),
        (_report(ratio=1e-5, saturated=(0.9,), dead=(0.6,)), ["vanishing", "saturated", "dead"]),
    ],
)
def test_verdict_applies_the_default_thresholds(report, expected):
    assert verdict(report, DiagnosticsSpec()) == expected


def test_thresholds_can_be_overridden():
    strict = DiagnosticsSpec(vanishing_ratio=0.5, saturated_fraction=0.1, dead_fraction=0.05)
    assert verdict(_report(ratio=0.4, saturated=(0.2,), dead=(0.1,)), strict) == [
        "vanishing",
        "saturated",
        "dead",
    ]


def _probe(spec):
    data = load_dataset("digits")
    network = build_network(spec, data.n_features, data.n_classes, data.feature_scale)
    x, y = probe_batch(data.x_train, data.y_train, 128, spec.seed)
    return GradientProbe(network, spec, x, y), network, x


def test_probe_matches_a_numpy_computation_of_the_activations():
    spec = TrainingSpec(
        dataset="digits", hidden_layers=[20, 10], activation="sigmoid", batch_norm=False
    )
    probe, network, x = _probe(spec)
    report = probe.measure(0)
    kernel = network.get_layer("hidden1").kernel.numpy()
    bias = network.get_layer("hidden1").bias.numpy()
    z = (x / 16.0) @ kernel + bias
    a = 1 / (1 + np.exp(-z))
    first = report["layers"][0]
    assert first["pre_activation_mean"] == pytest.approx(z.mean(), rel=1e-4)
    assert first["activation_std"] == pytest.approx(a.std(), rel=1e-4)
    assert first["saturated_fraction"] == pytest.approx(np.mean(a * (1 - a) < 0.01), abs=1e-6)
    assert report["gradient_ratio"] == pytest.approx(
        first["kernel_grad_norm"] / report["layers"][1]["kernel_grad_norm"], rel=1e-5
    )


def test_dead_relu_units_are_counted():
    spec = TrainingSpec(dataset="digits", hidden_layers=[8], activation="relu", batch_norm=False)
    probe, network, _ = _probe(spec)
    dense = network.get_layer("hidden1")
    kernel = dense.kernel.numpy()
    kernel[:, :6] = -1.0  # pixels are >= 0: these six units never fire
    kernel[:, 6:] = 1.0  # and these two always do
    dense.kernel.assign(kernel)
    dense.bias.assign(np.zeros(8, np.float32))
    layer = probe.measure(0)["layers"][0]
    assert layer["dead_fraction"] == pytest.approx(6 / 8)
    assert layer["saturated_fraction"] is None  # ReLU does not saturate: not reported
    assert probe.measure(0)["verdict"] == ["dead"]


def test_measuring_leaves_batch_norm_statistics_alone():
    probe, network, _ = _probe(TrainingSpec(dataset="digits", hidden_layers=[16]))
    bn = network.get_layer("hidden1_bn")
    before = bn.moving_mean.numpy().copy(), bn.moving_variance.numpy().copy()
    probe.measure(0)
    np.testing.assert_array_equal(bn.moving_mean.numpy(), before[0])
    np.testing.assert_array_equal(bn.moving_variance.numpy(), before[1])
