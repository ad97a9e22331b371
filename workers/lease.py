"""The lease on a job record that fences duplicate deliveries.

Celery on Redis delivers a task at least once, so two processes can hold the same job.
The one that acquires the lease trains; every write it makes afterwards checks that it
still holds it, so a copy that lost its lease can neither write history nor publish.
A thread renews the lease every few seconds and watches for a cancel request; if the
holder dies, the lease lapses and the job can be taken over (see the reconciler).
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import redis

from trainserve.store import FINISHED_STATES, JobStore, utc_now

log = logging.getLogger(__name__)
LEASE_SECONDS = 60.0
RENEW_SECONDS = 10.0
POLL_SECONDS = 1.0  # how often a cancel request is looked for
STORE_RETRY_SECONDS = 120.0  # how long writes ride out a Redis outage


class LeaseLost(Exception):
    """Another delivery of the job holds its lease now; this one must stop."""


def with_retry(action: Callable[[], Any], deadline: float = STORE_RETRY_SECONDS) -> Any:
    """Run ``action``, retrying while Redis is unreachable (it may be restarting)."""
    give_up, pause = time.monotonic() + deadline, 0.25
    while True:
        try:
            return action()
        except (redis.ConnectionError, redis.TimeoutError):
            if time.monotonic() > give_up:
                raise
            log.warning("Redis unreachable; retrying in %.1f s", pause)
            time.sleep(pause)
            pause = min(pause * 2, 5.0)


class JobLease:
    def __init__(self, store: JobStore, job_id: str, holder: str):
        self.store, self.job_id, self.holder = store, job_id, holder
        self.token = uuid.uuid4().hex
        self.cancelled, self.lost = threading.Event(), threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _lease(self) -> dict[str, Any]:
        return {
            "token": self.token,
            "holder": self.holder,
            "expires_at": time.time() + LEASE_SECONDS,
        }

    def acquire(self, start: Callable[[dict[str, Any]], None]) -> dict[str, Any] | None:
        """Take the lease and apply ``start``; None if the job is finished or leased."""
        taken: dict[str, Any] = {}

        def change(job: dict[str, Any]) -> None:
            taken.clear()  # redis-py reruns this after a WatchError
            lease = job.get("lease") or {}
            if lease.get("token") == self.token:
                taken.update(job)  # our own commit, whose reply was lost
                return
            if job["status"] in FINISHED_STATES:
                return
            if lease.get("token") and lease.get("expires_at", 0) > time.time():
                return  # held and alive: this delivery is a duplicate
            job["lease"] = self._lease()
            start(job)
            taken.update(job)

        with_retry(lambda: self.store.update(self.job_id, change))
        return taken or None

    def update(self, change: Callable[[dict[str, Any]], None], extra=None) -> dict[str, Any]:
        """A write that only goes through while this lease is held."""

        def fenced(job: dict[str, Any]) -> None:
            if (job.get("lease") or {}).get("token") != self.token:
                raise LeaseLost(f"job {self.job_id} is held by another delivery now")
            job["lease"]["expires_at"] = time.time() + LEASE_SECONDS
            change(job)

        return with_retry(lambda: self.store.update(self.job_id, fenced, extra))

    def release(self, change: Callable[[dict[str, Any]], None], extra=None) -> dict[str, Any]:
        """The final write: ``change`` and drop the lease, in one transaction."""

        def finish(job: dict[str, Any]) -> None:
            change(job)
            job["lease"] = None
            job["finished_at"] = job.get("finished_at") or utc_now()

        self.stop_renewing()
        return self.update(finish, extra)

    def start_renewing(self) -> None:
        self._thread = threading.Thread(target=self._renew, name="lease", daemon=True)
        self._thread.start()

    def stop_renewing(self) -> None:
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)

    def _renew(self) -> None:
        last_renewal = time.monotonic()
        while not self._stop.wait(POLL_SECONDS):
            try:
                if self.store.cancel_requested(self.job_id):
                    self.cancelled.set()
                if time.monotonic() - last_renewal >= RENEW_SECONDS:
                    self.update(lambda job: None)
                    last_renewal = time.monotonic()
            except LeaseLost:
                log.warning("lost the lease on job %s; stopping", self.job_id)
                self.lost.set()
                return
            except Exception as error:  # keep training through a Redis outage, or worse
                log.warning("could not renew the lease on job %s: %s", self.job_id, error)

    def should_stop(self) -> bool:
        return self.cancelled.is_set() or self.lost.is_set()
