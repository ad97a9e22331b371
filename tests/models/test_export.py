import json

import numpy as np
import pytest
import tensorflow as tf

from models.datasets import load_dataset
from models.export import METADATA_FILE, export_network, inference_probabilities, load_serving_fn
from models.spec import TrainingSpec
from models.training import split_validation, train


@pytest.fixture(scope="module")
def trained():
    spec = TrainingSpec(dataset="digits", hidden_layers=[16, 8], epochs=2, batch_size=64)
    data = load_dataset("digits")
    epochs = []
    result = train(spec, data, on_epoch=epochs.append)
    return result, data, epochs


def test_training_reports_each_epoch(trained):
    result, _, epochs = trained
    assert [e["epoch"] for e in epochs] == [1, 2] and result.history == epochs
    assert all(e["val_accuracy"] is not None and e["seconds"] > 0 for e in epochs)
    assert set(result.test_metrics) == {"test_loss", "test_accuracy"}


def test_batch_norm_moving_statistics_moved_during_training(trained):
    result, _, _ = trained
    bn = result.network.get_layer("hidden1_bn")
    assert not np.allclose(bn.moving_mean.numpy(), 0.0)


def test_export_reloads_with_the_networks_inference_outputs(trained, tmp_path):
    result, data, _ = trained
    path = export_network(result.network, tmp_path / "m" / "1", data.x_test[:8], {"version": 1})
    assert json.loads((path / METADATA_FILE).read_text()) == {"version": 1}
    _, serve = load_serving_fn(path)
    served = serve(features=tf.constant(data.x_test))["probabilities"].numpy()
    np.testing.assert_allclose(
        served, inference_probabilities(result.network, data.x_test), atol=1e-5
    )
    assert [p.name for p in path.parent.iterdir()] == ["1"]  # no staging left behind


def test_served_rows_do_not_depend_on_their_batch(trained, tmp_path):
    result, data, _ = trained
    path = export_network(result.network, tmp_path / "1", data.x_test[:8], {})
    _, serve = load_serving_fn(path)
    alone = serve(features=tf.constant(data.x_test[:1]))["probabilities"].numpy()
    batch = serve(features=tf.constant(data.x_test[:100]))["probabilities"].numpy()
    np.testing.assert_allclose(alone[0], batch[0], rtol=0, atol=1e-6)


def test_export_never_overwrites_an_existing_version(trained, tmp_path):
    result, data, _ = trained
    path = export_network(result.network, tmp_path / "1", data.x_test[:4], {"first": True})
    with pytest.raises(OSError):
        export_network(result.network, tmp_path / "1", data.x_test[:4], {"first": False})
    assert json.loads((path / METADATA_FILE).read_text()) == {"first": True}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["1"]


def test_export_refuses_even_an_empty_existing_directory(trained, tmp_path):
    result, data, _ = trained
    (tmp_path / "1").mkdir()
    with pytest.raises(FileExistsError):
        export_network(result.network, tmp_path / "1", data.x_test[:4], {})
    assert list((tmp_path / "1").iterdir()) == []


def test_validation_split_is_seeded_and_disjoint():
    x = np.arange(100).reshape(100, 1)
    y = np.arange(100)
    x_train, y_train, (x_val, y_val) = split_validation(x, y, 0.2, seed=3)
    again = split_validation(x, y, 0.2, seed=3)
    assert len(x_val) == 20 and len(x_train) == 80
    assert set(y_train).isdisjoint(y_val)
    np.testing.assert_array_equal(again[2][1], y_val)
    assert split_validation(x, y, 0.0, seed=3)[2] is None
