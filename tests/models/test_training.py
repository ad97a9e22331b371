"""Training with every option, exported and served back exactly."""

import dataclasses

import numpy as np
import pytest
import tensorflow as tf

from models.datasets import load_dataset
from models.export import export_network, inference_probabilities, load_serving_fn
from models.spec import TrainingSpec
from models.training import train, use_xla

BASE = {"dataset": "digits", "hidden_layers": [16, 8], "epochs": 1, "batch_size": 64}
OPTIONS = [
    {"kernel_initializer": "random_normal", "activation": "sigmoid", "batch_norm": False},
    {"kernel_initializer": "glorot_normal", "activation": "tanh"},
    {
        "kernel_initializer": {
            "variance_scaling": {"scale": 1.0, "mode": "fan_out", "distribution": "uniform"}
        }
    },
    {"activation": {"name": "leaky_relu", "alpha": 0.2}, "batch_norm": {"placement": "after"}},
    {"activation": {"name": "rrelu", "lower": 0.05, "upper": 0.4}},
    {"activation": "prelu", "batch_norm": {"inputs": True, "logits": True}},
    {"activation": "selu", "kernel_initializer": "lecun_normal", "batch_norm": False},
    {"activation": {"name": "elu", "alpha": 0.5}, "batch_norm": {"center": False, "scale": False}},
    {"hidden_layers": [16, {"units": 8, "activation": "relu", "kernel_initializer": "he_uniform"}]},
    {"optimizer": {"name": "sgd", "momentum": 0.9, "nesterov": True, "clipnorm": 1.0}},
    {"optimizer": {"name": "adam", "learning_rate": 0.001, "clipvalue": 0.5}},
    {"optimizer": {"name": "rmsprop", "learning_rate": 0.001}},
    {"optimizer": {"name": "nadam", "learning_rate": 0.001}},
    {"optimizer": {"name": "adagrad", "learning_rate": 0.05}},
    {"validation_split": 0.0, "diagnostics": {"enabled": False}},
    {"execution": {"jit_compile": True}, "activation": "rrelu", "batch_size": 50},
]


@pytest.fixture(scope="module")
def digits():
    return load_dataset("digits")


@pytest.mark.parametrize("options", OPTIONS, ids=lambda o: "-".join(map(str, o))[:40])
def test_every_option_trains_and_serves_what_it_trained(options, digits, tmp_path):
    spec = TrainingSpec(**{**BASE, **options})
    result = train(spec, digits)
    assert len(result.history) == 1 and np.isfinite(result.history[0]["loss"])
    path = export_network(result.network, tmp_path / "1", digits.x_test[:16], {})
    _, serve = load_serving_fn(path)
    served = serve(features=tf.constant(digits.x_test[:100]))["probabilities"].numpy()
    expected = inference_probabilities(result.network, digits.x_test[:100])
    np.testing.assert_allclose(served, expected, atol=1e-5)


def test_reports_come_before_training_and_after_each_epoch(digits):
    reports = []
    result = train(TrainingSpec(**{**BASE, "epochs": 2}), digits, on_report=reports.append)
    assert [r["epoch"] for r in reports] == [0, 1, 2]
    assert [e["verdict"] for e in result.history] == [r["verdict"] for r in reports[1:]]


def test_no_reports_when_diagnostics_are_off(digits):
    reports = []
    result = train(
        TrainingSpec(**{**BASE, "diagnostics": {"enabled": False}}),
        digits,
        on_report=reports.append,
    )
    assert reports == [] and "verdict" not in result.history[0]


def test_early_stopping_stops_when_validation_loss_stalls(digits):
    # A learning rate this small cannot improve the validation loss by min_delta.
    spec = TrainingSpec(
        **{
            **BASE,
            "epochs": 30,
            "optimizer": {"learning_rate": 1e-6},
            "early_stopping": {"patience": 2, "min_delta": 0.1},
        }
    )
    result = train(spec, digits)
    assert result.stopped_early and len(result.history) == 3


