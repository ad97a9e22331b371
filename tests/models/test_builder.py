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
        "ELU",
        "Dense",
        "BatchNormalization",
        "ELU",
        "Dense",
    ]
    dense = [layer for layer in _layers(network) if isinstance(layer, keras.layers.Dense)]
    assert [d.use_bias for d in dense] == [False, False, True]  # BN's beta replaces the bias
    bns = [
        layer for layer in _layers(network) if isinstance(layer, keras.layers.BatchNormalization)
    ]
    assert all(bn.momentum == 0.9 for bn in bns)
    activations = [layer for layer in _layers(network) if isinstance(layer, keras.layers.ELU)]
    assert [a.alpha for a in activations] == [1.0, 1.0]
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


def _kinds(network):
    return [type(layer).__name__ for layer in _layers(network)]


def test_batch_norm_after_the_activation_keeps_the_dense_bias():
    spec = TrainingSpec(dataset="digits", hidden_layers=[8], batch_norm={"placement": "after"})
    network = build_network(spec, 4, 3)
    assert _kinds(network) == ["Rescaling", "Dense", "ELU", "BatchNormalization", "Dense"]
    assert network.get_layer("hidden1").use_bias


def test_batch_norm_on_inputs_and_logits_with_its_options():
    bn = {"inputs": True, "logits": True, "center": False, "scale": False, "epsilon": 0.01}
    network = build_network(TrainingSpec(dataset="digits", hidden_layers=[8], batch_norm=bn), 4, 3)
    kinds = _kinds(network)
    assert kinds[:2] == ["Rescaling", "BatchNormalization"] and kinds[-1] == "BatchNormalization"
    logits_bn = network.get_layer("logits_bn")
    assert (logits_bn.center, logits_bn.scale, logits_bn.epsilon) == (False, False, 0.01)


def test_per_layer_activation_and_initializer_override_the_defaults():
    spec = TrainingSpec(
        dataset="digits",
        activation="tanh",
        hidden_layers=[
            8,
            {"units": 6, "activation": {"name": "leaky_relu", "alpha": 0.2}},
            {"units": 4, "activation": "prelu", "kernel_initializer": "random_normal"},
        ],
    )
    network = build_network(spec, 5, 3)
    assert network.get_layer("hidden1_act").get_config()["activation"] == "tanh"
    assert network.get_layer("hidden2_act").negative_slope == pytest.approx(0.2)
    assert isinstance(network.get_layer("hidden3_act"), keras.layers.PReLU)
    assert [network.get_layer(f"hidden{i}").units for i in (1, 2, 3)] == [8, 6, 4]


@pytest.mark.parametrize(
    ("initializer", "expected_variance"),
    [
        ("random_normal", 1.0),  # the pre-2010 default: N(0, 1)
        ("glorot_uniform", 2.0 / (400 + 300)),
        ("glorot_normal", 2.0 / (400 + 300)),
        ("he_uniform", 2.0 / 400),
        ("lecun_normal", 1.0 / 400),
        (
            {"variance_scaling": {"scale": 2.0, "mode": "fan_avg", "distribution": "uniform"}},
            2.0 / 350,
        ),
    ],
)
def test_initializers_have_their_textbook_variance(initializer, expected_variance):
    spec = TrainingSpec(dataset="digits", hidden_layers=[300], kernel_initializer=initializer)
    kernel = build_network(spec, 400, 2).get_layer("hidden1").kernel.numpy()
    assert abs(kernel.mean()) < 5 * np.sqrt(expected_variance / kernel.size)  # 5 std errors
    assert np.var(kernel) == pytest.approx(expected_variance, rel=0.05)


def test_twenty_hidden_layers_build():
    network = build_network(TrainingSpec(dataset="digits", hidden_layers=[10] * 20), 64, 10)
    assert network.get_layer("hidden20_act") is not None


def test_clipping_reaches_the_optimizer():
    spec = TrainingSpec(
        dataset="digits", optimizer={"name": "rmsprop", "clipnorm": 1.5, "momentum": 0.5}
    )
    optimizer = build_optimizer(spec)
    assert isinstance(optimizer, keras.optimizers.RMSprop) and optimizer.clipnorm == 1.5
    nadam = build_optimizer(
        TrainingSpec(dataset="digits", optimizer={"name": "nadam", "clipvalue": 0.5})
    )
    assert nadam.clipvalue == 0.5
