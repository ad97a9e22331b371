"""The reconciler against a real (embedded) Redis: which jobs it considers lost."""

from __future__ import annotations

import json
import time

from trainserve.store import JobStore
from workers.reconciler import lost_jobs, reconcile_once


def _job(store: JobStore, status: str, age: float = 120.0, lease_left: float | None = None):
    job = store.create({"dataset": "digits"}, 1)

    def change(record):
        record["status"] = status
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(time.time() - age)) + ".000Z"
        record["created_at"] = stamp
        if lease_left is not None:
            record["lease"] = {
                "token": "t",
                "holder": "h:1",
                "expires_at": time.time() + lease_left,
            }

    store.update(job["id"], change)
    return job["id"]


def test_queued_jobs_without_a_message_are_lost(store):
    lost = _job(store, "queued")
    in_queue = _job(store, "queued")
    unacked = _job(store, "queued")
    young = _job(store, "queued", age=1.0)
    store.redis.lpush("cpu", json.dumps({"headers": {"argsrepr": f"['{in_queue}']"}}))
    store.redis.hset("unacked", "tag", json.dumps([{"headers": {"argsrepr": f"['{unacked}']"}}]))
    assert lost_jobs(store) == [lost]
    assert young not in lost_jobs(store)


def test_running_jobs_whose_lease_lapsed_are_lost(store):
    lapsed = _job(store, "running", lease_left=-5)
    _job(store, "running", lease_left=50)
    store.update(_job(store, "running", lease_left=-5), lambda r: r.update(status="succeeded"))
    assert lost_jobs(store) == [lapsed]


def test_one_reconciler_acts_per_period(store):
    lost = _job(store, "queued")
    enqueued = []

    def enqueue(job_id, queue):
        enqueued.append((job_id, queue))

    assert reconcile_once(store, enqueue, period=30) == [lost]
    assert reconcile_once(store, enqueue, period=30) == []  # the lock holds
    assert enqueued == [(lost, "cpu")]
