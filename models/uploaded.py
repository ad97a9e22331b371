"""Data sets users upload, parsed and checked into arrays (NumPy; reads only the stream given).

A CSV has a header line; one column (``label`` unless told otherwise) holds the class
labels, every other column a numeric feature. An NPZ holds ``x`` (one row per example;
images are flattened) and ``y``, and optionally its own test split ``x_test``/``y_test``.
Labels are integers 0..n_classes-1, every class present, at least two. Each refusal is an
``InvalidUpload`` naming the form field or array at fault, what it received and what was
expected.
"""

from __future__ import annotations

import csv
import io
import math
import re
import warnings
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import PurePath
from typing import BinaryIO, Literal

import numpy as np

from models.errors import InvalidUpload

DATASET_NAME_PATTERN = r"^[a-z0-9][a-z0-9_.-]{0,63}$"
MIN_TRAIN_ROWS = 10
MAX_LABEL = 2**31 - 1
# Feature values an upload may hold once decompressed (an NPZ can be a zip bomb).
MAX_VALUES = 2**26
NPZ_ARRAYS = ("x", "y", "x_test", "y_test")
HEADER_READERS = {
    (1, 0): np.lib.format.read_array_header_1_0,
    (2, 0): np.lib.format.read_array_header_2_0,
}
Format = Literal["csv", "npz"]


@dataclass(frozen=True)
class ParsedUpload:
    """An upload's train and test splits: float32 feature rows, int64 labels."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    n_classes: int

    @property
    def n_features(self) -> int:
        return int(self.x_train.shape[1])


def upload_format(filename: str | None) -> Format:
    """``csv`` or ``npz``, from the uploaded file's name."""
    suffix = PurePath(filename or "").suffix.lower()
    if suffix not in (".csv", ".npz"):
        raise InvalidUpload(
            "file",
            f"expected a .csv or .npz file; received {filename or 'a file without a name'!r}",
        )
    return suffix[1:]  # type: ignore[return-value]


def valid_name(name: str) -> bool:
    """Whether ``name`` may name a data set (and so a directory: no ``/``, no newline)."""
    # fullmatch: the pattern's `$` alone would let a trailing newline through.
    return re.fullmatch(DATASET_NAME_PATTERN, name) is not None


def dataset_name(name: str | None, filename: str | None) -> str:
    """The name asked for, else the file name's stem in lower case; checked either way."""
    chosen = name if name is not None else PurePath(filename or "").stem.lower()
    if not valid_name(chosen):
        where = "" if name is not None else f" (taken from the file name {filename!r})"
        raise InvalidUpload(
            "name",
            f"expected a name matching {DATASET_NAME_PATTERN} (lower-case letters, digits, "
            f"_ . -, at most 64); received {chosen!r}{where}. Choose one with the `name` field",
        )
    return chosen


def parse_upload(
    kind: Format, stream: BinaryIO, label_column: str = "label", test_fraction: float = 0.2
) -> ParsedUpload:
    """Parse and check an uploaded file; ``stream`` must be seekable."""
    if kind == "csv":
        return parse_csv(stream, label_column, test_fraction)
    return parse_npz(stream, test_fraction)


def parse_csv(stream: BinaryIO, label_column: str = "label", test_fraction: float = 0.2):
    """A CSV with a header line, a label column and numeric feature columns.

    Example:
        >>> parse_csv(io.BytesIO(b"label,a\\n" + b"0,1\\n1,2\\n" * 8), test_fraction=0.1).n_classes
        2
    """
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    try:
        header = _csv_header(text, label_column)
        try:
            # float32 straight away: the features end as float32, and a copy of a big
            # upload in float64 would double what the API holds while it parses.
            with warnings.catch_warnings():  # no rows is refused below, by name
                warnings.simplefilter("ignore", UserWarning)
                table = np.loadtxt(text, delimiter=",", quotechar='"', ndmin=2, dtype=np.float32)
        except ValueError as error:
            raise _first_bad_cell(stream, header) or InvalidUpload("file", str(error)) from None
        if table.size and table.shape[1] != len(header):
            raise _first_bad_cell(stream, header) or InvalidUpload("file", "ragged rows")
    except UnicodeDecodeError as error:
        bad = error.object[error.start : error.start + 4]
        raise InvalidUpload("file", f"expected UTF-8 text; received the bytes {bad!r}") from None
    finally:
        text.detach()  # closing the wrapper would close the caller's stream
    table = table.reshape(-1, len(header))
    _enough_rows(len(table), len(table), "file")
    label_at = header.index(label_column)
    features = np.delete(table, label_at, axis=1)
    labels = _labels(table[:, label_at], "file", csv_column=label_column)
    x = _features(features, "file", columns=[c for c in header if c != label_column])
    return _split(x, labels, test_fraction, "file")


