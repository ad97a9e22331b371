"""TensorFlow Serving's REST API, so its clients work by changing only the base URL.

``GET /v1/models/{name}[/versions/{v}|/labels/{l}]`` (status), ``.../metadata``, and
``POST /v1/models/{name}[/versions/{v}|/labels/{l}]:predict`` with ``instances`` (row
format, answered as ``predictions``) or ``inputs`` (columnar, answered as ``outputs``).
The model's single input is ``features`` and its single output ``probabilities``.
"""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter, Request, Response

from service.auth import PREDICT
from service.errors import InvalidInput, short
from service.parsing import json_object
from service.predicting import probabilities, resolve

router = APIRouter(prefix="/v1/models", tags=["tensorflow-serving"], dependencies=[PREDICT])
SIGNATURES = ("serving_default", "serve")


def _json(payload: Any) -> Response:
    return Response(
        orjson.dumps(payload, option=orjson.OPT_SERIALIZE_NUMPY), media_type="application/json"
    )


def _version_status(version: int) -> dict:
    return {
        "version": str(version),
        "state": "AVAILABLE",
        "status": {"error_code": "OK", "error_message": ""},
    }


def _tensor(name: str, width: int, tensor: str) -> dict:
    dims = [{"size": "-1", "name": ""}, {"size": str(width), "name": ""}]
    return {
        "dtype": "DT_FLOAT",
        "tensor_shape": {"dim": dims, "unknown_rank": False},
        "name": tensor,
    }


def _metadata(record: dict) -> dict:
    signature = {
        "inputs": {
            "features": _tensor("features", record["n_features"], "serving_default_features:0")
        },
        "outputs": {
            "probabilities": _tensor(
                "probabilities", record["n_classes"], "StatefulPartitionedCall:0"
            )
        },
        "method_name": "tensorflow/serving/predict",
    }
    return {
        "model_spec": {
            "name": record["name"],
            "signature_name": "",
            "version": str(record["version"]),
        },
        "metadata": {"signature_def": {"signature_def": {"serving_default": signature}}},
    }


def _rows(body: dict) -> tuple[Any, str, str]:
    """The rows, the field they came in, and the key to answer with."""
    if ("instances" in body) == ("inputs" in body):
        raise InvalidInput(
            "Missing 'inputs' or 'instances' key"
            if "instances" not in body
            else "Only one of 'inputs' or 'instances' may be set"
        )
    if "instances" in body:
        rows = body["instances"]
        if isinstance(rows, list) and rows and all(isinstance(r, dict) for r in rows):
            try:
                rows = [r["features"] for r in rows]  # named-input row format
            except KeyError:
                raise InvalidInput("instances: each object needs the input 'features'") from None
        return rows, "instances", "predictions"
    rows = body["inputs"]
    if isinstance(rows, dict):
        if set(rows) != {"features"}:
            raise InvalidInput(
                f"inputs: the only input is 'features'; received {short(list(rows))}"
            )
        rows = rows["features"]
    return rows, "inputs", "outputs"


async def _predict(request: Request, name: str, version: int | None, label: str | None):
    body = json_object(await request.body(), {"signature_name", "instances", "inputs"})
    signature = body.get("signature_name", "serving_default")
    if signature not in SIGNATURES:
        raise InvalidInput(
            f"signature_name: unknown signature {short(signature)}; "
            f"this model has 'serving_default'"
        )
    rows, field, answer = _rows(body)
    record = await resolve(request, name, version, label)
    return _json({answer: await probabilities(request, record, rows, field)})


@router.get("/{name}", summary="Model status (all versions)")
async def status(request: Request, name: str) -> Response:
    snapshot = await request.app.state.resolver.snapshot(name)
    return _json(
        {"model_version_status": [_version_status(v) for v in reversed(snapshot.versions)]}
    )


@router.get("/{name}/versions/{version}", summary="Model status (one version)")
async def version_status(request: Request, name: str, version: int) -> Response:
    record = await resolve(request, name, version)
    return _json({"model_version_status": [_version_status(record["version"])]})


@router.get("/{name}/labels/{label}", summary="Model status (a label's version)")
async def label_status(request: Request, name: str, label: str) -> Response:
    record = await resolve(request, name, label=label)
    return _json({"model_version_status": [_version_status(record["version"])]})


@router.get("/{name}/metadata", summary="Signature of the latest version")
async def metadata(request: Request, name: str) -> Response:
    return _json(_metadata(await resolve(request, name)))


@router.get("/{name}/versions/{version}/metadata", summary="Signature of a version")
async def version_metadata(request: Request, name: str, version: int) -> Response:
    return _json(_metadata(await resolve(request, name, version)))


@router.get("/{name}/labels/{label}/metadata", summary="Signature of a label's version")
async def label_metadata(request: Request, name: str, label: str) -> Response:
    return _json(_metadata(await resolve(request, name, label=label)))


@router.post("/{name}:predict", summary="Predict with the latest version")
async def predict(request: Request, name: str) -> Response:
    return await _predict(request, name, None, None)


@router.post("/{name}/versions/{version}:predict", summary="Predict with a version")
async def version_predict(request: Request, name: str, version: int) -> Response:
    return await _predict(request, name, version, None)


@router.post("/{name}/labels/{label}:predict", summary="Predict with a label's version")
async def label_predict(request: Request, name: str, label: str) -> Response:
    return await _predict(request, name, None, label)
