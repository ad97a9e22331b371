"""Celery tasks: thin wrappers that hand a job id to ``workers.runner``."""

from __future__ import annotations

import logging
import re
import socket

import redis
from billiard.exceptions import WorkerLostError
from celery import Task, shared_task
from celery.signals import worker_process_init
from celery.worker.request import Request

from trainserve.settings import get_settings
from trainserve.store import JobStore
from workers import state
from workers.runner import run_job

log = logging.getLogger(__name__)


def describe_loss(error: BaseException) -> str:
    """``Worker exited prematurely: signal 9 (SIGKILL) Job: 3.`` → ``killed by signal 9
    (SIGKILL)``; other causes are kept as Celery words them."""
    text = str(error)
    if match := re.search(r"signal (\d+) \((\w+)\)", text):
        return f"killed by signal {match.group(1)} ({match.group(2)})"
    if match := re.search(r"exitcode (\d+)", text):
        return f"exited with code {match.group(1)}"
    return text.split(" Job:")[0]


def note_worker_lost(job_id: str, pid: int | None, error: BaseException) -> None:
    """Record why the job's process died and free its lease, so the redelivery (which
    comes at once: late acknowledgement) can take the job over without waiting."""
    client = None
    try:
        client = redis.Redis.from_url(get_settings().redis_url, socket_timeout=5)
        holder = f"{socket.gethostname()}:{pid}"  # pool processes run on this host

        def change(job: dict) -> None:
            job["last_failure"] = describe_loss(error)
            job["worker_losses"] = job.get("worker_losses", 0) + 1
            if (job.get("lease") or {}).get("holder") == holder:
                job["lease"] = None

        JobStore(client).update(job_id, change)
    except Exception:  # never let bookkeeping stop Celery from requeueing the task
        log.exception("could not record the loss of job %s", job_id)
    finally:
        if client is not None:
            client.close()


class TrainRequest(Request):
    """Runs in the worker's main process, which sees a pool process die."""

    def on_failure(self, exc_info, send_failed_event=True, return_ok=False):
        error = getattr(exc_info.exception, "exc", exc_info.exception)  # billiard wraps it
        if isinstance(error, WorkerLostError) and self.args:
            note_worker_lost(self.args[0], self.worker_pid, error)
        return super().on_failure(
            exc_info, send_failed_event=send_failed_event, return_ok=return_ok
        )


class TrainTask(Task):
    Request = TrainRequest


@shared_task(name="workers.tasks.train_job", base=TrainTask)
def train_job(job_id: str) -> None:
    """Train the job ``job_id`` as its record describes."""
    store, registry, settings = state.connections()
    run_job(job_id, store, registry, settings, state.worker_id())


@worker_process_init.connect
def _import_tensorflow(**_: object) -> None:
    # Each pool process initializes TensorFlow once, after the fork, instead of the
    # first job paying for it.
    import models.training  # noqa: F401
