"""API keys with scopes, and the request body limit."""

from __future__ import annotations

import httpx
import pytest

from tests.integration.conftest import ADMIN_KEY, PREDICT_KEY, TRAIN_KEY

pytestmark = pytest.mark.integration


def _bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/jobs"),
        ("POST", "/jobs"),
        ("POST", "/predict"),
        ("GET", "/models"),
        ("GET", "/v1/models/digits-e2e"),
        ("POST", "/v2/models/digits-e2e/infer"),
    ],
)
def test_every_route_needs_a_key(stack, method, path):
    missing = httpx.request(method, stack.base_url + path, json={})
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"] == "Bearer"
    wrong = httpx.request(
        method, stack.base_url + path, json={}, headers=_bearer("not-a-key-at-all")
    )
    assert wrong.status_code == 401
    body = wrong.json()
    assert ("error" in body) if path.startswith(("/v1", "/v2")) else ("message" in body)


@pytest.mark.parametrize(
    "path",
    ["/healthz", "/readyz", "/openapi.json", "/docs", "/v2/health/live", "/v2/health/ready", "/v2"],
)
def test_health_and_docs_are_open(stack, path):
    assert httpx.get(stack.base_url + path).status_code == 200


def test_scopes_limit_what_a_key_may_do(stack, trained, digits_test_split):
    job, _ = trained
    url = stack.base_url
    rows = digits_test_split[0][:1].tolist()
    predict_body = {"model": job.model.name, "instances": rows}
    assert (
        httpx.post(f"{url}/predict", json=predict_body, headers=_bearer(PREDICT_KEY)).status_code
        == 200
    )
    forbidden = httpx.post(f"{url}/jobs", json={"dataset": "digits"}, headers=_bearer(PREDICT_KEY))
    assert forbidden.status_code == 403 and "train" in forbidden.json()["message"]
    assert (
        httpx.post(f"{url}/predict", json=predict_body, headers=_bearer(TRAIN_KEY)).status_code
        == 403
    )
    assert httpx.get(f"{url}/jobs/{job.id}", headers=_bearer(TRAIN_KEY)).status_code == 200
    assert httpx.get(f"{url}/models", headers=_bearer(PREDICT_KEY)).status_code == 200
    assert (
        httpx.delete(
            f"{url}/models/{job.model.name}/labels/none", headers=_bearer(PREDICT_KEY)
        ).status_code
        == 403
    )
    assert (
        httpx.delete(
            f"{url}/models/{job.model.name}/labels/none", headers=_bearer(ADMIN_KEY)
        ).status_code
        == 404
    )


def test_bodies_over_the_limit_are_a_413(api):
    big = b'{"model": "digits-e2e", "instances": [' + b"[0.0]," * (1 << 20) + b"[0.0]]}"
    declared = api.post("/predict", content=big, headers={"content-type": "application/json"})
    assert declared.status_code == 413 and "limit" in declared.json()["message"]

    def chunks():
        for start in range(0, len(big), 1 << 16):
            yield big[start : start + (1 << 16)]

    streamed = api.post("/predict", content=chunks(), headers={"content-type": "application/json"})
    assert streamed.status_code == 413
    spec = b'{"dataset": "digits", "model_name": "' + b"x" * (5 << 20) + b'"}'
    streamed_spec = api.post(
        "/jobs", content=iter([spec]), headers={"content-type": "application/json"}
    )
    assert streamed_spec.status_code == 413  # not the 400 of a body that failed to parse
    v1 = api.post("/v1/models/digits-e2e:predict", content=big)
    assert v1.status_code == 413 and "error" in v1.json()
