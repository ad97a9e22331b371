"""Train through POST /jobs on a real worker, follow it, and predict through POST /predict."""

from __future__ import annotations

import httpx
import numpy as np
import pytest

from tests.integration.conftest import SCRATCH

pytestmark = pytest.mark.integration


def test_job_succeeds_with_full_history_and_metrics(trained):
    job, _ = trained
    assert job.status == "succeeded", job.error
    assert job.error is None
    assert (job.epoch, job.epochs) == (8, 8)
    assert [entry["epoch"] for entry in job.history] == list(range(1, 9))
    for entry in job.history:
        assert set(entry) == {
            "epoch", "loss", "accuracy", "val_loss", "val_accuracy", "seconds", "verdict"
        }  # fmt: skip
        assert entry["seconds"] > 0 and np.isfinite(entry["loss"])
    assert job.history[-1]["loss"] < job.history[0]["loss"]
    assert job.metrics["test_accuracy"] >= 0.9
    assert job.model.name == "digits-e2e" and job.model.version >= 1
    raw = job.raw
    assert raw["created_at"] <= raw["started_at"] <= raw["finished_at"]
    assert raw["spec"]["hidden_layers"] == [64, 32]
    assert raw["spec"]["batch_norm"]["momentum"] == 0.9
    assert raw["health"]["verdict"] == ["healthy"] and raw["health"]["epoch"] == 8


def test_progress_was_reported_while_running(trained):
    _, seen = trained
    statuses = [status for status, _ in seen]
    assert "running" in statuses and statuses[-1] == "succeeded"
    epochs_seen = [epoch for status, epoch in seen if status == "running"]
    assert epochs_seen == sorted(epochs_seen)


def test_served_model_matches_its_test_accuracy(client, trained, digits_test_split):
    job, _ = trained
    x_test, y_test = digits_test_split
    result = client.predict(f"{job.model.name}:{job.model.version}", x_test)
    served_accuracy = float(np.mean(np.asarray(result.labels) == y_test))
    # Same network, same preprocessing (inside the model), same rows: same accuracy.
    assert served_accuracy == pytest.approx(job.metrics["test_accuracy"], abs=1e-6)
    probabilities = np.asarray([p.probabilities for p in result.predictions])
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)
    assert result.labels == probabilities.argmax(axis=1).tolist()


def test_a_row_predicts_the_same_alone_and_in_any_batch(client, trained, digits_test_split):
    job, _ = trained
    x_test, _ = digits_test_split
    alone = client.predict(job.model.name, x_test[:1]).predictions[0].probabilities
    in_batch = client.predict(job.model.name, x_test[:50]).predictions[0].probabilities
    shuffled = client.predict(job.model.name, x_test[[7, 0, 3]]).predictions[1].probabilities
    np.testing.assert_allclose(alone, in_batch, rtol=0, atol=1e-6)
    np.testing.assert_allclose(alone, shuffled, rtol=0, atol=1e-6)


def test_model_name_alone_serves_the_latest_version(client, trained, digits_test_split):
    job, _ = trained
    result = client.predict(job.model.name, digits_test_split[0][:2])
    assert (result.model.name, result.model.version) == (job.model.name, job.model.version)


def test_post_jobs_answers_202_with_location(api, trained):
    response = api.post("/jobs", json={**SCRATCH, "epochs": 1})
    assert response.status_code == 202
    body = response.json()
    assert body["status"] == "queued" and body["progress"] == {
        "epoch": 0,
        "epochs": 1,
        "stopped_early": False,
    }
    assert response.headers["location"] == f"/jobs/{body['id']}"
    assert api.get(response.headers["location"]).json()["id"] == body["id"]


def test_jobs_are_listed_newest_first_and_paginated(client, api, trained):
    first = client.submit({**SCRATCH, "epochs": 1})
    second = client.submit({**SCRATCH, "epochs": 1})
    page = api.get("/jobs", params={"limit": 2}).json()
    assert [item["id"] for item in page["items"]] == [second.id, first.id]
    assert page["total"] >= 3 and page["limit"] == 2 and page["offset"] == 0
    next_page = api.get("/jobs", params={"limit": 1, "offset": 1}).json()
    assert next_page["items"][0]["id"] == first.id
    for job in (first, second):
        assert client.wait(job.id, timeout=120, poll_interval=0.2).status == "succeeded"


def test_a_job_whose_data_cannot_be_read_fails_with_the_reason(client):
    job = client.submit({"dataset": "mnist", "epochs": 1})
    finished = client.wait(job.id, timeout=120, poll_interval=0.2, raise_on_failure=False)
    assert finished.status == "failed"
    assert "truncated" in finished.error and "mnist" in finished.error
    assert finished.model is None and finished.raw["finished_at"]


def test_health_and_readiness(stack):
    assert httpx.get(f"{stack.base_url}/healthz").json() == {"status": "ok"}
    ready = httpx.get(f"{stack.base_url}/readyz")
    assert ready.status_code == 200
    assert ready.json()["ready"] is True and ready.json()["workers"] >= 1
