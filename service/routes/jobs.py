"""Training jobs: submit, read, list."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import uuid
from typing import Annotated

from fastapi import APIRouter, Header, Path, Query, Response, status
from fastapi.exceptions import RequestValidationError

from models.spec import TrainingSpec
from service.auth import TRAIN
from service.deps import CeleryDep, SettingsDep, StoreDep
from service.errors import Unavailable
from service.routes.datasets import DatasetsDep, check_uploaded_dataset, holding_dataset
from service.schemas import JobCreate, JobPublic, JobsPublic, ReportPublic
from trainserve.store import ClaimLost, JobNotFound
from workers.celery_app import TRAIN_TASK
from workers.state import live_workers

router = APIRouter(prefix="/jobs", tags=["jobs"], dependencies=[TRAIN])
JobId = Annotated[str, Path(description="A job id (32 hex digits)")]
log = logging.getLogger(__name__)


IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=255,
        description="Retrying with the same key and body returns the same job",
    ),
]


@router.post("", status_code=status.HTTP_202_ACCEPTED, response_model=JobPublic)
def create_job(
    spec: JobCreate,
    response: Response,
    store: StoreDep,
    celery: CeleryDep,
    settings: SettingsDep,
    datasets: DatasetsDep,
    idempotency_key: IdempotencyKey = None,
) -> dict:
    """Queue a training job; follow it at the `Location` it returns."""
    job_id = None
    if idempotency_key is not None:
        fingerprint = hashlib.sha256(spec.model_dump_json().encode()).hexdigest()
        job_id, claimed = store.claim_idempotency_key(idempotency_key, fingerprint)
        if not claimed:  # replayed before the data set check: the job may outlive its data
            return _replay(store, job_id, idempotency_key, response)
    job_id = job_id or uuid.uuid4().hex
    with holding_dataset(store, spec.dataset):
        try:
            check_uploaded_dataset(spec, datasets)
        except RequestValidationError:
            if idempotency_key is not None:  # the key may serve a corrected request
                store.release_idempotency_key(idempotency_key, job_id)
            raise
        queue = _queue(spec.execution.device, store, settings)
        job = _store_and_enqueue(store, celery, spec, job_id, queue, idempotency_key)
    response.headers["Location"] = f"/jobs/{job['id']}"
    return job


def _store_and_enqueue(store, celery, spec, job_id, queue, idempotency_key) -> dict:
    try:
        job = store.create(
            spec.model_dump(mode="json"), spec.epochs, job_id, queue, idempotency_key
        )
        celery.send_task(TRAIN_TASK, args=[job["id"]], queue=queue)
    except ClaimLost as error:  # a retry of this request owns the key now
        raise Unavailable(str(error)) from None
    except Exception as error:  # the broker's errors come from kombu, redis or sockets
        log.exception("could not create or enqueue job %s", job_id)
        with contextlib.suppress(Exception):  # a refused request stores nothing
            store.delete(job_id)
            if idempotency_key is not None:
                store.release_idempotency_key(idempotency_key, job_id)
        raise Unavailable(f"the job queue is unavailable, try again shortly ({error})") from error
    return job


def _queue(device: str, store, settings) -> str:
    """`cpu` or `gpu` as asked; `auto` takes a GPU worker when one is up."""
    if device != "auto":
        return device
    gpus = live_workers(store.redis, settings.worker_heartbeat_seconds, "gpu")
    return "gpu" if gpus else "cpu"


def _replay(store, job_id: str, key: str, response: Response) -> dict:
    """The job an earlier request with this key created (it may still be writing it)."""
    try:
        job = store.wait_for(job_id)
    except JobNotFound:
        # Its creator died between claiming the key and creating the job: free the key.
        store.release_idempotency_key(key, job_id)
        raise Unavailable(
            "an earlier request with this Idempotency-Key did not finish; retry the request"
        ) from None
    response.headers["Location"] = f"/jobs/{job_id}"
    response.headers["Idempotent-Replayed"] = "true"
    return job


@router.post(
    "/{job_id}/cancel",
    response_model=JobPublic,
    responses={409: {"description": "The job has already finished"}},
)
def cancel_job(job_id: JobId, store: StoreDep) -> dict:
    """Cancel a job: a queued one at once; a running one at its next batch boundary
    (it then ends `cancelled` and publishes nothing)."""
    return store.cancel(job_id)


@router.get("", response_model=JobsPublic)
def list_jobs(
    store: StoreDep,
    offset: int = Query(0, ge=0, le=10**9),
    limit: int = Query(20, ge=1, le=200),
) -> dict:
    """Jobs, newest first."""
    items, total = store.list(offset, limit)
    return {"items": items, "total": total, "offset": offset, "limit": limit}


@router.get("/{job_id}", response_model=JobPublic)
def read_job(job_id: JobId, store: StoreDep) -> dict:
    """A job's status, progress, per-epoch history, metrics and published model."""
    return store.get(job_id)


@router.get("/{job_id}/report", response_model=ReportPublic)
def read_report(job_id: JobId, store: StoreDep) -> dict:
    """The gradient-health report: per epoch and hidden layer, gradient norms,
    activation statistics, saturation and dead units, and the verdict."""
    job = store.get(job_id)
    spec = TrainingSpec.model_validate(job["spec"])
    return {
        "job_id": job_id,
        "status": job["status"],
        "enabled": spec.diagnostics.enabled,
        "thresholds": spec.diagnostics,
        "epochs": store.report(job_id),
    }


@router.get(
    "/{job_id}/report.png",
    response_class=Response,
    responses={200: {"content": {"image/png": {}}, "description": "A PNG image"}},
)
def read_report_png(job_id: JobId, store: StoreDep) -> Response:
    """The report drawn: kernel-gradient norm per layer across epochs, learning curves."""
    from models.report_plot import render_report_png

    job = store.get(job_id)
    title = f"job {job_id[:8]} ({job['spec']['dataset']}, {job['status']})"
    png = render_report_png(store.report(job_id), job["history"], title)
    return Response(png, media_type="image/png", headers={"Cache-Control": "no-store"})
