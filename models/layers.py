"""Activation layers and kernel initializers named in a spec."""

from __future__ import annotations

import keras
from keras import ops

from models.spec import ActivationSpec, Initializer


@keras.saving.register_keras_serializable(package="trainserve")
class RReLU(keras.layers.Layer):
    """Randomized leaky ReLU: a slope drawn uniformly in [lower, upper] for each
    activation while training, and the mean slope at inference, so serving is
    deterministic and a row's output never depends on its batch.
    """

    def __init__(
        self, lower: float = 1 / 8, upper: float = 1 / 3, seed: int | None = None, **kwargs
    ):
        super().__init__(**kwargs)
        if not 0.0 <= lower <= upper <= 1.0:
            raise ValueError(
                f"Received an invalid slope range for RReLU, expected "
                f"0 <= lower <= upper <= 1. Received: lower={lower}, upper={upper}"
            )
        self.lower, self.upper, self.seed = lower, upper, seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, inputs, training=False):
        if training:
            slope = keras.random.uniform(
                ops.shape(inputs),
                self.lower,
                self.upper,
                dtype=inputs.dtype,
                seed=self.seed_generator,
            )
        else:
            slope = (self.lower + self.upper) / 2
        return ops.where(inputs >= 0, inputs, inputs * slope)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self) -> dict:
        return {**super().get_config(), "lower": self.lower, "upper": self.upper, "seed": self.seed}


def make_activation(spec: ActivationSpec, name: str, seed: int) -> keras.layers.Layer:
    """The Keras layer of an activation spec."""
    if spec.name == "leaky_relu":
        alpha = 0.01 if spec.alpha is None else spec.alpha
        return keras.layers.LeakyReLU(negative_slope=alpha, name=name)
    if spec.name == "elu":
        return keras.layers.ELU(alpha=1.0 if spec.alpha is None else spec.alpha, name=name)
    if spec.name == "rrelu":
        lower, upper = spec.slope_range
        return RReLU(lower, upper, seed=seed, name=name)
    if spec.name == "prelu":
        # He et al. (2015) start the learned slope at 0.25.
        return keras.layers.PReLU(alpha_initializer=keras.initializers.Constant(0.25), name=name)
    return keras.layers.Activation(spec.name, name=name)


def make_initializer(spec: Initializer, seed: int) -> keras.initializers.Initializer:
    """A seeded kernel initializer; ``random_normal`` is N(0, 1), the pre-2010 default."""
    if not isinstance(spec, str):
        options = spec.variance_scaling
        return keras.initializers.VarianceScaling(
            scale=options.scale, mode=options.mode, distribution=options.distribution, seed=seed
        )
    if spec == "random_normal":
        return keras.initializers.RandomNormal(mean=0.0, stddev=1.0, seed=seed)
    classes = {
        "he_normal": keras.initializers.HeNormal,
        "he_uniform": keras.initializers.HeUniform,
        "glorot_normal": keras.initializers.GlorotNormal,
        "glorot_uniform": keras.initializers.GlorotUniform,
        "lecun_normal": keras.initializers.LecunNormal,
    }
    return classes[spec](seed=seed)
