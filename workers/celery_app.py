"""The Celery application, configured for long training jobs on a Redis broker."""

from __future__ import annotations

from celery import Celery

TRAIN_TASK = "workers.tasks.train_job"
QUEUES = ("cpu", "gpu")  # a job's `execution.device` picks one; each worker serves one
# Redis redelivers an unacknowledged message after this long, even one whose job is
# still training, so it must exceed the longest job we expect.
VISIBILITY_TIMEOUT_SECONDS = 12 * 3600


def make_celery(broker_url: str) -> Celery:
    """A Celery app on ``broker_url``; the job record, not a result backend, holds results."""
    app = Celery("trainserve", broker=broker_url, include=["workers.tasks"])
    transport_options = {"visibility_timeout": VISIBILITY_TIMEOUT_SECONDS}
    app.conf.update(
        task_ignore_result=True,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_serializer="json",
        accept_content=["json"],
        task_default_queue="cpu",
        broker_transport_options=transport_options,
        result_backend_transport_options=transport_options,
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
        worker_redirect_stdouts=False,
        # Each pool child imports TensorFlow before it reports ready (seconds under
        # load); Celery's default of 4 s would kill and restart it in a loop.
        worker_proc_alive_timeout=60,
    )
    return app
