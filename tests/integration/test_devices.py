"""`execution.device` routes a job to the cpu or gpu queue."""

from __future__ import annotations

import time

import pytest

from tests.integration.conftest import SCRATCH

pytestmark = pytest.mark.integration


def test_cpu_and_auto_jobs_go_to_the_cpu_workers(client, api):
    assert api.get("/readyz").json()["gpu_workers"] == 0
    for device in ("cpu", "auto"):
        job = client.submit({**SCRATCH, "epochs": 1, "execution": {"device": device}})
        assert job.raw["queue"] == "cpu"
        assert client.wait(job.id, timeout=120, poll_interval=0.2).status == "succeeded"


def test_a_gpu_job_waits_for_a_gpu_worker(client):
    job = client.submit({**SCRATCH, "epochs": 1, "execution": {"device": "gpu"}})
    assert job.raw["queue"] == "gpu"
    time.sleep(2)  # the CPU worker must not take it
    assert client.get(job.id).status == "queued"
    assert client.cancel(job.id).status == "cancelled"


def test_mixed_precision_on_a_cpu_is_refused(api):
    response = api.post(
        "/jobs", json={**SCRATCH, "execution": {"device": "cpu", "mixed_precision": True}}
    )
    assert response.status_code == 422 and "mixed_precision" in response.json()["message"]
