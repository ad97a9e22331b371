"""Uploaded data sets: upload a CSV or NPZ, list, read, delete."""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator
from typing import Annotated

import redis
from fastapi import APIRouter, Depends, File, Form, Request, Response, UploadFile, status
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from models.dataset_store import DatasetStore
from models.datasets import BUILTIN_DATASETS
from models.spec import DATASET_SHAPES, TrainingSpec
from models.uploaded import DATASET_NAME_PATTERN, dataset_name, parse_upload, upload_format
from service.auth import TRAIN, AnyKey
from service.deps import StoreDep
from service.errors import Conflict, Unavailable
from service.schemas import DatasetPublic, DatasetsPublic
from trainserve.store import PREFIX, JobNotFound, JobStore

router = APIRouter(prefix="/datasets", tags=["datasets"], dependencies=[AnyKey])


def get_datasets(request: Request) -> DatasetStore:
    return DatasetStore(request.app.state.settings.datasets_root)


DatasetsDep = Annotated[DatasetStore, Depends(get_datasets)]


# A plain `def`: parsing is CPU work, so it runs in the thread pool, off the event loop.
@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=DatasetPublic,
    dependencies=[TRAIN],
    responses={409: {"description": "The name is taken"}, 413: {"description": "Too large"}},
)
def upload_dataset(
    file: Annotated[UploadFile, File(description="A .csv (header line) or .npz file")],
    datasets: DatasetsDep,
    response: Response,
    name: Annotated[
        str | None,
        Form(pattern=DATASET_NAME_PATTERN, description="Default: the file name's stem"),
    ] = None,
    label_column: Annotated[
        str, Form(min_length=1, max_length=256, description="CSV only: the labels' column")
    ] = "label",
    test_fraction: Annotated[
        float,
        Form(ge=0.0, le=0.5, description="Held out for testing when the upload has no test split"),
    ] = 0.2,
) -> dict:
    """Upload a data set: a CSV with a header line, a label column (integers
    0..n_classes-1) and numeric feature columns, or an NPZ with `x` and `y` (optionally
    `x_test` and `y_test`). Train on it by naming it in a job spec's `dataset`."""
    kind = upload_format(file.filename)
    chosen = dataset_name(name, file.filename)
    datasets.check_free(chosen)  # fail fast; the rename into place decides races
    parsed = parse_upload(kind, file.file, label_column, test_fraction)
    meta = datasets.save(chosen, parsed, format=kind, size_bytes=file.size or 0)
    response.headers["Location"] = f"/datasets/{chosen}"
    return meta


@router.get("", response_model=DatasetsPublic)
def list_datasets(datasets: DatasetsDep) -> dict:
    """The uploaded data sets (the built-in ones, fashion_mnist, mnist and digits, are
    always there)."""
    return {"datasets": datasets.list()}


@router.get("/{name}", response_model=DatasetPublic)
def read_dataset(name: str, datasets: DatasetsDep) -> dict:
    """An uploaded data set's shape and splits."""
    return datasets.meta(name)


@router.delete(
    "/{name}",
    status_code=status.HTTP_204_NO_CONTENT,
    dependencies=[TRAIN],
    responses={409: {"description": "A queued or running job uses it"}},
)
def delete_dataset(name: str, datasets: DatasetsDep, store: StoreDep) -> Response:
    """Delete an uploaded data set; refused while a queued or running job uses it.
    Models trained on it stay."""
    datasets.meta(name)  # 404 before anything else
    with holding_dataset(store, name):
        users = jobs_using(store, name)
        if users:
            raise Conflict(
                f"data set {name!r} is used by {len(users)} queued or running job(s) "
                f"({', '.join(users[:5])}); wait for them to finish or cancel them, "
                "then delete it"
            )
        datasets.delete(name)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@contextlib.contextmanager
def holding_dataset(store: JobStore, name: str) -> Iterator[None]:
    """Submitting a job on uploaded data set ``name`` and deleting it take turns: else a
    job could pass its check just before the delete and find nothing in the worker."""
    if name in BUILTIN_DATASETS:
        yield
        return
    lock = store.redis.lock(f"{PREFIX}dataset-lock:{name}", timeout=30, blocking_timeout=10)
    if not lock.acquire():
        raise Unavailable(f"data set {name!r} is busy (being deleted or used); try again")
    try:
        yield
    finally:
        with contextlib.suppress(redis.exceptions.LockError):  # it lapsed: nothing to free
            lock.release()


def jobs_using(store: JobStore, name: str) -> list[str]:
    """Ids of the queued or running jobs that train on data set ``name``."""
    users = []
    for job_id in store.active():
        with contextlib.suppress(JobNotFound):  # it finished and went while we looked
            job = store.get(job_id)
            if job["status"] in ("queued", "running") and job["spec"]["dataset"] == name:
                users.append(job_id)
    return users


def check_uploaded_dataset(spec: TrainingSpec, datasets: DatasetStore) -> None:
    """A 422 naming `dataset` unless the spec's data set is built in or uploaded; the
    size caps are checked again on the uploaded data set's real shape."""
    if spec.dataset in BUILTIN_DATASETS:
        return
    shapes = functools.cache(datasets.shape)  # the validators ask twice
    try:
        type(spec).model_validate(spec.model_dump(mode="json"), context={DATASET_SHAPES: shapes})
    except ValidationError as error:
        raise RequestValidationError(
            [{**item, "loc": ("body", *item["loc"])} for item in error.errors()]
        ) from None
