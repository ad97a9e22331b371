"""Job records and the model registry, kept in Redis: the source of truth for both.

Exceptions:

    StoreError
     ├── NotFound
     │    ├── JobNotFound
     │    └── ModelNotFound     (an unknown model name, or a version or label it lacks)
     └── Conflict               (the change would break something that depends on it)

Keys (all under ``trainserve:``): ``job:<id>`` a job record as JSON; ``jobs`` a sorted
set of job ids by creation order;
``job:<id>:report`` a list of the job's gradient-health reports, one per measured epoch.
The model registry's keys are described in ``trainserve.registry``.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

import redis

PREFIX = "trainserve:"
JOB_ID = re.compile(r"^[0-9a-f]{32}$")
JOB_STATES = ("queued", "running", "succeeded", "failed", "cancelled")
FINISHED_STATES = ("succeeded", "failed", "cancelled")


class StoreError(Exception):
    """Base class of the store's errors."""


class NotFound(StoreError):
    """A record that was asked for does not exist."""


class JobNotFound(NotFound):
    pass


class ModelNotFound(NotFound):
    pass


class Conflict(StoreError):
    pass


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class JobStore:
    """Create, read and update job records."""

    def __init__(self, client: redis.Redis):
        self.redis = client

    @staticmethod
    def _key(job_id: str) -> str:
        return f"{PREFIX}job:{job_id}"

    def create(self, spec: dict[str, Any], epochs: int) -> dict[str, Any]:
        now = utc_now()
        job = {
            "id": uuid.uuid4().hex,
            "status": "queued",
            "spec": spec,
            "progress": {"epoch": 0, "epochs": epochs},
            "history": [],
            "metrics": None,
            "model": None,
            "health": None,
            "error": None,
            "created_at": now,
            "updated_at": now,
            "started_at": None,
            "finished_at": None,
        }
        order = self.redis.incr(f"{PREFIX}jobs:seq")
        with self.redis.pipeline() as pipe:
            pipe.set(self._key(job["id"]), json.dumps(job))
            pipe.zadd(f"{PREFIX}jobs", {job["id"]: order})
            pipe.execute()
        return job

    def get(self, job_id: str) -> dict[str, Any]:
        if not JOB_ID.match(job_id):
            raise JobNotFound(f"no job with id {job_id!r} (job ids are 32 hex digits)")
        raw = self.redis.get(self._key(job_id))
        if raw is None:
            raise JobNotFound(f"no job with id {job_id!r}")
        return json.loads(raw)

    def delete(self, job_id: str) -> None:
        """Forget a job that never started (its creation could not be completed)."""
        with self.redis.pipeline() as pipe:
            pipe.delete(self._key(job_id), self.report_key(job_id))
            pipe.zrem(f"{PREFIX}jobs", job_id)
            pipe.execute()

    def report_key(self, job_id: str) -> str:
        return f"{self._key(job_id)}:report"

    def report(self, job_id: str) -> list[dict[str, Any]]:
        """The job's gradient-health reports, oldest first."""
        return [json.loads(raw) for raw in self.redis.lrange(self.report_key(job_id), 0, -1)]

    def list(self, offset: int = 0, limit: int = 20) -> tuple[list[dict[str, Any]], int]:
        """Jobs newest first, and how many there are in all."""
        ids = self.redis.zrevrange(f"{PREFIX}jobs", offset, offset + limit - 1)
        total = self.redis.zcard(f"{PREFIX}jobs")
        raws = self.redis.mget([self._key(i.decode()) for i in ids]) if ids else []
        return [json.loads(raw) for raw in raws if raw is not None], total

    def update(
        self,
        job_id: str,
        change: Callable[[dict[str, Any]], None],
        extra: Callable[[redis.client.Pipeline], None] | None = None,
    ) -> dict[str, Any]:
        """Apply ``change`` to the record atomically (optimistic locking on the key).

        ``extra`` queues more writes that must commit in the same transaction.
        """
        key = self._key(job_id)
        result: dict[str, Any] = {}

        def attempt(pipe: redis.client.Pipeline) -> None:
            raw = pipe.get(key)
            if raw is None:
                raise JobNotFound(f"no job with id {job_id!r}")
            job = json.loads(raw)
            change(job)
            job["updated_at"] = utc_now()
            pipe.multi()
            pipe.set(key, json.dumps(job))
            if extra is not None:
                extra(pipe)
            result.update(job)

        self.redis.transaction(attempt, key)
        return result
