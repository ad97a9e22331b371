"""Celery tasks: thin wrappers that hand a job id to ``workers.runner``."""

from __future__ import annotations

from celery import shared_task
from celery.signals import worker_process_init

from workers import state
from workers.runner import run_job


@shared_task(name="workers.tasks.train_job")
def train_job(job_id: str) -> None:
    """Train the job ``job_id`` as its record describes."""
    store, registry, settings = state.connections()
    run_job(job_id, store, registry, settings)


@worker_process_init.connect
def _import_tensorflow(**_: object) -> None:
    # Each pool process initializes TensorFlow once, after the fork, instead of the
    # first job paying for it.
    import models.training  # noqa: F401
