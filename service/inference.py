"""The inference engine: loads each published version once and runs its serving function.

SavedModels are loaded with ``tf.saved_model.load`` and called through their
serving signature (a concrete function with a fixed ``(None, n_features)`` float32
input), which costs well under a millisecond a call, where ``model.predict`` costs
tens. Loading happens once per version; the least recently used are dropped.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any

import numpy as np

from service.errors import InvalidInput, NotFound


class InferenceEngine:
    """A bounded cache of loaded versions, keyed by ``(name, version)``."""

    def __init__(self, artifacts_root: Path, cache_size: int = 8, tf_threads: int = 1):
        self.artifacts_root = artifacts_root.resolve()
        self.cache_size = cache_size
        self.tf_threads = tf_threads
        self._loaded: OrderedDict[tuple[str, int], Any] = OrderedDict()
        self._lock = threading.Lock()
        self._tf = None

    def _tensorflow(self):
        # Imported on first use so the API starts fast; thread pools can only be
        # sized before TensorFlow's runtime starts.
        if self._tf is None:
            import tensorflow as tf

            if self.tf_threads:
                tf.config.threading.set_intra_op_parallelism_threads(self.tf_threads)
                tf.config.threading.set_inter_op_parallelism_threads(self.tf_threads)
            self._tf = tf
        return self._tf

    def warm_up(self) -> None:
        """Import and configure TensorFlow now, so the first prediction does not wait for it."""
        with self._lock:
            self._tensorflow()

    def _version_dir(self, record: dict[str, Any]) -> Path:
        path = (self.artifacts_root / record["path"]).resolve()
        if not path.is_relative_to(self.artifacts_root):
            raise NotFound(f"model {record['name']!r} version {record['version']} has a bad path")
        if not path.is_dir():
            raise NotFound(
                f"the files of model {record['name']!r} version {record['version']} are missing "
                f"from {self.artifacts_root}"
            )
        return path

    def _serving_fn(self, record: dict[str, Any]):
        key = (record["name"], int(record["version"]))
        with self._lock:
            if key in self._loaded:
                self._loaded.move_to_end(key)
                return self._loaded[key][1]
            tf = self._tensorflow()
            loaded = tf.saved_model.load(str(self._version_dir(record)))
            serve = loaded.signatures["serving_default"]
            serve(features=tf.zeros([1, record["n_features"]], tf.float32))  # warm up
            self._loaded[key] = (loaded, serve)
            while len(self._loaded) > self.cache_size:
                self._loaded.popitem(last=False)
            return serve

    def predict(self, record: dict[str, Any], instances: list[list[float]]) -> np.ndarray:
        """Class probabilities for ``instances`` (rows of raw features)."""
        expected = record["n_features"]
        for index, row in enumerate(instances):
            if len(row) != expected:
                raise InvalidInput(
                    f"instances[{index}] has {len(row)} features; model {record['name']!r} "
                    f"version {record['version']} expects {expected}"
                )
        serve = self._serving_fn(record)
        features = self._tf.constant(np.asarray(instances, dtype=np.float32))
        return serve(features=features)["probabilities"].numpy()
