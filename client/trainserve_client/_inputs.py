"""What the CLI reads: job specs (a file and/or flags), feature rows (.npy, .csv), the API key.

Everything here is pure apart from reading the named files; bad input raises ``InputError``
with a message that says what was received and what was expected.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np


class InputError(ValueError):
    """A spec, flag or input file the CLI cannot use (a usage error, exit status 2)."""


# flag (argparse dest) → spec field, for flags that copy their value as is
DIRECT_FLAGS = {
    "dataset": "dataset",
    "activation": "activation",
    "initializer": "kernel_initializer",
    "epochs": "epochs",
    "batch_size": "batch_size",
    "validation_split": "validation_split",
    "seed": "seed",
    "model_name": "model_name",
}


def parse_hidden(text: str) -> list[int]:
    """``"300,100"`` → ``[300, 100]``."""
    try:
        units = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        units = []
    if not units or min(units) < 1:
        raise InputError(
            f"--hidden: expected comma-separated positive layer sizes such as 300,100; "
            f"received {text!r}"
        )
    return units


def load_spec_file(path: str | Path) -> dict[str, Any]:
    """A job spec from a YAML or JSON file (JSON is read as JSON, anything else as YAML)."""
    import yaml

    path = Path(path)
    try:
        text = path.read_text()
    except OSError as error:
        raise InputError(f"cannot read the spec file {str(path)!r}: {error.strerror}") from None
    try:
        spec = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as error:
        raise InputError(
            f"{path}: not valid {'JSON' if path.suffix == '.json' else 'YAML'}: {error}"
        ) from None
    if not isinstance(spec, dict):
        raise InputError(
            f"{path}: expected a mapping of spec fields (dataset, hidden_layers, ...); "
            f"received {type(spec).__name__}"
        )
    return spec


def spec_from_flags(flags: Mapping[str, Any], base: dict[str, Any] | None = None) -> dict[str, Any]:
    """The job spec: ``base`` (from a spec file) with every flag that was given laid over it.

    ``flags`` maps argparse dests to values (None: not given); ``hidden`` is a
    ``"300,100"`` string, ``optimizer``/``learning_rate`` fill the ``optimizer`` object, and
    ``no_batch_norm`` turns batch normalization off.
    """
    spec = dict(base or {})
    for dest, field in DIRECT_FLAGS.items():
        if flags.get(dest) is not None:
            spec[field] = flags[dest]
    if flags.get("hidden") is not None:
        spec["hidden_layers"] = parse_hidden(flags["hidden"])
    if flags.get("no_batch_norm"):
        spec["batch_norm"] = False
    optimizer = {k: flags.get(k) for k in ("optimizer", "learning_rate")}
    if any(v is not None for v in optimizer.values()):
        merged = dict(spec.get("optimizer") or {})
        if optimizer["optimizer"] is not None:
            merged["name"] = optimizer["optimizer"]
        if optimizer["learning_rate"] is not None:
            merged["learning_rate"] = optimizer["learning_rate"]
        spec["optimizer"] = merged
    if flags.get("device") is not None:
        spec["execution"] = {**(spec.get("execution") or {}), "device": flags["device"]}
    if "dataset" not in spec:
        raise InputError("a job needs a data set: give --dataset NAME or a spec file with one")
    return spec


def load_rows(path: str | Path, drop_column: str | None = None) -> np.ndarray:
    """Feature rows, shape ``(rows, features)``, from a ``.npy`` or ``.csv`` file.

    A CSV may have a header (detected: a first row that is not all numbers); with
    ``drop_column`` that header's column is left out (e.g. the labels of a labelled CSV).
    """
    path = Path(path)
    if path.suffix == ".npy":
        rows = _load_npy(path)
    elif path.suffix == ".csv":
        rows = _load_csv(path, drop_column)
    else:
        raise InputError(f"{path}: expected a .npy or .csv file; received {path.suffix or 'none'}")
    if rows.ndim == 1:
        rows = rows[np.newaxis, :]
    if rows.ndim != 2 or rows.shape[0] == 0 or rows.shape[1] == 0:
        raise InputError(
            f"{path}: expected rows of features (a 2-D array); received shape {rows.shape}"
        )
    return rows


def _load_npy(path: Path) -> np.ndarray:
    try:
        rows = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as error:
        raise InputError(f"cannot read {path} as a NumPy array: {error}") from None
    if not np.issubdtype(rows.dtype, np.number):
        raise InputError(f"{path}: expected numbers; received an array of {rows.dtype}")
    return rows.astype(np.float64, copy=False)


def _load_csv(path: Path, drop_column: str | None) -> np.ndarray:
    try:
        with path.open(newline="") as handle:
            lines = [row for row in csv.reader(handle) if row]
    except OSError as error:
        raise InputError(f"cannot read {path}: {error.strerror}") from None
    if not lines:
        raise InputError(f"{path}: the file holds no rows")
    header = None if all(_is_number(cell) for cell in lines[0]) else lines.pop(0)
    if drop_column is not None:
        if header is None or drop_column not in header:
            raise InputError(f"{path}: no column named {drop_column!r} in the header {header}")
        index = header.index(drop_column)
        lines = [row[:index] + row[index + 1 :] for row in lines]
    widths = sorted({len(row) for row in lines})
    if len(widths) > 1:
        raise InputError(f"{path}: expected the same number of cells in every row; found {widths}")
    try:
        return np.array([[float(cell) for cell in row] for row in lines], dtype=np.float64)
    except ValueError as error:
        raise InputError(f"{path}: expected numbers in every cell; {error}") from None


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def find_api_key(environ: Mapping[str, str] | None = None) -> str | None:
    """``TRAINSERVE_API_KEY``, else the key a local ``trainserve up`` stored in its home
    (``$TRAINSERVE_HOME/api-key``, by default ``~/.trainserve/api-key``)."""
    environ = os.environ if environ is None else environ
    if environ.get("TRAINSERVE_API_KEY"):
        return environ["TRAINSERVE_API_KEY"]
    home = Path(environ.get("TRAINSERVE_HOME") or Path.home() / ".trainserve").expanduser()
    try:
        return (home / "api-key").read_text().strip() or None
    except OSError:
        return None
