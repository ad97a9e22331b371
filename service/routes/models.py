"""The model registry: versions, labels, deletion."""

from __future__ import annotations

import shutil

from fastapi import APIRouter, Path, Response, status
from fastapi.concurrency import run_in_threadpool

from service.auth import TRAIN, AnyKey
from service.deps import EngineDep, RegistryDep
from service.schemas import LabelUpdate, ModelPublic, ModelsPublic
from trainserve.registry import ModelSnapshot
from trainserve.store import ModelNotFound

router = APIRouter(prefix="/models", tags=["models"])

NAME = r"^[a-z0-9][a-z0-9_-]{0,63}$"
NamePath = Path(pattern=NAME, description="A model name")
LabelPath = Path(pattern=NAME, description="A label, such as `stable`")


def model_public(snapshot: ModelSnapshot) -> dict:
    labels = snapshot.all_labels()
    return {
        "name": snapshot.name,
        "latest_version": snapshot.latest,
        "labels": labels,
        "versions": [
            {**record, "labels": [label for label, v in labels.items() if v == version]}
            for version, record in snapshot.versions.items()
        ],
    }


@router.get("", response_model=ModelsPublic, dependencies=[AnyKey])
def list_models(registry: RegistryDep) -> dict:
    """Every published model with its versions and labels."""
    items = []
    for name in registry.names():
        try:
            items.append(model_public(registry.snapshot(name)))
        except ModelNotFound:
            continue  # deleted between the two reads
    return {"items": items}


@router.get("/{name}", response_model=ModelPublic, dependencies=[AnyKey])
def read_model(registry: RegistryDep, name: str = NamePath) -> dict:
    """A model's versions (with the job that trained each and its test metrics) and labels."""
    return model_public(registry.snapshot(name))


@router.put("/{name}/labels/{label}", response_model=ModelPublic, dependencies=[TRAIN])
def set_label(
    update: LabelUpdate, registry: RegistryDep, name: str = NamePath, label: str = LabelPath
) -> dict:
    """Point a label (e.g. `stable`) at a version; predict with `name:label`."""
    registry.set_label(name, label, update.version)
    return model_public(registry.snapshot(name))


@router.delete(
    "/{name}/labels/{label}", status_code=status.HTTP_204_NO_CONTENT, dependencies=[TRAIN]
)
def delete_label(registry: RegistryDep, name: str = NamePath, label: str = LabelPath) -> Response:
    """Remove a label (the versions stay)."""
    registry.delete_label(name, label)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.delete(
    "/{name}/versions/{version}", status_code=status.HTTP_204_NO_CONTENT, dependencies=[TRAIN]
)
async def delete_version(
    registry: RegistryDep, engine: EngineDep, name: str = NamePath, version: int = Path(ge=1)
) -> Response:
    """Unpublish a version and delete its files; refused (409) while a label points to it."""
    record = await run_in_threadpool(registry.delete_version, name, version)
    engine.evict(name, version)
    await run_in_threadpool(shutil.rmtree, engine.version_dir(record), True)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
