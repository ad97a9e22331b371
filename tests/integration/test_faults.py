"""Faults injected into a real stack: a killed worker, a killed Redis, a killed API."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import httpx
import pytest

from tests.integration.stack import RunningStack
from trainserve_client import APIError, Client, TrainserveError

pytestmark = pytest.mark.integration
KEY = "fault-key-0123"
LONG = {
    "dataset": "digits",
    "hidden_layers": [64, 32],
    "epochs": 12,
    "batch_size": 4,
    "optimizer": {"name": "sgd", "learning_rate": 0.01},
}


@pytest.fixture(scope="module")
def faulty(tmp_path_factory):
    stack = RunningStack(tmp_path_factory.mktemp("faults"), {"TRAINSERVE_API_KEYS": KEY}).start()
    yield stack
    stack.stop()


@pytest.fixture(scope="module")
def client(faulty):
    with Client(faulty.base_url, api_key=KEY, timeout=30) as sdk:
        yield sdk


STATUSES_SEEN: list[int] = []


def _poll(client, job_id, ready, timeout=180.0):
    """The job once ``ready(job)``; rides out a service that is briefly down."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            job = client.get(job_id)
            if ready(job):
                return job
        except APIError as error:
            STATUSES_SEEN.append(error.status_code)  # Redis restarting: 503, never 500
        except (TrainserveError, httpx.HTTPError, OSError):
            pass  # the API is restarting
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} never got there")


def _training_pid(job) -> int:
    return int(job.raw["worker"].rsplit(":", 1)[1])


def test_a_worker_killed_mid_epoch_resumes_and_succeeds(client):
    job = client.submit(LONG)
    running = _poll(client, job.id, lambda j: j.status == "running" and j.epoch >= 3)
    os.kill(_training_pid(running), signal.SIGKILL)
    done = _poll(client, job.id, lambda j: j.finished)
    assert done.status == "succeeded", done.error
    assert [e["epoch"] for e in done.history] == list(range(1, 13))  # once each, no gap
    assert done.raw["attempts"] == 2 and "signal 9" in done.raw["last_failure"]
    assert done.raw["worker"] != running.raw["worker"]
    assert [r["epoch"] for r in client.report(job.id)["epochs"]] == list(range(13))


def test_a_worker_killed_on_every_attempt_fails_with_the_reason(client):
    job = client.submit({**LONG, "epochs": 200})
    killed = set()
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        current = _poll(
            client,
            job.id,
            lambda j: (
                j.finished
                or (j.status == "running" and j.raw.get("worker") not in killed and j.epoch >= 1)
            ),
        )
        if current.finished:
            break
        killed.add(current.raw["worker"])
        os.kill(_training_pid(current), signal.SIGKILL)
    assert current.status == "failed" and len(killed) == 3
    assert current.error == "worker lost 3 times: killed by signal 9 (SIGKILL)"


def test_redis_killed_mid_job_loses_nothing(client, faulty):
    before = {j.id for j in client.jobs(limit=100)}
    job = client.submit(LONG)
    _poll(client, job.id, lambda j: j.status == "running" and j.epoch >= 3)
    server = json.loads((Path(faulty.home) / "redis" / "server.json").read_text())
    os.kill(server["pid"], signal.SIGKILL)  # `up` notices and starts it again on its data
    STATUSES_SEEN.clear()
    done = _poll(client, job.id, lambda j: j.finished, timeout=240)
    assert done.status == "succeeded", done.error
    assert set(STATUSES_SEEN) <= {503}
    assert [e["epoch"] for e in done.history] == list(range(1, 13))
    assert before | {job.id} <= {j.id for j in client.jobs(limit=100)}
    assert client.predict(done.model.name, [[0.0] * 64]).model.version == done.model.version


def test_the_api_killed_comes_back_with_everything(client, faulty):
    jobs = {j.id: j.status for j in client.jobs(limit=100)}
    api_pid = next(
        pid
        for pid in faulty.processes_left()
        if b" api " in Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
    )
    os.kill(api_pid, signal.SIGKILL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if {j.id: j.status for j in client.jobs(limit=100)} == jobs:
                return
        except (TrainserveError, httpx.HTTPError, OSError):
            time.sleep(0.2)
    raise AssertionError("the API did not come back with the same jobs")