def _csv_header(text: io.TextIOWrapper, label_column: str) -> list[str]:
    header = [cell.strip() for cell in next(csv.reader([text.readline()]), [])]
    if not any(header):
        raise InvalidUpload(
            "file", "the CSV is empty; expected a header line, then one row per example"
        )
    if label_column not in header:
        shown = ", ".join(repr(c) for c in header[:8]) + (", ..." if len(header) > 8 else "")
        raise InvalidUpload(
            "label_column",
            f"no column {label_column!r} in the CSV header; received a header of {shown}. "
            "Put a header line first and name the label column with `label_column`",
        )
    if header.count(label_column) > 1:
        raise InvalidUpload("label_column", f"the CSV header has {label_column!r} twice")
    if len(header) < 2:
        raise InvalidUpload("file", "expected at least one feature column beside the labels")
    return header


def _first_bad_cell(stream: BinaryIO, header: list[str]) -> InvalidUpload | None:
    """Find what NumPy's fast parser refused, to name its line and column."""
    stream.seek(0)
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    try:
        for line, row in enumerate(csv.reader(text), start=1):
            if line == 1 or not row:
                continue
            if len(row) != len(header):
                return InvalidUpload(
                    "file",
                    f"line {line} has {len(row)} cells; expected {len(header)}, one per column "
                    "of the header",
                )
            for column, cell in zip(header, row, strict=True):
                try:
                    float(cell)
                except ValueError:
                    return InvalidUpload(
                        "file",
                        f"line {line}, column {column!r}: received {cell[:40]!r}; expected a "
                        "number (features and labels must be numeric)",
                    )
    finally:
        text.detach()
    return None


def parse_npz(stream: BinaryIO, test_fraction: float = 0.2) -> ParsedUpload:
    """An NPZ archive with ``x`` and ``y``, optionally ``x_test`` and ``y_test``."""
    try:
        archive = zipfile.ZipFile(stream)
    except zipfile.BadZipFile:
        raise InvalidUpload(
            "file", "expected an NPZ archive (as numpy.savez writes); this is not a zip file"
        ) from None
    with archive:
        members = {PurePath(n).stem: n for n in archive.namelist() if n.endswith(".npy")}
        unexpected = sorted(set(members) - set(NPZ_ARRAYS)) or [
            n for n in archive.namelist() if not n.endswith(".npy")
        ]
        if unexpected:
            raise InvalidUpload(
                unexpected[0],
                f"unexpected array {unexpected[0]!r} in the NPZ; expected x and y, "
                "optionally x_test and y_test",
            )
        for needed in ("x", "y"):
            if needed not in members:
                raise InvalidUpload(
                    needed,
                    f"the NPZ has no array {needed!r} (it has: {', '.join(members) or 'none'}); "
                    "expected x (features, one row per example) and y (labels)",
                )
        if ("x_test" in members) != ("y_test" in members):
            missing = "y_test" if "x_test" in members else "x_test"
            raise InvalidUpload(missing, "expected x_test and y_test together, or neither")
        try:
            arrays = {key: _read_npy(archive, member, key) for key, member in members.items()}
        except (zipfile.BadZipFile, EOFError, zlib.error) as error:  # bad CRC, bad or cut data
            raise InvalidUpload("file", f"the NPZ archive is damaged ({error})") from None
    x = _features(_rows(arrays["x"], "x"), "x")
    y = _labels(_column(arrays["y"], "y", len(x)), "y")
    if "x_test" not in arrays:
        return _split(x, y, test_fraction, "x")
    x_test = _features(_rows(arrays["x_test"], "x_test"), "x_test")
    if x_test.shape[1] != x.shape[1]:
        raise InvalidUpload(
            "x_test", f"rows have {x_test.shape[1]} features; expected {x.shape[1]}, as in x"
        )
    y_test = _labels(_column(arrays["y_test"], "y_test", len(x_test)), "y_test", require_all=False)
    _enough_rows(len(x), len(x), "x")
    n_classes = int(y.max()) + 1
    if y_test.max() >= n_classes:
        raise InvalidUpload(
            "y_test",
            f"received the label {int(y_test.max())}; expected labels 0..{n_classes - 1}, "
            "the classes of y",
        )
    return ParsedUpload(x, y, x_test, y_test, n_classes)


def _read_npy(archive: zipfile.ZipFile, member: str, key: str) -> np.ndarray:
    """One array, its header checked before anything is decompressed."""
    with archive.open(member) as head:
        try:
            version = np.lib.format.read_magic(head)
            read_header = HEADER_READERS.get(version)
            if read_header is None:
                raise ValueError(f".npy format version {version}; expected 1.0 or 2.0")
            shape, _, dtype = read_header(head)
        except ValueError as error:
            raise InvalidUpload(key, f"not a readable .npy array ({error})") from None
    if dtype.kind not in "biuf":
        raise InvalidUpload(
            key, f"received an array of dtype {dtype}; expected numbers (bool, int or float)"
        )
    if math.prod(shape) > MAX_VALUES:
        raise InvalidUpload(
            key, f"received shape {shape}; expected at most {MAX_VALUES:,} values per array"
        )
    with archive.open(member) as body:
        try:
            return np.lib.format.read_array(body, allow_pickle=False)
        except ValueError as error:  # fewer bytes than its header promised
            raise InvalidUpload(key, f"not a readable .npy array ({error})") from None


