"""The reconciler: puts back in the queue the jobs that the queue has lost.

Every worker runs it in a thread; a short Redis lock lets one of them act per period.
It re-enqueues a ``queued`` job whose message is in neither the broker's queue nor its
unacknowledged set (lost with a crash, or never sent), and a ``running`` job whose
lease has lapsed (its worker died without Celery noticing, e.g. the whole machine).
A re-enqueued copy that finds its job taken or finished does nothing, so acting twice
is harmless.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable

import redis

from trainserve.store import PREFIX, JobNotFound, JobStore
from workers.celery_app import QUEUES

log = logging.getLogger(__name__)
LOCK_KEY = f"{PREFIX}reconciler:lock"
UNACKED_KEY = "unacked"  # kombu's Redis transport keeps delivered, unacked messages here
GRACE_SECONDS = 30.0  # a queued job younger than this may still be on its way


def _in_queues(client: redis.Redis, job_id: str) -> bool:
    needle = job_id.encode()
    return any(needle in message for queue in QUEUES for message in client.lrange(queue, 0, -1))


def _in_broker(client: redis.Redis, job_id: str) -> bool:
    needle = job_id.encode()
    return _in_queues(client, job_id) or any(needle in m for m in client.hvals(UNACKED_KEY))


def _age_seconds(timestamp: str | None) -> float:
    from datetime import datetime

    if not timestamp:
        return 0.0
    moment = datetime.fromisoformat(timestamp.replace("Z", "+00:00"))
    return time.time() - moment.timestamp()


def lost_jobs(store: JobStore) -> list[str]:
    """Active jobs that no message will ever deliver."""
    lost = []
    for job_id in store.active():
        try:
            job = store.get(job_id)
        except JobNotFound:
            continue
        lease = job.get("lease") or {}
        if job["status"] == "running" and lease.get("expires_at", 0) < time.time():
            if not _in_queues(store.redis, job_id):
                lost.append(job_id)
        elif job["status"] == "queued" and _age_seconds(job["created_at"]) > GRACE_SECONDS:
            if not _in_broker(store.redis, job_id):
                lost.append(job_id)
    return lost


def reconcile_once(
    store: JobStore, enqueue: Callable[[str, str], None], period: float
) -> list[str]:
    """Re-enqueue lost jobs if this worker holds the lock for this period."""
    if not store.redis.set(LOCK_KEY, json.dumps({"at": time.time()}), nx=True, ex=int(period)):
        return []
    lost = lost_jobs(store)
    for job_id in lost:
        log.warning("job %s had no message in the queue; re-enqueueing it", job_id)
        enqueue(job_id, store.get(job_id).get("queue", "cpu"))
    return lost


class Reconciler:
    def __init__(self, store: JobStore, enqueue: Callable[[str, str], None], period: float = 15.0):
        self.store, self.enqueue, self.period = store, enqueue, period
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="reconciler", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        while not self._stop.wait(self.period):
            try:
                reconcile_once(self.store, self.enqueue, self.period)
            except redis.RedisError as error:
                log.warning("reconciler: Redis unavailable (%s); will try again", error)
            except Exception:  # the reconciler must outlive surprises
                log.exception("reconciler failed; will try again")
