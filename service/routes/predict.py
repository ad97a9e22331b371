"""Inference with a published model."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool

from service.deps import EngineDep, RegistryDep, SettingsDep
from service.errors import InvalidInput
from service.schemas import PredictRequest, PredictResponse

router = APIRouter(tags=["predict"])


@router.post("/predict", response_model=PredictResponse)
async def predict(
    request: PredictRequest, registry: RegistryDep, engine: EngineDep, settings: SettingsDep
) -> dict:
    """Class probabilities and labels for each row, from a model's latest or named version."""
    if len(request.instances) > settings.predict_max_instances:
        raise InvalidInput(
            f"instances: received {len(request.instances)} rows; at most "
            f"{settings.predict_max_instances} are accepted per call"
        )
    name, _, version = request.model.partition(":")
    record = await run_in_threadpool(registry.resolve, name, int(version) if version else None)
    probabilities = await run_in_threadpool(engine.predict, record, request.instances)
    return {
        "model": {"name": record["name"], "version": record["version"]},
        "predictions": [
            {"label": int(row.argmax()), "probabilities": row.tolist()} for row in probabilities
        ],
    }
