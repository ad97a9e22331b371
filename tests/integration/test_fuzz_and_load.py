"""Every route fuzzed from the OpenAPI schema (no 5xx), and 200 concurrent predictions."""

from __future__ import annotations

import asyncio

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from tests.integration.conftest import ADMIN_KEY

pytestmark = pytest.mark.integration


def test_no_route_answers_5xx(stack, trained):
    """Schemathesis generates requests for every operation in /openapi.json (valid and
    invalid bodies, parameters, headers); none may get a server error."""
    schema = schemathesis.openapi.from_url(f"{stack.base_url}/openapi.json")
    auth = {"Authorization": f"Bearer {ADMIN_KEY}"}
    server_errors, calls = [], []
    page = httpx.get(f"{stack.base_url}/jobs", params={"limit": 200}, headers=auth).json()
    before = {job["id"] for job in page["items"]}
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(
            max_examples=15, deadline=None, database=None, suppress_health_check=list(HealthCheck)
        )
        def fuzz(case):
            response = case.call(base_url=stack.base_url, headers=auth, timeout=30)
            calls.append(case.operation.label)
            if response.status_code >= 500:
                server_errors.append(
                    (case.operation.label, case.body, response.status_code, response.text[:200])
                )

        try:
            fuzz()
        finally:
            _cancel_jobs_created_since(stack, auth, before)
    assert len(set(calls)) >= 25 and len(calls) >= 200  # every route, many inputs
    assert server_errors == []


def _cancel_jobs_created_since(stack, auth, known: set[str]) -> None:
    """Fuzzed valid specs queue real jobs; cancel them so later tests get the worker."""
    page = httpx.get(f"{stack.base_url}/jobs", params={"limit": 200}, headers=auth).json()
    for job in page["items"]:
        if job["id"] not in known and job["status"] in ("queued", "running"):
            httpx.post(f"{stack.base_url}/jobs/{job['id']}/cancel", headers=auth)


def test_200_concurrent_predictions_all_succeed(stack, trained, digits_test_split):
    job, _ = trained
    rows = digits_test_split[0][:200]

    async def main():
        limits = httpx.Limits(max_connections=200)
        headers = {"Authorization": f"Bearer {ADMIN_KEY}"}
        async with httpx.AsyncClient(
            base_url=stack.base_url, limits=limits, timeout=60, headers=headers
        ) as http:
            return await asyncio.gather(
                *(
                    http.post(
                        "/predict", json={"model": job.model.name, "instances": [row.tolist()]}
                    )
                    for row in rows
                )
            )

    responses = asyncio.run(main())
    assert [r.status_code for r in responses] == [200] * 200, {
        r.text for r in responses if r.status_code != 200
    }
    labels = [r.json()["predictions"][0]["label"] for r in responses]
    assert (
        sum(label == truth for label, truth in zip(labels, digits_test_split[1][:200], strict=True))
        > 180
    )
