import numpy as np
import pytest

from models.layers import RReLU, make_activation
from models.spec import ActivationSpec


def test_rrelu_uses_the_mean_slope_at_inference():
    layer = RReLU(0.1, 0.3)
    z = np.array([[-2.0, -1.0, 0.0, 3.0]], dtype=np.float32)
    np.testing.assert_allclose(layer(z, training=False), [[-0.4, -0.2, 0.0, 3.0]], rtol=1e-6)


def test_rrelu_draws_slopes_in_range_while_training():
    layer = RReLU(0.1, 0.3, seed=1)
    z = -np.ones((200, 50), dtype=np.float32)
    out = np.asarray(layer(z, training=True))
    slopes = -out
    assert slopes.min() >= 0.1 and slopes.max() <= 0.3
    assert slopes.std() > 0.03  # really random, not the mean
    positive = np.asarray(layer(np.ones((3, 3), np.float32), training=True))
    np.testing.assert_array_equal(positive, 1.0)


def test_rrelu_config_round_trips_and_bad_ranges_are_refused():
    layer = RReLU(0.05, 0.2, seed=3, name="r")
    clone = RReLU.from_config(layer.get_config())
    assert (clone.lower, clone.upper, clone.seed) == (0.05, 0.2, 3)
    with pytest.raises(ValueError, match="lower=0.5, upper=0.2"):
        RReLU(0.5, 0.2)


@pytest.mark.parametrize(
    ("spec", "z", "expected"),
    [
        (ActivationSpec(name="leaky_relu"), -1.0, -0.01),
        (ActivationSpec(name="leaky_relu", alpha=0.2), -1.0, -0.2),
        (ActivationSpec(name="elu"), -1.0, np.exp(-1.0) - 1),
        (ActivationSpec(name="elu", alpha=2.0), -1.0, 2 * (np.exp(-1.0) - 1)),
        (ActivationSpec(name="selu"), 1.0, 1.0507009873554805),
        (ActivationSpec(name="sigmoid"), 0.0, 0.5),
        (ActivationSpec(name="prelu"), -1.0, -0.25),
        (ActivationSpec(name="rrelu"), -1.0, -(1 / 8 + 1 / 3) / 2),
    ],
)
def test_activations_match_their_formulas(spec, z, expected):
    layer = make_activation(spec, "act", seed=0)
    value = float(np.asarray(layer(np.array([[z]], dtype=np.float32)))[0, 0])
    assert value == pytest.approx(expected, rel=1e-5)
