"""TensorBoard event files written while training, read back with TensorFlow's reader."""

from collections import defaultdict

import numpy as np
import pytest
import tensorflow as tf

from models.datasets import load_dataset
from models.spec import TrainingSpec
from models.training import train

BASE = {"dataset": "digits", "hidden_layers": [16, 8], "epochs": 2, "batch_size": 64}


@pytest.fixture(scope="module")
def digits():
    return load_dataset("digits")


def read_events(directory) -> dict[str, dict[int, list[np.ndarray]]]:
    """tag → step → the values written at that step (a list: a duplicate step shows)."""
    found: dict[str, dict[int, list[np.ndarray]]] = defaultdict(lambda: defaultdict(list))
    for path in sorted(directory.glob("events.out.tfevents.*")):
        for event in tf.compat.v1.train.summary_iterator(str(path)):
            for value in event.summary.value:
                found[value.tag][event.step].append(tf.make_ndarray(value.tensor))
    return found


def _steps(events, tag) -> list[int]:
    assert tag in events, f"no {tag!r} among {sorted(events)}"
    return sorted(step for step, values in events[tag].items() for _ in values)


def test_each_epoch_writes_scalars_and_every_layers_histograms(digits, tmp_path):
    result = train(TrainingSpec(**BASE), digits, tensorboard_dir=tmp_path)
    history = result.history
    train_events, val_events = read_events(tmp_path / "train"), read_events(tmp_path / "validation")

    for tag, key in (("loss", "loss"), ("accuracy", "accuracy"), ("epoch_seconds", "seconds")):
        assert _steps(train_events, tag) == [1, 2]
        written = [float(train_events[tag][e["epoch"]][0]) for e in history]
        assert written == pytest.approx([e[key] for e in history], rel=1e-6)
    for tag, key in (("loss", "val_loss"), ("accuracy", "val_accuracy")):
        assert _steps(val_events, tag) == [1, 2]
        assert float(val_events[tag][2][0]) == pytest.approx(history[1][key], rel=1e-6)

    assert _steps(train_events, "gradient_health/ratio") == [0, 1, 2]
    for layer in (1, 2):
        for stat in ("kernel_grad_norm", "activation_std", "dead_fraction"):
            assert _steps(train_events, f"gradient_health/hidden{layer}/{stat}") == [0, 1, 2]

    weight_tags = {f"weights/{v.path}" for v in result.network.weights}
    assert {"weights/hidden1/kernel", "weights/hidden2/kernel", "weights/logits/kernel"} <= (
        weight_tags
    )
    for tag in weight_tags | {"gradients/hidden1/kernel", "gradients/hidden2/kernel"}:
        assert _steps(train_events, tag) == [0, 1, 2]
        buckets = train_events[tag][2][0]  # (bucket, 3): left edge, right edge, count
        assert buckets.ndim == 2 and buckets.shape[1] == 3 and buckets[:, 2].sum() > 0
    # The histogram at the last step is of the trained weights.
    kernel = result.network.get_layer("hidden1").kernel.numpy()
    last = train_events["weights/hidden1/kernel"][2][0]
    assert last[:, 2].sum() == kernel.size
    assert last[0, 0] == pytest.approx(kernel.min(), abs=1e-5)
    assert last[-1, 1] == pytest.approx(kernel.max(), abs=1e-5)


def test_a_resumed_run_appends_the_epochs_it_trains(digits, tmp_path):
    spec = TrainingSpec(**{**BASE, "epochs": 3})
    logdir, checkpoints = tmp_path / "tb", tmp_path / "checkpoints"
    seen = []
    train(
        spec,
        digits,
        on_epoch=seen.append,
        checkpoint_dir=checkpoints,
        should_stop=lambda: len(seen) >= 1,
        tensorboard_dir=logdir,
    )
    train(spec, digits, checkpoint_dir=checkpoints, tensorboard_dir=logdir)
    events = read_events(logdir / "train")
    assert _steps(events, "loss") == [1, 2, 3]  # each epoch once, the cut one not at all
    assert _steps(events, "weights/hidden1/kernel") == [0, 1, 2, 3]
    assert len(list((logdir / "train").glob("events.out.tfevents.*"))) == 2


def test_without_diagnostics_weights_are_written_but_no_gradients(digits, tmp_path):
    spec = TrainingSpec(**{**BASE, "epochs": 1, "diagnostics": {"enabled": False}})
    train(spec, digits, tensorboard_dir=tmp_path)
    events = read_events(tmp_path / "train")
    assert _steps(events, "weights/hidden1/kernel") == [0, 1]
    assert not [tag for tag in events if tag.startswith(("gradients/", "gradient_health/"))]


def test_an_unwritable_directory_does_not_fail_training(digits, tmp_path, caplog):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    result = train(TrainingSpec(**{**BASE, "epochs": 1}), digits, tensorboard_dir=blocker / "run")
    assert len(result.history) == 1 and "test_accuracy" in result.test_metrics
    assert "TensorBoard: cannot write" in caplog.text


@pytest.mark.parametrize(
    "values",
    [np.random.default_rng(0).normal(size=(300, 100)), np.arange(7.0), np.full(5, 2.5), []],
    ids=["normal", "range", "constant", "empty"],
)
def test_histograms_match_tensorboards_own(values):
    from tensorboard.plugins.histogram.summary_v2 import histogram_pb

    from models.tensorboard import histogram_buckets

    expected = tf.make_ndarray(histogram_pb("x", values).value[0].tensor)
    np.testing.assert_allclose(histogram_buckets(values), expected)


def test_histograms_leave_out_non_finite_values():
    from models.tensorboard import histogram_buckets

    buckets = histogram_buckets([1.0, np.nan, 3.0, np.inf, -np.inf])
    assert buckets[:, 2].sum() == 2 and buckets[0, 0] == 1.0 and buckets[-1, 1] == 3.0
