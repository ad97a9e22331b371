"""Job records and the model registry, kept in Redis: the source of truth for both.

Exceptions:

    StoreError
     ├── NotFound
     │    ├── JobNotFound
     │    └── ModelNotFound     (an unknown model name, or a version or label it lacks)
     ├── Conflict               (the change would break something, or the job has finished)
     └── IdempotencyMismatch    (an Idempotency-Key reused with another body)

Keys (all under ``trainserve:``): ``job:<id>`` a job record as JSON; ``jobs`` a sorted
set of job ids by creation order;
``job:<id>:report`` a list of the job's gradient-health reports, one per measured epoch;
``jobs:by-status`` a hash of how many jobs are in each state, kept in the same
transactions as the records (``complete`` marks it counted from the records once).
The model registry's keys are described in ``trainserve.registry``.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

import redis

PREFIX = "trainserve:"
JOB_ID = re.compile(r"^[0-9a-f]{32}$")
ACTIVE_KEY = f"{PREFIX}jobs:active"
IDEMPOTENCY_TTL = 48 * 3600  # the IETF draft asks for at least 24 h
JOB_STATES = ("queued", "running", "succeeded", "failed", "cancelled")
FINISHED_STATES = ("succeeded", "failed", "cancelled")
STATUS_COUNTS_KEY = f"{PREFIX}jobs:by-status"


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


class IdempotencyMismatch(StoreError):
    pass


class ClaimLost(StoreError):
    """The Idempotency-Key this request claimed was given up (it took too long) and may
    stand for another job now: this request creates nothing."""


def _idempotency_key(key: str) -> str:
    return f"{PREFIX}idempotency:{hashlib.sha256(key.encode()).hexdigest()}"


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class JobStore:
    """Create, read and update job records."""

    def __init__(self, client: redis.Redis):
        self.redis = client

    @staticmethod
    def _key(job_id: str) -> str:
        return f"{PREFIX}job:{job_id}"

    def create(
        self,
        spec: dict[str, Any],
        epochs: int,
        job_id: str | None = None,
        queue: str = "cpu",
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        """Store a new queued job. With ``idempotency_key``, only while that key still
        stands for ``job_id`` (else ClaimLost), so one key never makes two jobs."""
        now = utc_now()
        job = {
            "id": job_id or uuid.uuid4().hex,
            "queue": queue,
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
        claim = _idempotency_key(idempotency_key) if idempotency_key else None

        def write(pipe: redis.client.Pipeline) -> None:
            if claim is not None and self._claimed_job(pipe, claim) != job["id"]:
                raise ClaimLost(
                    "Idempotency-Key: this request took too long and its key was given up; "
                    "retry the request"
                )
            pipe.multi()
            pipe.set(self._key(job["id"]), json.dumps(job))
            pipe.zadd(f"{PREFIX}jobs", {job["id"]: order})
            pipe.sadd(ACTIVE_KEY, job["id"])
            pipe.hincrby(STATUS_COUNTS_KEY, "queued", 1)

        self.redis.transaction(write, *([claim] if claim else []))
        return job

    @staticmethod
    def _claimed_job(client, claim: str) -> str | None:
        raw = client.get(claim)
        return json.loads(raw)["job_id"] if raw else None

    def get(self, job_id: str) -> dict[str, Any]:
        if not JOB_ID.fullmatch(job_id):
            raise JobNotFound(f"no job with id {job_id!r} (job ids are 32 hex digits)")
        raw = self.redis.get(self._key(job_id))
        if raw is None:
            raise JobNotFound(f"no job with id {job_id!r}")
        return json.loads(raw)

    def delete(self, job_id: str) -> None:
        """Forget a job that never started (its creation could not be completed)."""
        raw = self.redis.get(self._key(job_id))
        with self.redis.pipeline() as pipe:
            if raw is not None:
                pipe.hincrby(STATUS_COUNTS_KEY, json.loads(raw)["status"], -1)
            pipe.delete(self._key(job_id), self.report_key(job_id))
            pipe.zrem(f"{PREFIX}jobs", job_id)
            pipe.srem(ACTIVE_KEY, job_id)
            pipe.execute()

    def active(self) -> list[str]:
        """Ids of jobs that are queued or running."""
        return sorted(i.decode() for i in self.redis.smembers(ACTIVE_KEY))

    def claim_idempotency_key(
        self, key: str, fingerprint: str, ttl: int = IDEMPOTENCY_TTL
    ) -> tuple[str, bool]:
        """The job id the key stands for, and whether this call claimed it (then the
        caller creates that job). Raises IdempotencyMismatch for another body."""
        redis_key = _idempotency_key(key)
        job_id = uuid.uuid4().hex
        claim = json.dumps({"fingerprint": fingerprint, "job_id": job_id})
        if self.redis.set(redis_key, claim, nx=True, ex=ttl):
            return job_id, True
        stored = json.loads(self.redis.get(redis_key) or claim)
        if stored["fingerprint"] != fingerprint:
            raise IdempotencyMismatch(
                "Idempotency-Key: this key was already used with a different request body; "
                "use a new key for a different job"
            )
        return stored["job_id"], False

    def release_idempotency_key(self, key: str, job_id: str) -> None:
        """Free ``key`` for a new claim, if it still stands for ``job_id``."""
        claim = _idempotency_key(key)

        def release(pipe: redis.client.Pipeline) -> None:
            if self._claimed_job(pipe, claim) == job_id:
                pipe.multi()
                pipe.delete(claim)

        self.redis.transaction(release, claim)

    def wait_for(self, job_id: str, timeout: float = 5.0) -> dict[str, Any]:
        """The record of a job another request is creating right now."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                return self.get(job_id)
            except JobNotFound:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.02)

    def cancel(self, job_id: str) -> dict[str, Any]:
        """Cancel a queued job now; ask a running one to stop. Conflict if finished."""

        def change(job: dict[str, Any]) -> None:
            if job["status"] in FINISHED_STATES:
                raise Conflict(
                    f"job {job_id} has already {job['status']}; only queued or running jobs "
                    "can be cancelled"
                )
            if job["status"] == "queued":
                job.update(status="cancelled", finished_at=utc_now())
            else:
                job["cancel_requested"] = True

        return self.update(
            job_id, change, extra=lambda pipe: pipe.set(self.cancel_key(job_id), 1, ex=86400)
        )

    def cancel_key(self, job_id: str) -> str:
        return f"{self._key(job_id)}:cancel"

    def cancel_requested(self, job_id: str) -> bool:
        return bool(self.redis.exists(self.cancel_key(job_id)))

    def report_key(self, job_id: str) -> str:
        return f"{self._key(job_id)}:report"

    def trim_report(self, job_id: str, epochs: int) -> None:
        """Keep the reports of epochs 0..``epochs`` (none at all when ``epochs`` is 0)."""
        if epochs:
            self.redis.ltrim(self.report_key(job_id), 0, epochs)
        else:
            self.redis.delete(self.report_key(job_id))

    def report(self, job_id: str) -> list[dict[str, Any]]:
        """The job's gradient-health reports, oldest first."""
        return [json.loads(raw) for raw in self.redis.lrange(self.report_key(job_id), 0, -1)]

    def count_by_status(self) -> dict[str, int]:
        """How many jobs are in each state: one hash read (a count from the records the
        first time, for a store older than the hash)."""
        counts = self.redis.hgetall(STATUS_COUNTS_KEY)
        if b"complete" not in counts:
            counts = self._recount()
        return {state: int(counts.get(state.encode(), 0)) for state in JOB_STATES}

    def _recount(self) -> dict[bytes, int]:
        counted: dict[bytes, int] = {}

        def attempt(pipe: redis.client.Pipeline) -> None:
            # Every status change writes the hash, so the watch on it restarts this count
            # if one happens meanwhile.
            counted.clear()
            ids = pipe.zrange(f"{PREFIX}jobs", 0, -1)
            for start in range(0, len(ids), 1000):
                keys = [self._key(i.decode()) for i in ids[start : start + 1000]]
                for raw in pipe.mget(keys):
                    if raw is not None:
                        state = json.loads(raw)["status"].encode()
                        counted[state] = counted.get(state, 0) + 1
            pipe.multi()
            pipe.delete(STATUS_COUNTS_KEY)
            pipe.hset(STATUS_COUNTS_KEY, mapping={**counted, b"complete": 1})

        self.redis.transaction(attempt, STATUS_COUNTS_KEY)
        return counted

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
            before = job["status"]
            change(job)
            job["updated_at"] = utc_now()
            pipe.multi()
            pipe.set(key, json.dumps(job))
            if job["status"] != before:
                pipe.hincrby(STATUS_COUNTS_KEY, before, -1)
                pipe.hincrby(STATUS_COUNTS_KEY, job["status"], 1)
            if job["status"] in FINISHED_STATES:
                pipe.srem(ACTIVE_KEY, job_id)
                pipe.delete(self.cancel_key(job_id))
            if extra is not None:
                extra(pipe)
            result.update(job)

        self.redis.transaction(attempt, key)
        return result
