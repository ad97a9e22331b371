"""Per-epoch checkpoints: weights, optimizer state and history, so a job can resume.

Epoch ``n`` is written as ``epoch-000n.keras`` (the whole compiled network, optimizer
included) and then ``epoch-000n.json`` (its history); each file goes to a temporary
name first and is renamed, so the newest epoch with both files is always complete.
Older epochs are removed once a newer one is complete. Keras is imported only by the
functions that need it: the worker's main process reads checkpoints without TensorFlow.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import uuid
from pathlib import Path
from typing import Any

_NAME = re.compile(r"^epoch-(\d{6})\.json$")


def _temporary(path: Path, suffix: str = ".tmp") -> Path:
    # Unique per process and call: two deliveries of one job never share a temporary.
    return path.with_name(f"{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}{suffix}")


def _write_atomically(path: Path, write) -> None:
    temporary = _temporary(path)
    write(temporary)
    os.replace(temporary, path)


def save_checkpoint(network, directory: Path, history: list[dict[str, Any]]) -> None:
    """Checkpoint ``network`` after epoch ``len(history)``."""
    directory.mkdir(parents=True, exist_ok=True)
    stem = f"epoch-{len(history):06d}"
    # Keras picks the format from the suffix, so the temporary file keeps `.keras`.
    temporary = _temporary(directory / stem, ".keras")
    network.save(temporary)
    os.replace(temporary, directory / f"{stem}.keras")
    _write_atomically(directory / f"{stem}.json", lambda p: p.write_text(json.dumps(history)))
    for old in directory.glob("epoch-*"):
        match = re.match(r"^epoch-(\d{6})\.(json|keras)$", old.name)
        if match and int(match.group(1)) < len(history):  # never a newer one
            old.unlink(missing_ok=True)


def checkpoint_history(directory: Path) -> list[dict[str, Any]]:
    """The history saved with the newest complete checkpoint ([] when there is none)."""
    epoch = latest_epoch(directory)
    return json.loads((directory / f"epoch-{epoch:06d}.json").read_text()) if epoch else []


def latest_epoch(directory: Path) -> int:
    """The newest complete checkpoint's epoch, 0 when there is none."""
    if not directory.is_dir():
        return 0
    epochs = [int(m.group(1)) for p in directory.iterdir() if (m := _NAME.match(p.name))]
    complete = [e for e in epochs if (directory / f"epoch-{e:06d}.keras").is_file()]
    return max(complete, default=0)


def load_checkpoint(directory: Path) -> tuple[Any, list[dict[str, Any]]] | None:
    """The newest complete checkpoint's network (a compiled Keras model) and history."""
    import keras

    import models.layers  # noqa: F401  (registers RReLU for deserialization)

    epoch = latest_epoch(directory)
    if epoch == 0:
        return None
    stem = directory / f"epoch-{epoch:06d}"
    network = keras.saving.load_model(f"{stem}.keras")
    return network, json.loads(Path(f"{stem}.json").read_text())


def remove_checkpoints(directory: Path) -> None:
    shutil.rmtree(directory, ignore_errors=True)