def _rows(array: np.ndarray, field: str) -> np.ndarray:
    if array.ndim < 2 or array.shape[0] == 0 or math.prod(array.shape[1:]) == 0:
        raise InvalidUpload(
            field,
            f"received shape {array.shape}; expected (n_rows, n_features), one row per "
            "example (images such as (n, 28, 28) are flattened)",
        )
    return array.reshape(len(array), -1)


def _column(array: np.ndarray, field: str, rows: int) -> np.ndarray:
    flat = array.reshape(-1) if array.ndim == 2 and array.shape[1:] == (1,) else array
    if flat.ndim != 1:
        raise InvalidUpload(field, f"received shape {array.shape}; expected ({rows},), one label")
    if len(flat) != rows:
        x_name = "x_test" if field == "y_test" else "x"
        raise InvalidUpload(
            field, f"received {len(flat)} labels; expected {rows}, one per row of {x_name}"
        )
    return flat


def _features(values: np.ndarray, field: str, columns: list[str] | None = None) -> np.ndarray:
    with np.errstate(over="ignore"):  # values beyond float32's range become inf: refused
        x = values.astype(np.float32, copy=False)
    bad = ~np.isfinite(x)
    if bad.any():
        row, col = (int(i) for i in np.argwhere(bad)[0])
        where = (
            f"column {columns[col]!r}, line {row + 2}" if columns else f"row {row}, column {col}"
        )
        raise InvalidUpload(
            field,
            f"received {int(bad.sum())} NaN or infinite values (the first at {where}: "
            f"{values[row, col]}); expected finite numbers (float32's range)",
        )
    return x


def _labels(
    values: np.ndarray, field: str, csv_column: str | None = None, require_all=True
) -> np.ndarray:
    """Integer class labels 0..n_classes-1 (every class present, at least two)."""
    column = f"column {csv_column!r}" if csv_column else ""
    if values.dtype.kind == "b":
        values = values.astype(np.int64)
    finite = np.isfinite(values) if values.dtype.kind == "f" else np.ones(len(values), bool)
    # Bounded before the cast to int64: 1e30 or 2**64-1 would wrap to a negative label.
    whole = finite & (np.round(values) == values) & (values >= 0) & (values <= MAX_LABEL)
    if not whole.all():
        bad = int(np.argmin(whole))
        where = f"{column}, line {bad + 2}" if csv_column else f"row {bad}"
        raise InvalidUpload(
            field,
            f"{where}: received the label {values[bad]}; expected integer class labels "
            "0..n_classes-1",
        )
    labels = values.astype(np.int64)
    present = np.unique(labels)
    prefix = f"{column}: " if column else ""
    if require_all and len(present) < 2:
        raise InvalidUpload(
            field, f"{prefix}received only class {present[0]}; expected at least 2 classes"
        )
    if require_all and len(present) != present[-1] + 1:
        # Look no further than needed: a label of 10**30 must not build a range of that size.
        candidates = np.arange(min(int(present[-1]) + 1, len(present) + 5))
        missing = np.setdiff1d(candidates, present)[:5].tolist()
        raise InvalidUpload(
            field,
            f"{prefix}received labels {present[0]}..{present[-1]} with no rows of class "
            f"{', '.join(map(str, missing))}; expected every class 0..n_classes-1 "
            "(labels counted from 1? subtract 1)",
        )
    return labels


def _split(x: np.ndarray, y: np.ndarray, test_fraction: float, field_x: str) -> ParsedUpload:
    """Hold out ``test_fraction`` of the rows as the test split, stratified when it can."""
    from sklearn.model_selection import train_test_split

    if not 0.0 < test_fraction <= 0.5:
        raise InvalidUpload(
            "test_fraction",
            f"received {test_fraction}; expected a fraction in (0, 0.5] to hold out for "
            "testing (0 only when the upload has its own test split, x_test and y_test)",
        )
    n_test = math.ceil(len(x) * test_fraction)
    _enough_rows(len(x) - n_test, len(x), field_x, test_fraction)
    counts = np.bincount(y)
    stratify = y if counts.min() >= 2 and n_test >= len(counts) else None
    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=n_test, random_state=0, stratify=stratify
    )
    # Counted before splitting: a class with one row may land in the test split only.
    return ParsedUpload(x_train, y_train, x_test, y_test, len(counts))


def _enough_rows(n_train: int, n_rows: int, field: str, test_fraction: float | None = None):
    if n_train < MIN_TRAIN_ROWS:
        held = f", {n_train} for training after holding out test_fraction" if test_fraction else ""
        raise InvalidUpload(
            field,
            f"received {n_rows} rows{held}; expected at least {MIN_TRAIN_ROWS} training rows",
        )
