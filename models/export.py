"""Export a trained network as a SavedModel that serves class probabilities.

The serving endpoint calls the network with ``training=False``, so batch
normalization uses its moving averages and a row's prediction never depends on
the rest of its batch. A version directory is written beside its final place and
renamed into it, so a half-written version can never be loaded.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from models.errors import ExportMismatch

SERVING_ENDPOINT = "serve"
METADATA_FILE = "trainserve.json"


def _serving_fn(network: keras.Model):
    def serve(features: tf.Tensor) -> dict[str, tf.Tensor]:
        logits = network(features, training=False)
        return {"probabilities": tf.nn.softmax(logits, axis=-1)}

    return serve


def inference_probabilities(network: keras.Model, features: np.ndarray) -> np.ndarray:
    """The network's class probabilities in inference mode, computed in memory."""
    logits = network(tf.constant(features, dtype=tf.float32), training=False)
    return tf.nn.softmax(logits, axis=-1).numpy()


def load_serving_fn(path: Path):
    """Load a version directory's serving function: float32 (batch, n) → probabilities."""
    loaded = tf.saved_model.load(str(path))
    return loaded, loaded.signatures["serving_default"]


def export_network(
    network: keras.Model,
    destination: Path,
    probe: np.ndarray,
    metadata: dict[str, Any],
    atol: float = 1e-5,
) -> Path:
    """Write ``network`` as a SavedModel at ``destination``, verified against ``probe``.

    Args:
        network: the trained network (outputs logits).
        destination: the version directory to create; must not exist yet.
        probe: a few feature rows; the reloaded SavedModel must reproduce the
            in-memory network's inference probabilities on them.
        metadata: JSON-serializable facts stored beside the SavedModel.
        atol: the largest tolerated absolute difference in probabilities.

    Returns:
        ``destination``.
    """
    destination = Path(destination)
    if destination.exists():
        raise FileExistsError(f"{destination} exists; a version is never overwritten")
    destination.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{destination.name}-", dir=destination.parent))
    try:
        n_features = network.input_shape[-1]
        archive = keras.export.ExportArchive()
        archive.track(network)
        archive.add_endpoint(
            name=SERVING_ENDPOINT,
            fn=_serving_fn(network),
            input_signature=[tf.TensorSpec([None, n_features], tf.float32, name="features")],
        )
        archive.write_out(str(staging), verbose=False)
        _verify(network, staging, probe, atol)
        (staging / METADATA_FILE).write_text(json.dumps(metadata, indent=2))
        staging.rename(destination)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return destination


def _verify(network: keras.Model, path: Path, probe: np.ndarray, atol: float) -> None:
    expected = inference_probabilities(network, probe)
    _, serve = load_serving_fn(path)
    served = serve(features=tf.constant(probe, dtype=tf.float32))["probabilities"].numpy()
    difference = float(np.max(np.abs(served - expected)))
    if not difference <= atol:
        raise ExportMismatch(
            f"the exported SavedModel's probabilities differ from the network's by "
            f"{difference:.3g} on the probe batch (tolerance {atol})"
        )
