"""Native inference: ``POST /predict``."""

from __future__ import annotations

import numpy as np
import orjson
from fastapi import APIRouter, Request, Response

from service.auth import PREDICT
from service.errors import InvalidInput, short
from service.parsing import json_object, parse_model_ref
from service.predicting import probabilities, resolve
from service.schemas import PredictRequest, PredictResponse

router = APIRouter(tags=["predict"], dependencies=[PREDICT])

_BODY_SCHEMA = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": PredictRequest.model_json_schema()}},
    }
}


def _top_k(value: object, n_classes: int) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= n_classes:
        raise InvalidInput(
            f"top_k: expected an integer from 1 to {n_classes}; received {short(value)}"
        )
    return value


def _predictions(probs: np.ndarray, top_k: int | None, class_names: list[str]) -> list[dict]:
    labels = probs.argmax(axis=1)
    rows = [
        {"label": int(label), "probabilities": row}
        for label, row in zip(labels, probs, strict=True)
    ]
    if top_k:
        best = np.argsort(-probs, axis=1, kind="stable")[:, :top_k]
        for row, indices, p in zip(rows, best, probs, strict=True):
            row["top_k"] = [
                {"label": int(i), "class_name": class_names[i], "probability": float(p[i])}
                for i in indices
            ]
    return rows


@router.post("/predict", response_model=PredictResponse, openapi_extra=_BODY_SCHEMA)
async def predict(request: Request) -> Response:
    """Class probabilities and labels for each row, from a model's latest version, a
    version (`name:3`) or a label (`name:stable`); `top_k` adds the k likeliest classes."""
    body = json_object(await request.body(), {"model", "instances", "top_k"})
    name, version, label = parse_model_ref(body.get("model"))
    record = await resolve(request, name, version, label)
    top_k = _top_k(body.get("top_k"), record["n_classes"])
    probs = await probabilities(request, record, body.get("instances"), "instances")
    payload = {
        "model": {"name": record["name"], "version": record["version"]},
        "predictions": _predictions(probs, top_k, record["class_names"]),
    }
    return Response(
        orjson.dumps(payload, option=orjson.OPT_SERIALIZE_NUMPY), media_type="application/json"
    )
