"""The inference engine: loads each published version once and serves it, batched.

SavedModels are loaded with ``tf.saved_model.load`` and called through their
serving signature (a concrete function with a fixed ``(None, n_features)`` float32
input), which costs a fraction of a millisecond a call where ``model.predict`` costs
tens. Each loaded version has a ``MicroBatcher``; every inference call runs on one
dedicated thread, off the event loop. The least recently used versions are dropped.
"""

from __future__ import annotations

import asyncio
import gc
import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from service.batching import MicroBatcher
from service.errors import NotFound, Unavailable
from trainserve.integrity import tree_digest
from trainserve.registry import LABEL_PATTERN


def _freeze_long_lived_objects() -> None:
    # TensorFlow leaves millions of objects behind; every full garbage collection would
    # walk them all, a pause of a few hundred milliseconds under load. Frozen objects
    # are never scanned again.
    gc.collect()
    gc.freeze()


@dataclass
class LoadedVersion:
    module: Any  # keeps the SavedModel's variables alive
    infer: Any
    batcher: MicroBatcher


class InferenceEngine:
    """A bounded cache of loaded versions, keyed by ``(name, version)``."""

    def __init__(
        self,
        artifacts_root: Path,
        cache_size: int = 8,
        tf_threads: int = 1,
        batching: bool = True,
        max_batch_size: int = 256,
        batch_wait: float = 0.0,
        on_batch: Callable[[int, int], None] | None = None,
    ):
        self.artifacts_root = artifacts_root.resolve()
        self.cache_size, self.tf_threads = cache_size, tf_threads
        self.batching, self.max_batch_size, self.batch_wait = batching, max_batch_size, batch_wait
        self.on_batch = on_batch  # (rows, requests) of each inference call
        self._loaded: OrderedDict[tuple[str, int], LoadedVersion] = OrderedDict()
        self._loading: dict[tuple[str, int], asyncio.Future] = {}
        self._tf_lock = threading.Lock()
        self._tf = None
        self._inference_thread = ThreadPoolExecutor(1, thread_name_prefix="inference")

    def _tensorflow(self):
        # Imported on first use so the API starts fast; thread pools can only be
        # sized before TensorFlow's runtime starts.
        with self._tf_lock:
            if self._tf is None:
                import tensorflow as tf

                if self.tf_threads:
                    tf.config.threading.set_intra_op_parallelism_threads(self.tf_threads)
                    tf.config.threading.set_inter_op_parallelism_threads(self.tf_threads)
                self._tf = tf
            return self._tf

    def warm_up(self) -> None:
        """Import and configure TensorFlow now, so the first prediction does not wait for it."""
        self._tensorflow()
        _freeze_long_lived_objects()

    def version_dir(self, record: dict[str, Any]) -> Path:
        """Built from the checked name and the integer version, never from a stored path."""
        name, version = str(record["name"]), int(record["version"])
        models = self.artifacts_root / "models"
        path = (models / name / str(version)).resolve()
        if not LABEL_PATTERN.fullmatch(name) or path.parent.parent != models.resolve():
            raise NotFound(f"model {name!r} version {version} has a bad path")
        return path

    def _load(self, record: dict[str, Any]) -> tuple[Any, Any]:
        tf = self._tensorflow()
        path = self.version_dir(record)
        if not path.is_dir():
            raise NotFound(
                f"the files of model {record['name']!r} version {record['version']} are missing "
                f"from {self.artifacts_root}"
            )
        expected = record.get("sha256")
        if expected is None or tree_digest(path) != expected:
            raise Unavailable(
                f"model {record['name']!r} version {record['version']} failed its integrity "
                "check: its files changed since it was published, so it will not be loaded"
            )
        from models.export import load_serving_fn

        module, serve = load_serving_fn(path)

        def infer(rows: np.ndarray) -> np.ndarray:
            return serve(features=tf.constant(rows))["probabilities"].numpy()

        infer(np.zeros((1, record["n_features"]), np.float32))  # warm up: trace and allocate
        _freeze_long_lived_objects()
        return module, infer

    async def _version(self, record: dict[str, Any]) -> LoadedVersion:
        key = (record["name"], int(record["version"]))
        if key in self._loaded:
            self._loaded.move_to_end(key)
            return self._loaded[key]
        if key not in self._loading:  # concurrent first requests share one load
            loop = asyncio.get_running_loop()
            self._loading[key] = loop.run_in_executor(None, self._load, record)
        try:
            # Shielded: one client going away must not cancel the load the others await.
            module, infer = await asyncio.shield(self._loading[key])
        finally:
            self._loading.pop(key, None)
        if key not in self._loaded:
            batcher = MicroBatcher(
                infer, self._inference_thread, self.max_batch_size, self.batch_wait, self.on_batch
            )
            self._loaded[key] = LoadedVersion(module, infer, batcher)
            while len(self._loaded) > self.cache_size:
                self._loaded.popitem(last=False)[1].batcher.close()
        return self._loaded[key]

    async def predict(self, record: dict[str, Any], rows: np.ndarray) -> np.ndarray:
        """Class probabilities for ``rows`` (a float32 matrix of raw features)."""
        loaded = await self._version(record)
        if self.batching:
            return await loaded.batcher.submit(rows)
        if self.on_batch is not None:
            self.on_batch(len(rows), 1)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._inference_thread, loaded.infer, rows)

    def evict(self, name: str, version: int) -> None:
        loaded = self._loaded.pop((name, version), None)
        if loaded is not None:
            loaded.batcher.close()

    def close(self) -> None:
        for loaded in self._loaded.values():
            loaded.batcher.close()
        self._loaded.clear()
        self._inference_thread.shutdown(wait=False)
