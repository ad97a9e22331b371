"""Run one job: take its lease, resume or start training, export, publish, report.

Every outcome ends in the job record (succeeded, failed with a reason, or cancelled),
except when another delivery of the same job holds the lease: then this one leaves
the record alone.
"""

from __future__ import annotations

import functools
import json
import logging
import shutil
from typing import Any

from models.checkpoints import checkpoint_history, remove_checkpoints
from models.errors import ModelsError
from models.spec import TrainingSpec
from trainserve.epoch_metrics import record_epoch as record_epoch_metric
from trainserve.integrity import tree_digest
from trainserve.registry import ModelRegistry
from trainserve.settings import Settings
from trainserve.store import JobStore, utc_now
from workers.lease import JobLease, LeaseLost, with_retry

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


def _starter(holder: str, history: list[dict[str, Any]]):
    def start(job: dict[str, Any]) -> None:
        # The checkpoint is the truth about finished epochs: epochs recorded after it (a
        # crash between the two writes) are dropped and trained again.
        job.update(status="running", worker=holder, error=None)
        job["attempts"] = job.get("attempts", 0) + 1
        job["started_at"] = job["started_at"] or utc_now()
        job["history"] = history
        job["progress"]["epoch"] = len(history)
        if not history:
            job["health"] = None

    return start


def _failed(reason: str):
    return lambda job: job.update(status="failed", error=reason)


def run_job(
    job_id: str, store: JobStore, registry: ModelRegistry, settings: Settings, holder: str
) -> None:
    """Train job ``job_id`` as process ``holder`` (``host:pid``)."""
    checkpoints = settings.artifacts_root / "checkpoints" / job_id
    history = checkpoint_history(checkpoints)
    lease = JobLease(store, job_id, holder)
    job = lease.acquire(_starter(holder, history))
    if job is None:
        log.info("job %s is finished or held by another delivery; nothing to do", job_id)
        return
    # Only processes that died count (a restart of the service or an outage does not).
    if job.get("worker_losses", 0) >= MAX_ATTEMPTS:
        cause = job.get("last_failure") or "the process running it stopped before it finished"
        if _end(lease, _failed(f"worker lost {MAX_ATTEMPTS} times: {cause}")):
            remove_checkpoints(checkpoints)
        return
    lease.start_renewing()
    try:
        with_retry(lambda: store.trim_report(job_id, len(history)))
        spec = TrainingSpec.model_validate(job["spec"])
        ended = _train_and_publish(
            job_id, spec, lease, store, registry, settings, checkpoints, job.get("queue", "cpu")
        )
    except LeaseLost:
        log.warning("job %s: another delivery took over; this one stops", job_id)
        return
    except ModelsError as error:
        ended = _end(lease, _failed(str(error)))
    except Exception as error:  # a job must end failed with a reason, whatever broke
        log.exception("job %s failed", job_id)
        ended = _end(
            lease, _failed(f"internal error while training: {type(error).__name__}: {error}")
        )
    finally:
        lease.stop_renewing()
    if ended:  # only the holder that wrote the end may clear what a resume would need
        remove_checkpoints(checkpoints)


def _end(lease: JobLease, change, extra=None) -> bool:
    """The final write; False if the lease was lost first (then nothing is written)."""
    try:
        lease.release(change, extra)
        return True
    except LeaseLost:
        log.warning("job %s: lost the lease before recording its end", lease.job_id)
        return False


def _dataset(name: str, settings: Settings):
    """The job's data set; an uploaded one is cached under its digest, so one deleted and
    uploaded again under the same name is read afresh."""
    from models.dataset_store import DatasetStore
    from models.datasets import BUILTIN_DATASETS

    root = settings.datasets_root
    digest = None if name in BUILTIN_DATASETS else DatasetStore(root).meta(name)["sha256"]
    return _cached_dataset(name, settings.data_dir, root, digest)


@functools.lru_cache(maxsize=2)
def _cached_dataset(name: str, data_dir, datasets_root, digest: str | None):
    """Data sets stay loaded in the training process: the next job skips the parsing."""
    from models.datasets import load_dataset

    return load_dataset(name, data_dir, datasets_root)


def _train_and_publish(
    job_id: str,
    spec: TrainingSpec,
    lease: JobLease,
    store: JobStore,
    registry: ModelRegistry,
    settings: Settings,
    checkpoints,
    device: str = "cpu",
) -> bool:
    """Train, then publish or record the cancel; True once the end is written."""
    from models.export import export_network
    from models.training import train

    dataset = _dataset(spec.dataset, settings)
    # Whole lists are written each time, not appended: if Redis loses its last second of
    # writes (a crash with appendfsync everysec), the next write restores them.
    history = checkpoint_history(checkpoints)
    reports = with_retry(lambda: store.report(job_id))

    def record_epoch(entry: dict[str, Any]) -> None:
        history.append(entry)

        def change(job: dict[str, Any]) -> None:
            job["history"] = history
            job["progress"]["epoch"] = entry["epoch"]

        lease.update(change)
        _note_epoch_duration(store, device, entry["seconds"])

    def record_report(report: dict[str, Any]) -> None:
        reports.append(report)

        def change(job: dict[str, Any]) -> None:
            job["health"] = health_summary(job.get("health"), report)

        def rewrite(pipe) -> None:
            pipe.delete(store.report_key(job_id))
            pipe.rpush(store.report_key(job_id), *(json.dumps(r) for r in reports))

        lease.update(change, rewrite)

    result = train(
        spec,
        dataset,
        on_epoch=record_epoch,
        on_report=record_report,
        checkpoint_dir=checkpoints,
        should_stop=lease.should_stop,
        tensorboard_dir=settings.tensorboard_root / job_id,
    )
    if lease.lost.is_set():
        raise LeaseLost(job_id)
    if result.stopped:
        log.info("job %s cancelled after %d epochs", job_id, len(result.history))
        return _end(lease, lambda job: job.update(status="cancelled"))
    return _publish(job_id, spec, dataset, result, lease, registry, settings, export_network)


def _note_epoch_duration(store: JobStore, device: str, seconds: float) -> None:
    # For /metrics only: a job never fails because its metrics could not be written.
    try:
        record_epoch_metric(store.redis, device, seconds)
    except Exception:
        log.warning("could not record an epoch's duration for /metrics", exc_info=True)


def _publish(job_id, spec, dataset, result, lease, registry, settings, export_network) -> bool:
    name = spec.published_name
    version = with_retry(lambda: registry.next_version(name))
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
    path = export_network(
        result.network, settings.artifacts_root / relative, dataset.x_test[:PROBE_ROWS], record
    )
    record["sha256"] = tree_digest(path)  # checked by the API before it loads the files

    publish = {"yes": True}

    def succeed(job: dict[str, Any]) -> None:
        # A cancel that came in during evaluation or export still wins: publish nothing.
        publish["yes"] = not job.get("cancel_requested")
        if not publish["yes"]:
            job["status"] = "cancelled"
            return
        job.update(
            status="succeeded",
            metrics=result.test_metrics,
            model={"name": name, "version": version},
        )
        job["progress"]["stopped_early"] = result.stopped_early

    def queue_publish(pipe) -> None:
        if publish["yes"]:
            registry.queue_publish(pipe, record)

    # Published in the same transaction that marks the job succeeded, under the lease:
    # a duplicate delivery can never publish a second version.
    ended = _end(lease, succeed, queue_publish)
    if ended and not publish["yes"]:
        shutil.rmtree(path, ignore_errors=True)
    log.info("job %s ended; published %s:%d: %s", job_id, name, version, publish["yes"])
    return ended
