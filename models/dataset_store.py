"""Uploaded data sets on disk, shared by the API (which writes them) and the workers.

Each lives in ``<root>/<name>/``: ``data.npz`` (float32 ``x_train``/``x_test``, int64
``y_train``/``y_test``) and ``meta.json``. An upload is written to a hidden temporary
directory and renamed into place, so a failed upload leaves nothing behind, readers never
see half a data set, and a name once taken is never overwritten. A deletion renames the
directory away first, for the same reasons.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from models.datasets import BUILTIN_DATASETS, Dataset
from models.errors import DatasetExists, DatasetNotFound
from models.uploaded import ParsedUpload, dataset_name, valid_name

STALE_SECONDS = 3600  # temporary directories older than this were left by a crash


class DatasetStore:
    """Save, list, read, load and delete the uploaded data sets under ``root``."""

    def __init__(self, root: Path | str):
        self.root = Path(root)

    def _dir(self, name: str) -> Path:
        # Names are checked before they become paths, and the path must stay under the root.
        if not valid_name(name):
            raise DatasetNotFound(f"no uploaded data set named {name!r}")
        return self.root / name

    def save(self, name: str, data: ParsedUpload, **meta: Any) -> dict[str, Any]:
        """Store ``data`` as ``name``; ``meta`` (format, size_bytes, ...) goes with it.

        Raises:
            DatasetExists: the name is a built-in's or an earlier upload's.
            InvalidUpload: the name is not one a data set may have.
        """
        self.check_free(dataset_name(name, None))
        self.root.mkdir(parents=True, exist_ok=True)
        self._sweep()
        staging = Path(tempfile.mkdtemp(prefix=".upload-", dir=self.root))
        try:
            record = self._write(staging, name, data, meta)
            try:
                os.rename(staging, self._dir(name))  # atomic; refuses a non-empty target
            except OSError:
                raise DatasetExists(_taken(name)) from None
            _fsync(self.root)
            return record
        finally:
            shutil.rmtree(staging, ignore_errors=True)  # gone already after the rename

    def _write(self, staging: Path, name: str, data: ParsedUpload, meta: dict) -> dict[str, Any]:
        arrays = {"x_train": data.x_train, "y_train": data.y_train}
        arrays.update(x_test=data.x_test, y_test=data.y_test)
        with open(staging / "data.npz", "wb") as out:
            np.savez(out, **arrays)
            out.flush()
            os.fsync(out.fileno())
        largest = float(np.abs(data.x_train).max())
        record = {
            **meta,
            "name": name,
            "n_train": len(data.x_train),
            "n_test": len(data.x_test),
            "n_features": data.n_features,
            "n_classes": data.n_classes,
            "feature_scale": largest if largest > 0 else 1.0,
            "sha256": _sha256(staging / "data.npz"),
            "created_at": datetime.now(timezone.utc)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
        }
        with open(staging / "meta.json", "w") as out:
            json.dump(record, out)
            out.flush()
            os.fsync(out.fileno())
        return record

    def check_free(self, name: str) -> None:
        if name in BUILTIN_DATASETS or self.exists(name):
            raise DatasetExists(_taken(name))

    def exists(self, name: str) -> bool:
        try:
            return (self._dir(name) / "meta.json").is_file()
        except DatasetNotFound:
            return False

    def meta(self, name: str) -> dict[str, Any]:
        """The data set's metadata (shape, sizes, ``feature_scale``, ``sha256``)."""
        try:
            return json.loads((self._dir(name) / "meta.json").read_text())
        except (FileNotFoundError, NotADirectoryError):  # a stray file is no data set
            raise DatasetNotFound(_unknown(name)) from None

    def shape(self, name: str) -> tuple[int, int] | None:
        """``(n_features, n_classes)`` of an uploaded data set, None if there is none."""
        try:
            meta = self.meta(name)
        except DatasetNotFound:
            return None
        return meta["n_features"], meta["n_classes"]

    def list(self) -> list[dict[str, Any]]:
        """Every uploaded data set's metadata, by name."""
        if not self.root.is_dir():
            return []
        found = []
        for entry in sorted(self.root.iterdir()):
            if entry.name.startswith("."):
                continue
            with contextlib.suppress(DatasetNotFound):  # deleted while we looked
                found.append(self.meta(entry.name))
        return found

    def load(self, name: str) -> Dataset:
        """The data set as the training code takes it."""
        meta = self.meta(name)
        try:
            with np.load(self._dir(name) / "data.npz", allow_pickle=False) as arrays:
                splits = {key: arrays[key] for key in ("x_train", "y_train", "x_test", "y_test")}
        except (FileNotFoundError, NotADirectoryError):
            raise DatasetNotFound(_unknown(name)) from None
        classes = tuple(str(c) for c in range(meta["n_classes"]))
        return Dataset(
            name=name, feature_scale=meta["feature_scale"], class_names=classes, **splits
        )

    def delete(self, name: str) -> None:
        """Remove a data set (jobs that use it must be refused first, by the caller)."""
        trash = self.root / f".trash-{uuid.uuid4().hex}"
        try:
            os.rename(self._dir(name), trash)
        except FileNotFoundError:
            raise DatasetNotFound(_unknown(name)) from None
        shutil.rmtree(trash, ignore_errors=True)

    def _sweep(self) -> None:
        """Remove what crashed uploads and deletions left behind."""
        cutoff = time.time() - STALE_SECONDS
        for entry in self.root.glob(".*-*"):
            with contextlib.suppress(OSError):
                if (
                    entry.name.startswith((".upload-", ".trash-"))
                    and entry.stat().st_mtime < cutoff
                ):
                    shutil.rmtree(entry, ignore_errors=True)


def _taken(name: str) -> str:
    if name in BUILTIN_DATASETS:
        return f"{name!r} is a built-in data set; choose another name for the upload"
    return f"a data set named {name!r} already exists; delete it first or choose another name"


def _unknown(name: str) -> str:
    return f"no uploaded data set named {name!r} (it may have been deleted)"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(2**20), b""):
            digest.update(block)
    return digest.hexdigest()


def _fsync(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
