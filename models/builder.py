"""Build a Keras network from a training spec, the way the chapter does it."""

from __future__ import annotations

import keras

from models.spec import TrainingSpec


def build_network(
    spec: TrainingSpec, n_features: int, n_classes: int, feature_scale: float = 1.0
) -> keras.Model:
    """Build the feed-forward classifier described by ``spec``; it outputs logits.

    Each hidden layer is ``Dense`` (the spec's kernel initializer, no bias when batch
    normalization follows, since BN's beta replaces it) → ``BatchNormalization`` →
    activation. The first layer divides the raw features by ``feature_scale``, so the
    exported network takes features as the data set stores them.

    Args:
        spec: the training spec (architecture fields are used).
        n_features: width of an input row.
        n_classes: number of output classes (logits).
        feature_scale: the largest raw feature value (255 for pixels).

    Returns:
        An uncompiled ``keras.Model`` mapping ``(batch, n_features)`` to logits.

    Example:
        >>> network = build_network(TrainingSpec(dataset="digits"), 64, 10, 16.0)
        >>> network.output_shape
        (None, 10)
    """
    keras.utils.set_random_seed(spec.seed)
    bn = spec.batch_norm
    inputs = keras.Input(shape=(n_features,), name="features")
    x = keras.layers.Rescaling(1.0 / feature_scale, name="rescale")(inputs)
    for index, units in enumerate(spec.hidden_layers, start=1):
        x = keras.layers.Dense(
            units,
            kernel_initializer=spec.kernel_initializer,
            use_bias=not bn.enabled,
            name=f"hidden{index}",
        )(x)
        if bn.enabled:
            x = keras.layers.BatchNormalization(
                momentum=bn.momentum, epsilon=bn.epsilon, name=f"hidden{index}_bn"
            )(x)
        x = keras.layers.Activation(spec.activation, name=f"hidden{index}_{spec.activation}")(x)
    logits = keras.layers.Dense(n_classes, name="logits")(x)
    return keras.Model(inputs, logits, name="trainserve_network")


def build_optimizer(spec: TrainingSpec) -> keras.optimizers.Optimizer:
    """The optimizer named in the spec, with its learning rate."""
    options = spec.optimizer
    if options.name == "sgd":
        return keras.optimizers.SGD(
            learning_rate=options.learning_rate,
            momentum=options.momentum,
            nesterov=options.nesterov,
        )
    classes = {
        "adam": keras.optimizers.Adam,
        "rmsprop": keras.optimizers.RMSprop,
        "nadam": keras.optimizers.Nadam,
        "adagrad": keras.optimizers.Adagrad,
    }
    return classes[options.name](learning_rate=options.learning_rate)
