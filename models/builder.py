"""Build a Keras network from a training spec, the way the chapter does it."""

from __future__ import annotations

import keras

from models.layers import make_activation, make_initializer
from models.spec import BatchNormSpec, TrainingSpec


def _batch_norm(options: BatchNormSpec, name: str) -> keras.layers.BatchNormalization:
    return keras.layers.BatchNormalization(
        momentum=options.momentum, epsilon=options.epsilon,
        center=options.center, scale=options.scale, name=name,
    )  # fmt: skip


def build_network(
    spec: TrainingSpec, n_features: int, n_classes: int, feature_scale: float = 1.0
) -> keras.Model:
    """Build the feed-forward classifier described by ``spec``; it outputs logits.

    Each hidden layer ``i`` is ``hidden{i}`` (``Dense`` with its kernel initializer; no
    bias when batch normalization follows, since BN's beta replaces it), ``hidden{i}_bn``
    and ``hidden{i}_act``, with BN before the activation (the chapter's placement) or
    after it. The first layer divides the raw features by ``feature_scale``, so the
    exported network takes features as the data set stores them. Layers are seeded
    from ``spec.seed``: the same spec builds the same network.

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
    if bn.enabled and bn.inputs:
        x = _batch_norm(bn, "inputs_bn")(x)
    for index, layer in enumerate(spec.layers(), start=1):
        bn_before = bn.enabled and bn.placement == "before"
        x = keras.layers.Dense(
            layer.units,
            kernel_initializer=make_initializer(layer.kernel_initializer, spec.seed + index),
            use_bias=not bn_before,
            name=f"hidden{index}",
        )(x)
        if bn_before:
            x = _batch_norm(bn, f"hidden{index}_bn")(x)
        x = make_activation(layer.activation, f"hidden{index}_act", spec.seed + index)(x)
        if bn.enabled and bn.placement == "after":
            x = _batch_norm(bn, f"hidden{index}_bn")(x)
    logits = keras.layers.Dense(
        n_classes,
        kernel_initializer=make_initializer("glorot_uniform", spec.seed),
        dtype="float32",  # under mixed precision, logits and softmax stay in float32
        name="logits",
    )(x)
    if bn.enabled and bn.logits:
        logits = _batch_norm(bn, "logits_bn")(logits)
    return keras.Model(inputs, logits, name="trainserve_network")


def build_optimizer(spec: TrainingSpec) -> keras.optimizers.Optimizer:
    """The optimizer named in the spec, with its learning rate and clipping."""
    options = spec.optimizer
    clipping = {"clipnorm": options.clipnorm, "clipvalue": options.clipvalue}
    if options.name == "sgd":
        return keras.optimizers.SGD(
            learning_rate=options.learning_rate,
            momentum=options.momentum,
            nesterov=options.nesterov,
            **clipping,
        )
    if options.name == "rmsprop":
        return keras.optimizers.RMSprop(
            learning_rate=options.learning_rate, momentum=options.momentum, **clipping
        )
    classes = {
        "adam": keras.optimizers.Adam,
        "nadam": keras.optimizers.Nadam,
        "adagrad": keras.optimizers.Adagrad,
    }
    return classes[options.name](learning_rate=options.learning_rate, **clipping)
