"""Cancelling jobs, and Idempotency-Key on POST /jobs."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.integration.conftest import SCRATCH, TINY_SPEC
from trainserve_client import ConflictError, ValidationError

pytestmark = pytest.mark.integration
SLOW = {**TINY_SPEC, "epochs": 200, "batch_size": 8, "model_name": "cancel-me"}


def _wait_running(client, job_id, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = client.get(job_id)
        if job.status == "running" and job.epoch >= 1:
            return job
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} did not start: {client.get(job_id)}")


def test_a_running_job_stops_at_a_batch_boundary_and_publishes_nothing(client, api):
    job = client.submit(SLOW)
    running = _wait_running(client, job.id)
    assert client.cancel(job.id).status in ("running", "cancelled")
    started = time.monotonic()
    done = client.wait(job.id, timeout=60, poll_interval=0.1, raise_on_failure=False)
    assert done.status == "cancelled" and time.monotonic() - started < 10
    assert done.model is None and running.epoch <= len(done.history) < 200
    assert api.get("/models/cancel-me").status_code == 404
    with pytest.raises(ConflictError, match="already cancelled"):
        client.cancel(job.id)
    # The worker is free again: the next job trains.
    after = client.wait(client.submit({**SCRATCH, "epochs": 1}).id, timeout=120, poll_interval=0.2)
    assert after.status == "succeeded"


def test_a_queued_job_is_cancelled_at_once(client):
    blocker = client.submit(SLOW)
    queued = client.submit({**SCRATCH, "epochs": 1})
    cancelled = client.cancel(queued.id)
    assert cancelled.status == "cancelled" and cancelled.raw["finished_at"]
    client.cancel(blocker.id)
    client.wait(blocker.id, timeout=60, poll_interval=0.1, raise_on_failure=False)
    time.sleep(1)  # the queued message is delivered now, and must not revive the job
    assert (
        client.get(queued.id).status == "cancelled" and client.get(queued.id).raw["attempts"] == 0
    )


def test_finished_jobs_cannot_be_cancelled(client, trained):
    job, _ = trained
    with pytest.raises(ConflictError, match="already succeeded"):
        client.cancel(job.id)


def test_same_key_and_body_return_the_same_job(client, api):
    spec = {**SCRATCH, "epochs": 1, "seed": 11}
    first = api.post("/jobs", json=spec, headers={"Idempotency-Key": "idem-same-1"})
    again = api.post(
        "/jobs", json=dict(reversed(list(spec.items()))), headers={"Idempotency-Key": "idem-same-1"}
    )
    assert first.status_code == again.status_code == 202
    assert first.json()["id"] == again.json()["id"]
    assert again.headers["idempotent-replayed"] == "true"
    with pytest.raises(ValidationError, match="different request body"):
        client.submit({**spec, "seed": 12}, idempotency_key="idem-same-1")
    client.wait(first.json()["id"], timeout=120, poll_interval=0.2)


def test_concurrent_identical_requests_create_one_job(client, api):
    before = api.get("/jobs").json()["total"]
    spec = {**SCRATCH, "epochs": 1, "seed": 21}

    def submit(_):
        return client.submit(spec, idempotency_key="idem-concurrent-1").id

    with ThreadPoolExecutor(16) as pool:
        ids = set(pool.map(submit, range(32)))
    assert len(ids) == 1 and api.get("/jobs").json()["total"] == before + 1
    client.wait(ids.pop(), timeout=120, poll_interval=0.2)
