"""/metrics in process: access, route-template labels, batches, and Redis being away."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from service.app import create_app
from service.batching import MicroBatcher
from service.metrics import HttpMetrics, ServiceMetrics, queue_lists
from trainserve.settings import Settings

KEY = "metrics-test-key:predict"
NO_REDIS = "redis://127.0.0.1:1/0"  # nothing listens there: every Redis call fails at once


def _samples(text: str) -> dict[tuple, float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def _client(tmp_path, **settings) -> TestClient:
    # api_tf_threads=0: other tests may have started TensorFlow in this process already,
    # and its thread pools can only be sized before that.
    config = Settings(
        home=tmp_path, api_keys=KEY, max_body_bytes=2048, api_tf_threads=0, **settings
    )
    return TestClient(create_app(config, redis_url=NO_REDIS))


def test_public_by_default_and_redis_away_is_a_gauge_not_an_error(tmp_path):
    with _client(tmp_path) as http:
        http.get("/healthz")
        http.post("/predict", content=b"x" * 4096, headers={"content-type": "application/json"})
        response = http.get("/metrics")
    assert response.status_code == 200
    samples = _samples(response.text)
    assert samples[("trainserve_redis_up", ())] == 0
    requests = "trainserve_http_requests_total"
    assert samples[(requests, (("method", "GET"), ("route", "/healthz"), ("status", "200")))] == 1
    # Refused by the body limit before routing: counted, with no route to name.
    refused = (("method", "POST"), ("route", "<unmatched>"), ("status", "413"))
    assert samples[(requests, refused)] == 1


def test_when_not_public_any_valid_key_may_scrape(tmp_path):
    with _client(tmp_path, metrics_public=False) as http:
        assert http.get("/metrics").status_code == 401
        assert (
            http.get("/metrics", headers={"Authorization": "Bearer wrong-key-123"}).status_code
            == 401
        )
        scoped = http.get("/metrics", headers={"Authorization": "Bearer metrics-test-key"})
    assert scoped.status_code == 200 and "trainserve_http_requests_total" in scoped.text


def test_an_app_failure_is_counted_as_a_500():
    metrics = ServiceMetrics()

    async def broken(scope, receive, send):
        raise RuntimeError("boom")

    async def main():
        scope = {"type": "http", "method": "GET", "path": "/x"}
        with pytest.raises(RuntimeError):
            await HttpMetrics(broken, metrics)(scope, None, None)

    asyncio.run(main())
    child = metrics.requests.labels("GET", "<unmatched>", "500")
    assert child._value.get() == 1


def test_each_inference_call_is_observed_once_with_its_rows_and_requests():
    seen = []

    async def main():
        batcher = MicroBatcher(
            lambda rows: rows,
            ThreadPoolExecutor(1),
            max_batch_size=64,
            on_batch=lambda rows, requests: seen.append((rows, requests)),
        )
        # Submitted together: one call. Then one alone.
        await asyncio.gather(*(batcher.submit(np.ones((n, 2), np.float32)) for n in (1, 2, 3, 4)))
        await batcher.submit(np.ones((5, 2), np.float32))

    asyncio.run(main())
    assert seen == [(10, 4), (5, 1)]


def test_queue_lists_follow_kombus_priority_naming():
    from kombu.transport.redis import Channel

    assert queue_lists("cpu")[0] == "cpu"
    assert f"cpu{Channel.sep}9" in queue_lists("cpu") and len(queue_lists("gpu")) == 4
