"""Run one job: load its data, train, export, publish, and keep its record current."""

from __future__ import annotations

import json
import logging
from typing import Any

from models.errors import ModelsError
from models.spec import TrainingSpec
from trainserve.registry import ModelRegistry
from trainserve.settings import Settings
from trainserve.store import FINISHED_STATES, JobStore, utc_now

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 3
PROBE_ROWS = 64


def health_summary(previous: dict[str, Any] | None, report: dict[str, Any]) -> dict[str, Any]:
    """The job record's summary of its gradient-health reports so far."""
    seen = set(previous["problems_seen"]) if previous else set()
    seen.update(v for v in report["verdict"] if v != "healthy")
    return {
        "epoch": report["epoch"],
        "verdict": report["verdict"],
        "gradient_ratio": report["gradient_ratio"],
        "initial_verdict": previous["initial_verdict"] if previous else report["verdict"],
        "problems_seen": sorted(seen),
    }


def _start(job: dict[str, Any]) -> None:
    job["status"] = "running"
    job["attempts"] = job.get("attempts", 0) + 1
    job["started_at"] = job["started_at"] or utc_now()
    job["history"] = []  # a redelivered job starts over; its old epochs are not kept
    job["progress"]["epoch"] = 0
    job["health"] = None


def _fail(store: JobStore, job_id: str, reason: str) -> None:
    def change(job: dict[str, Any]) -> None:
        job.update(status="failed", error=reason, finished_at=utc_now())

    store.update(job_id, change)


def run_job(job_id: str, store: JobStore, registry: ModelRegistry, settings: Settings) -> None:
    """Train job ``job_id``; every outcome ends in its record, never as an exception."""
    job = store.get(job_id)
    if job["status"] in FINISHED_STATES:
        log.info("job %s is already %s; nothing to do", job_id, job["status"])
        return
    if job.get("attempts", 0) >= MAX_ATTEMPTS:
        _fail(store, job_id, f"gave up after {MAX_ATTEMPTS} attempts that did not finish")
        return
    # A redelivered job starts over: its earlier reports go with its earlier history.
    store.update(job_id, _start, extra=lambda pipe: pipe.delete(store.report_key(job_id)))
    try:
        spec = TrainingSpec.model_validate(job["spec"])
        _train_and_publish(job_id, spec, store, registry, settings)
    except ModelsError as error:
        _fail(store, job_id, str(error))
    except Exception as error:  # a job must end failed with a reason, whatever broke
        log.exception("job %s failed", job_id)
        _fail(store, job_id, f"internal error while training: {type(error).__name__}: {error}")


def _train_and_publish(
    job_id: str, spec: TrainingSpec, store: JobStore, registry: ModelRegistry, settings: Settings
) -> None:
    from models.datasets import load_dataset
    from models.export import export_network
    from models.training import train

    dataset = load_dataset(spec.dataset, settings.data_dir)

    def record_epoch(entry: dict[str, Any]) -> None:
        def change(job: dict[str, Any]) -> None:
            job["history"].append(entry)
            job["progress"]["epoch"] = entry["epoch"]

        store.update(job_id, change)

    def record_report(report: dict[str, Any]) -> None:
        def change(job: dict[str, Any]) -> None:
            job["health"] = health_summary(job.get("health"), report)

        store.update(
            job_id,
            change,
            extra=lambda pipe: pipe.rpush(store.report_key(job_id), json.dumps(report)),
        )

    result = train(spec, dataset, on_epoch=record_epoch, on_report=record_report)
    name = spec.published_name
    version = registry.next_version(name)
    relative = f"models/{name}/{version}"
    record = {
        "name": name,
        "version": version,
        "job_id": job_id,
        "created_at": utc_now(),
        "dataset": dataset.name,
        "n_features": dataset.n_features,
        "n_classes": dataset.n_classes,
        "class_names": list(dataset.class_names),
        "metrics": result.test_metrics,
        "path": relative,
    }
    export_network(
        result.network, settings.artifacts_root / relative, dataset.x_test[:PROBE_ROWS], record
    )

    def succeed(job: dict[str, Any]) -> None:
        job.update(
            status="succeeded",
            metrics=result.test_metrics,
            model={"name": name, "version": version},
            finished_at=utc_now(),
        )
        job["progress"]["stopped_early"] = result.stopped_early

    store.update(job_id, succeed, extra=lambda pipe: registry.queue_publish(pipe, record))
    log.info("job %s published %s:%d %s", job_id, name, version, result.test_metrics)
