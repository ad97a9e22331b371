"""Fast parsing and checking of predict bodies: orjson and NumPy, no per-element Pydantic.

Every refusal names the field and the position, what was received and what was expected.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

import numpy as np
import orjson

from service.errors import InvalidInput, short

MODEL_REF = re.compile(r"^([a-z0-9][a-z0-9_-]{0,63})(?::([a-z0-9][a-z0-9_-]{0,63}))?$")


def load_json(body: bytes) -> Any:
    """Parse a request body; NaN and Infinity get through, so the row check can name them."""
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as error:
        try:
            return json.loads(body)  # slower, but accepts NaN/Infinity literals
        except ValueError:
            raise InvalidInput(f"the request body is not valid JSON: {error}") from None


def json_object(body: bytes, allowed: set[str]) -> dict[str, Any]:
    value = load_json(body)
    if not isinstance(value, dict):
        raise InvalidInput(f"the request body must be a JSON object; received {short(value)}")
    unknown = sorted(set(value) - allowed)
    if unknown:
        raise InvalidInput(
            f"{unknown[0]}: unknown field; expected only: {', '.join(sorted(allowed))}"
        )
    return value


def parse_model_ref(value: Any) -> tuple[str, int | None, str | None]:
    """``name``, ``name:version`` or ``name:label`` → (name, version, label)."""
    match = MODEL_REF.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise InvalidInput(
            f"model: expected `name`, `name:version` or `name:label` (lower-case letters, "
            f"digits, '-' and '_'); received {short(value)}"
        )
    name, suffix = match.groups()
    if suffix is None:
        return name, None, None
    if suffix.isdigit():
        if int(suffix) < 1:
            raise InvalidInput(f"model: versions start at 1; received {value!r}")
        return name, int(suffix), None
    return name, None, suffix


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _explain(rows: list, field: str, n_features: int, model: str) -> str:
    for r, row in enumerate(rows):
        if not isinstance(row, list):
            return f"{field}[{r}]: expected a list of {n_features} numbers; received {short(row)}"
        if len(row) != n_features:
            return f"{field}[{r}] has {len(row)} features; {model} expects {n_features}"
        for c, value in enumerate(row):
            if not _is_number(value):
                return f"{field}[{r}][{c}]: expected a number; received {short(value)}"
            if not math.isfinite(value):
                return f"{field}[{r}][{c}]: expected a finite number; received {value}"
    return f"{field}: expected a list of rows of {n_features} numbers"


def rows_to_array(rows: Any, field: str, n_features: int, max_rows: int, model: str) -> np.ndarray:
    """Check ``rows`` (a list of feature rows) and return them as a float32 matrix."""
    if not isinstance(rows, list) or not rows:
        raise InvalidInput(
            f"{field}: expected a non-empty list of rows of {n_features} numbers; "
            f"received {short(rows)}"
        )
    if len(rows) > max_rows:
        raise InvalidInput(
            f"{field}: received {len(rows)} rows; at most {max_rows} are accepted per call"
        )
    try:
        array = np.array(rows)  # no dtype, so that strings and nested junk show up
    except ValueError:  # ragged rows
        array = None
    if array is None or array.ndim != 2 or array.dtype.kind not in "iuf":
        raise InvalidInput(_explain(rows, field, n_features, model))
    if array.shape[1] != n_features:
        raise InvalidInput(
            f"{field}[0] has {array.shape[1]} features; {model} expects {n_features}"
        )
    with np.errstate(over="ignore"):  # too large for float32 becomes inf, refused below
        array = array.astype(np.float32, copy=False)
    if not np.isfinite(array).all():
        r, c = (int(i) for i in np.argwhere(~np.isfinite(array))[0])
        raise InvalidInput(
            f"{field}[{r}][{c}]: expected a finite number (float32); received {rows[r][c]}"
        )
    return array


def model_label(record: dict[str, Any]) -> str:
    return f"model {record['name']!r} version {record['version']}"