def test_a_diverging_run_fails_with_advice(digits):
    from models.errors import TrainingDiverged

    # A linear network (leaky slope 1) with a huge step: the loss overflows to NaN.
    spec = TrainingSpec(
        **{
            **BASE,
            "epochs": 5,
            "batch_norm": False,
            "activation": {"name": "leaky_relu", "alpha": 1.0},
            "kernel_initializer": "random_normal",
            "optimizer": {"learning_rate": 10.0},
        }
    )
    reports = []
    with pytest.raises(TrainingDiverged, match="diverged at epoch 1.*learning_rate"):
        train(spec, digits, on_report=reports.append)
    assert "exploding" in reports[-1]["verdict"]


def test_same_spec_and_seed_train_identically(digits):
    spec = TrainingSpec(**{**BASE, "epochs": 2, "activation": "rrelu"})

    def run():
        return [{k: v for k, v in e.items() if k != "seconds"} for e in train(spec, digits).history]

    assert run() == run()


def test_uint8_features_train_exactly_as_float32_ones(digits):
    # The image sets keep their pixels as uint8; the network must cast, not misread them.
    as_bytes = dataclasses.replace(
        digits, x_train=digits.x_train.astype(np.uint8), x_test=digits.x_test.astype(np.uint8)
    )
    spec = TrainingSpec(**{**BASE, "epochs": 2})

    def run(data):
        result = train(spec, data)
        return [{k: v for k, v in e.items() if k != "seconds"} for e in result.history], (
            result.test_metrics
        )

    assert run(as_bytes) == run(digits)


def test_a_stopped_run_resumes_from_its_checkpoint(digits, tmp_path):
    from models.checkpoints import latest_epoch

    spec = TrainingSpec(**{**BASE, "epochs": 4})
    seen = []
    first = train(
        spec,
        digits,
        on_epoch=seen.append,
        checkpoint_dir=tmp_path,
        should_stop=lambda: len(seen) >= 2,
    )
    assert first.stopped and [e["epoch"] for e in first.history] == [1, 2]
    assert first.test_metrics == {} and latest_epoch(tmp_path) == 2

    reports = []
    second = train(spec, digits, on_report=reports.append, checkpoint_dir=tmp_path)
    assert second.resumed_from == 2 and not second.stopped
    assert [e["epoch"] for e in second.history] == [1, 2, 3, 4]
    assert second.history[:2] == first.history
    assert [r["epoch"] for r in reports] == [3, 4]  # epoch 0 was reported the first time
    assert latest_epoch(tmp_path) == 4 and len(list(tmp_path.iterdir())) == 2
    assert "test_accuracy" in second.test_metrics


def test_a_finished_checkpoint_only_evaluates(digits, tmp_path):
    spec = TrainingSpec(**{**BASE, "epochs": 1})
    done = train(spec, digits, checkpoint_dir=tmp_path)
    again = train(spec, digits, checkpoint_dir=tmp_path, on_epoch=pytest.fail)
    assert again.resumed_from == 1 and again.history == done.history
    assert again.test_metrics == pytest.approx(done.test_metrics)


@pytest.mark.parametrize(
    ("jit_compile", "epochs", "rows", "expected"),
    [
        ("auto", 5, 54_000, True),  # the chapter run: 1,350 steps of 200
        ("auto", 8, 1_455, False),  # a small job: its compile would not pay back
        ("auto", 4, 49_801, True),  # 249 full batches and a partial one, 4 times: 1,000
        ("auto", 4, 49_800, False),  # 996 steps
        (True, 1, 10, True),
        (False, 50, 54_000, False),
    ],
)
def test_xla_is_used_where_it_pays_back(jit_compile, epochs, rows, expected):
    spec = TrainingSpec(
        dataset="digits", epochs=epochs, batch_size=200, execution={"jit_compile": jit_compile}
    )
    assert use_xla(spec, rows) is expected


def test_jit_compile_takes_true_false_or_auto_only():
    assert TrainingSpec(dataset="digits").execution.jit_compile == "auto"
    with pytest.raises(ValueError, match="jit_compile"):
        TrainingSpec(dataset="digits", execution={"jit_compile": "sometimes"})
