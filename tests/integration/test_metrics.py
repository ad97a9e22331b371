"""GET /metrics scraped from the real stack, and the TensorBoard files its worker wrote."""

from __future__ import annotations

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.models.test_tensorboard import read_events

pytestmark = pytest.mark.integration


def scrape(stack) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of an unauthenticated scrape, by name and sorted labels."""
    response = httpx.get(f"{stack.base_url}/metrics", timeout=30)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_requests_are_counted_and_timed_by_route_template(stack, api, trained):
    job, _ = trained
    labels = {"method": "GET", "route": "/jobs/{job_id}", "status": "200"}
    before = scrape(stack)
    for _ in range(3):
        assert api.get(f"/jobs/{job.id}").status_code == 200
    assert api.get("/no-such-page").status_code == 404
    after = scrape(stack)
    assert (
        value(after, "trainserve_http_requests_total", **labels)
        - value(before, "trainserve_http_requests_total", **labels)
        >= 3
    )  # more only if something else polled meanwhile (a dashboard page)
    assert value(after, "trainserve_http_request_duration_seconds_count", **labels) >= 3
    assert value(after, "trainserve_http_request_duration_seconds_sum", **labels) > 0
    unmatched = {"method": "GET", "route": "<unmatched>", "status": "404"}
    assert value(after, "trainserve_http_requests_total", **unmatched) >= 1
    # The raw path never becomes a label: one series per route, whatever the ids.
    assert not [key for key in after if job.id in str(key)]


def test_predictions_grow_the_inference_batch_histograms(stack, client, trained, digits_test_split):
    job, _ = trained
    x_test, _ = digits_test_split
    before = scrape(stack)
    client.predict(job.model.name, x_test[:5])
    client.predict(job.model.name, x_test[:1])
    after = scrape(stack)
    calls = value(after, "trainserve_inference_batch_rows_count") - value(
        before, "trainserve_inference_batch_rows_count"
    )
    rows = value(after, "trainserve_inference_batch_rows_sum") - value(
        before, "trainserve_inference_batch_rows_sum"
    )
    assert calls >= 1 and rows >= 6  # two requests (6 rows), in one or two inference calls
    assert (
        value(after, "trainserve_inference_batch_requests_sum")
        - value(before, "trainserve_inference_batch_requests_sum")
        >= 2
    )


def test_redis_backed_metrics_show_the_trained_job(stack, trained):
    job, _ = trained
    samples = scrape(stack)
    assert value(samples, "trainserve_redis_up") == 1
    assert value(samples, "trainserve_jobs", status="succeeded") >= 1
    epochs = len(job.history)
    assert epochs == 8
    cpu = {"device": "cpu"}
    assert value(samples, "trainserve_epoch_duration_seconds_count", **cpu) >= epochs
    assert value(samples, "trainserve_epoch_duration_seconds_sum", **cpu) >= sum(
        e["seconds"] for e in job.history
    ) * (1 - 1e-6)
    assert value(samples, "trainserve_epoch_duration_seconds_bucket", le="+Inf", **cpu) >= epochs
    for queue in ("cpu", "gpu"):
        assert ("trainserve_queue_depth", (("queue", queue),)) in samples
    assert value(samples, "trainserve_workers", device="cpu") >= 1


def test_the_trained_job_has_tensorboard_event_files(stack, trained):
    job, _ = trained
    run = stack.home / "tensorboard" / job.id
    train_events, validation_events = read_events(run / "train"), read_events(run / "validation")
    epochs = list(range(1, len(job.history) + 1))
    assert sorted(train_events["loss"]) == epochs
    assert sorted(validation_events["accuracy"]) == epochs
    for tag in ("weights/hidden1/kernel", "gradients/hidden2/kernel"):
        assert sorted(train_events[tag]) == [0, *epochs]
    assert float(train_events["loss"][1][0]) == pytest.approx(job.history[0]["loss"], rel=1e-6)
