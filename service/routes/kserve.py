"""KServe V2 / Open Inference Protocol (REST), so V2 clients work by changing the base URL.

The model's one input is ``features`` (FP32, shape ``[-1, n_features]``) and its one
output ``probabilities`` (FP32, shape ``[-1, n_classes]``); tensor data may be flat or
nested, row-major.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import orjson
from fastapi import APIRouter, Request, Response

from service.auth import PREDICT
from service.errors import InvalidInput, short
from service.parsing import json_object
from service.predicting import probabilities, resolve
from trainserve import __version__

router = APIRouter(prefix="/v2", tags=["kserve-v2"])
INPUT, OUTPUT = "features", "probabilities"
NUMERIC_TYPES = (
    "FP32",
    "FP64",
    "FP16",
    "INT8",
    "INT16",
    "INT32",
    "INT64",
    "UINT8",
    "UINT16",
    "UINT32",
    "UINT64",
)


def _json(payload: Any, status_code: int = 200) -> Response:
    return Response(
        orjson.dumps(payload, option=orjson.OPT_SERIALIZE_NUMPY),
        status_code=status_code,
        media_type="application/json",
    )


def _model_metadata(record: dict, versions: list[int]) -> dict:
    return {
        "name": record["name"],
        "versions": [str(v) for v in versions],
        "platform": "tensorflow_savedmodel",
        "inputs": [{"name": INPUT, "datatype": "FP32", "shape": [-1, record["n_features"]]}],
        "outputs": [{"name": OUTPUT, "datatype": "FP32", "shape": [-1, record["n_classes"]]}],
    }


def _input_rows(body: dict, n_features: int) -> list:
    inputs = body.get("inputs")
    if not isinstance(inputs, list) or len(inputs) != 1 or not isinstance(inputs[0], dict):
        raise InvalidInput(
            f"inputs: expected one input tensor named '{INPUT}'; received {short(inputs)}"
        )
    tensor = inputs[0]
    if tensor.get("name") != INPUT:
        raise InvalidInput(
            f"inputs[0].name: expected '{INPUT}'; received {short(tensor.get('name'))}"
        )
    if tensor.get("datatype") not in NUMERIC_TYPES:
        raise InvalidInput(
            f"inputs[0].datatype: expected FP32 (or another numeric type); "
            f"received {short(tensor.get('datatype'))}"
        )
    shape, data = tensor.get("shape"), tensor.get("data")
    if (
        not isinstance(shape, list)
        or len(shape) != 2
        or not all(isinstance(d, int) and d > 0 for d in shape)
    ):
        raise InvalidInput(
            f"inputs[0].shape: expected [rows, {n_features}]; received {short(shape)}"
        )
    flat = np.asarray(data, dtype=object).ravel() if isinstance(data, list) else None
    if flat is None or flat.size != shape[0] * shape[1]:
        got = "no list" if flat is None else f"{flat.size} values"
        raise InvalidInput(
            f"inputs[0].data: shape {shape} needs {shape[0] * shape[1]} values; received {got}"
        )
    return flat.reshape(shape).tolist()


def _check_outputs(body: dict) -> None:
    for index, output in enumerate(body.get("outputs") or []):
        if not isinstance(output, dict) or output.get("name") != OUTPUT:
            raise InvalidInput(
                f"outputs[{index}].name: this model has one output, '{OUTPUT}'; "
                f"received {short(output)}"
            )


async def _infer(request: Request, name: str, version: int | None) -> Response:
    body = json_object(await request.body(), {"id", "parameters", "inputs", "outputs"})
    record = await resolve(request, name, version)
    _check_outputs(body)
    rows = _input_rows(body, record["n_features"])
    probs = await probabilities(request, record, rows, "inputs[0].data")
    payload = {
        "model_name": record["name"],
        "model_version": str(record["version"]),
        "outputs": [
            {"name": OUTPUT, "shape": list(probs.shape), "datatype": "FP32", "data": probs.ravel()}
        ],
    }
    if "id" in body:
        payload["id"] = body["id"]
    return _json(payload)


@router.get("", summary="Server metadata")
async def server_metadata() -> Response:
    return _json({"name": "trainserve", "version": __version__, "extensions": []})


@router.get("/health/live", summary="Server liveness")
async def live() -> Response:
    return _json({"live": True})


@router.get("/health/ready", summary="Server readiness (200 when ready, else 503)")
async def ready(request: Request) -> Response:
    try:
        await request.app.state.aredis.ping()
        ok = True
    except Exception:  # any failure to reach Redis means not ready
        ok = False
    return _json({"ready": ok}, 200 if ok else 503)


@router.get("/models/{name}", dependencies=[PREDICT], summary="Model metadata (latest version)")
async def model_metadata(request: Request, name: str) -> Response:
    snapshot = await request.app.state.resolver.snapshot(name)
    return _json(_model_metadata(snapshot.resolve(), list(snapshot.versions)))


@router.get(
    "/models/{name}/versions/{version}",
    dependencies=[PREDICT],
    summary="Model metadata (one version)",
)
async def version_metadata(request: Request, name: str, version: int) -> Response:
    record = await resolve(request, name, version)
    return _json(_model_metadata(record, [record["version"]]))


@router.get("/models/{name}/ready", dependencies=[PREDICT], summary="Model readiness")
async def model_ready(request: Request, name: str) -> Response:
    await resolve(request, name)
    return _json({"name": name, "ready": True})


@router.get(
    "/models/{name}/versions/{version}/ready",
    dependencies=[PREDICT],
    summary="Model version readiness",
)
async def version_ready(request: Request, name: str, version: int) -> Response:
    await resolve(request, name, version)
    return _json({"name": name, "ready": True})


@router.post(
    "/models/{name}/infer", dependencies=[PREDICT], summary="Inference with the latest version"
)
async def infer(request: Request, name: str) -> Response:
    return await _infer(request, name, None)


@router.post(
    "/models/{name}/versions/{version}/infer",
    dependencies=[PREDICT],
    summary="Inference with a version",
)
async def version_infer(request: Request, name: str, version: int) -> Response:
    return await _infer(request, name, version)
