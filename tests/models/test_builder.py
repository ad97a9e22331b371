import keras
import numpy as np
import pytest

from models.builder import build_network, build_optimizer
from models.spec import TrainingSpec


def _layers(network):
    return [layer for layer in network.layers if not isinstance(layer, keras.layers.InputLayer)]


def test_each_hidden_layer_is_dense_without_bias_then_bn_then_activation():
    spec = TrainingSpec(dataset="digits", hidden_layers=[30, 20])
    network = build_network(spec, 64, 10, 16.0)
    kinds = [type(layer).__name__ for layer in _layers(network)]
    assert kinds == [
        "Rescaling",
        "Dense",
        "BatchNormalization",
        "Activation",
        "Dense",
        "BatchNormalization",
        "Activation",
        "Dense",
    ]
    dense = [layer for layer in _layers(network) if isinstance(layer, keras.layers.Dense)]
    assert [d.use_bias for d in dense] == [False, False, True]  # BN's beta replaces the bias
    bns = [
        layer for layer in _layers(network) if isinstance(layer, keras.layers.BatchNormalization)
    ]
    assert all(bn.momentum == 0.9 for bn in bns)
    activations = [
        layer for layer in _layers(network) if isinstance(layer, keras.layers.Activation)
    ]
    assert all(a.activation is keras.activations.elu for a in activations)
    assert network.output_shape == (None, 10)


def test_without_batch_norm_dense_layers_keep_their_bias():
    spec = TrainingSpec(dataset="digits", hidden_layers=[8], batch_norm=False)
    network = build_network(spec, 4, 3)
    assert not any(isinstance(x, keras.layers.BatchNormalization) for x in network.layers)
    assert network.get_layer("hidden1").use_bias


def test_he_normal_kernels_have_variance_two_over_fan_in():
    spec = TrainingSpec(dataset="fashion_mnist")
    network = build_network(spec, 784, 10, 255.0)
    for name, fan_in in (("hidden1", 784), ("hidden2", 300)):
        kernel = network.get_layer(name).kernel.numpy()
        assert np.var(kernel) == pytest.approx(2.0 / fan_in, rel=0.1)


def test_first_layer_rescales_raw_features():
    network = build_network(TrainingSpec(dataset="digits"), 3, 2, 255.0)
    rescale = network.get_layer("rescale")
    np.testing.assert_allclose(
        rescale(np.array([[255.0, 0.0, 51.0]])), [[1.0, 0.0, 0.2]], rtol=1e-6
    )


def test_same_seed_same_weights_other_seed_other_weights():
    def kernel(seed):
        spec = TrainingSpec(dataset="digits", hidden_layers=[16], seed=seed)
        return build_network(spec, 64, 10).get_layer("hidden1").kernel.numpy()

    np.testing.assert_array_equal(kernel(1), kernel(1))
    assert not np.array_equal(kernel(1), kernel(2))


def test_optimizer_follows_the_spec():
    sgd = build_optimizer(TrainingSpec(dataset="digits"))
    assert isinstance(sgd, keras.optimizers.SGD)
    assert float(sgd.learning_rate) == pytest.approx(0.01)
    adam = build_optimizer(
        TrainingSpec(dataset="digits", optimizer={"name": "adam", "learning_rate": 0.001})
    )
    assert isinstance(adam, keras.optimizers.Adam) and float(adam.learning_rate) == pytest.approx(
        0.001
    )
