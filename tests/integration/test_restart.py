"""`trainserve up` stops cleanly on Ctrl-C and keeps every job and model across restarts."""

from __future__ import annotations

import time

import numpy as np
import pytest

from tests.integration.conftest import TINY_SPEC
from tests.integration.stack import RunningStack
from trainserve_client import Client

pytestmark = pytest.mark.integration


def _wait_gone(stack: RunningStack, timeout: float = 15.0) -> list[int]:
    deadline = time.monotonic() + timeout
    while (left := stack.processes_left()) and time.monotonic() < deadline:
        time.sleep(0.2)
    return left


def test_restart_keeps_jobs_and_models_and_leaves_nothing_running(tmp_path):
    from models.datasets import load_digits

    rows = load_digits().x_test[:5]
    first = RunningStack(tmp_path / "home").start()
    key_file = tmp_path / "home" / "api-key"  # `up` made one: no keys were configured
    key = key_file.read_text().strip()
    assert len(key) >= 32 and oct(key_file.stat().st_mode & 0o777) == "0o600"
    try:
        with Client(first.base_url, api_key=key) as client:
            job = client.wait(
                client.submit({**TINY_SPEC, "epochs": 2}).id, timeout=180, poll_interval=0.2
            )
            before = client.predict(job.model.name, rows)
            listed_before = [j.id for j in client.jobs()]
    finally:
        assert first.stop() == 0, first.logs()
    assert _wait_gone(first) == [], "processes of the stopped stack are still running"

    second = RunningStack(tmp_path / "home").start()  # same home, new port
    assert key_file.read_text().strip() == key  # the key survives restarts
    try:
        with Client(second.base_url, api_key=key) as client:
            again = client.get(job.id)
            assert again.status == "succeeded"
            assert again.history == job.history and again.metrics == job.metrics
            assert [j.id for j in client.jobs()] == listed_before
            after = client.predict(f"{job.model.name}:{job.model.version}", rows)
            np.testing.assert_allclose(
                [p.probabilities for p in after.predictions],
                [p.probabilities for p in before.predictions],
                atol=1e-6,
            )
    finally:
        assert second.stop() == 0, second.logs()
    assert _wait_gone(second) == []
