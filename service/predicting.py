"""What every predict route shares: resolve the model, check the rows, run the engine."""

from __future__ import annotations

from typing import Any

import numpy as np
from fastapi import Request

from service.errors import InvalidInput
from service.parsing import model_label, rows_to_array


async def resolve(
    request: Request, name: str, version: int | None = None, label: str | None = None
) -> dict[str, Any]:
    return await request.app.state.resolver.resolve(name, version, label)


async def probabilities(
    request: Request, record: dict[str, Any], rows: Any, field: str
) -> np.ndarray:
    """Check ``rows`` against ``record``'s input width and return the model's output."""
    settings = request.app.state.settings
    matrix = rows_to_array(
        rows, field, record["n_features"], settings.predict_max_instances, model_label(record)
    )
    output = await request.app.state.engine.predict(record, matrix)
    if not np.isfinite(output).all():
        row = int(np.argwhere(~np.isfinite(output))[0][0])
        raise InvalidInput(
            f"{field}[{row}]: the values are too large for this model (its output overflows); "
            f"send features in the data set's units, e.g. 0-255 for pixels"
        )
    return output
