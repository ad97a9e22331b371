"""The SDK's error mapping and waiting, against canned HTTP answers (no server needed)."""

import json
import types

import httpx
import numpy as np
import pytest

import trainserve_client
from trainserve_client import (
    Client,
    JobFailed,
    NotFoundError,
    Retry,
    UnavailableError,
    ValidationError,
    WaitTimeout,
)


def _job(status="queued", epoch=0, **extra):
    return {
        "id": "j1",
        "status": status,
        "spec": {"dataset": "digits"},
        "progress": {"epoch": epoch, "epochs": 2},
        "history": [],
        "metrics": None,
        "model": None,
        "error": None,
        **extra,
    }


def _client(handler) -> Client:
    # One try: retrying is test_retry.py's subject, and a retried 503 would only wait here.
    return Client("http://test", retry=Retry(attempts=1), transport=httpx.MockTransport(handler))


def test_public_names_are_all_exported():
    exported = {
        n
        for n, value in vars(trainserve_client).items()
        if not n.startswith("_") and not isinstance(value, types.ModuleType)  # e.g. cli
    }
    assert set(trainserve_client.__all__) == exported


@pytest.mark.parametrize(
    ("status", "kind"), [(422, ValidationError), (404, NotFoundError), (503, UnavailableError)]
)
def test_error_statuses_become_typed_exceptions_with_the_message(status, kind):
    client = _client(lambda request: httpx.Response(status, json={"detail": [], "message": "why"}))
    with pytest.raises(kind) as raised:
        client.get("j1")
    assert raised.value.status_code == status and raised.value.message == "why"


def test_wait_reports_progress_and_returns_the_finished_job():
    answers = iter(
        [
            _job("queued"),
            _job("running", 1),
            _job("running", 1),
            _job("succeeded", 2, model={"name": "m", "version": 3}),
        ]
    )
    client = _client(lambda request: httpx.Response(200, json=next(answers)))
    seen = []
    job = client.wait("j1", poll_interval=0, on_progress=lambda j: seen.append((j.status, j.epoch)))
    assert seen == [("queued", 0), ("running", 1), ("succeeded", 2)]
    assert job.model.name == "m" and job.model.version == 3


def test_wait_raises_on_failure_and_on_timeout():
    failed = _client(lambda request: httpx.Response(200, json=_job("failed", error="no data")))
    with pytest.raises(JobFailed, match="no data"):
        failed.wait("j1", poll_interval=0)
    assert failed.wait("j1", poll_interval=0, raise_on_failure=False).status == "failed"
    stuck = _client(lambda request: httpx.Response(200, json=_job("running")))
    with pytest.raises(WaitTimeout):
        stuck.wait("j1", timeout=0.05, poll_interval=0.01)


def test_predict_sends_numpy_rows_as_lists():
    sent = {}

    def handler(request):
        sent.update(json.loads(request.content))
        return httpx.Response(
            200,
            json={
                "model": {"name": "m", "version": 1},
                "predictions": [{"label": 1, "probabilities": [0.2, 0.8]}],
            },
        )

    result = _client(handler).predict("m:1", np.array([[1.0, 2.0]], dtype=np.float32))
    assert sent == {"model": "m:1", "instances": [[1.0, 2.0]]}
    assert result.labels == [1] and result.model.version == 1


def test_the_api_key_comes_from_the_environment(monkeypatch):
    seen = []
    monkeypatch.setenv("TRAINSERVE_API_KEY", "from-env-123")

    def handler(request):
        seen.append(request.headers.get("authorization"))
        return httpx.Response(200, json=_job())

    _client(handler).get("j1")
    Client("http://test", api_key="explicit-1", transport=httpx.MockTransport(handler)).get("j1")
    assert seen == ["Bearer from-env-123", "Bearer explicit-1"]
