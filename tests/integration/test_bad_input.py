"""Bad requests get a 4xx naming the field, what was received and what was expected."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({}, ["dataset", "Field required"]),
        ({"dataset": "cifar10"}, ["dataset", "cifar10", "fashion_mnist", "digits"]),
        ({"dataset": "digits", "epochs": 0}, ["epochs", "greater than or equal to 1", "0"]),
        ({"dataset": "digits", "hidden_layer": [10]}, ["hidden_layer", "Extra inputs"]),
        ({"dataset": "digits", "hidden_layers": []}, ["hidden_layers", "at least 1"]),
        ({"dataset": "digits", "activation": "swish"}, ["activation", "swish", "'elu'"]),
        ({"dataset": "digits", "model_name": "Bad Name"}, ["model_name", "Bad Name"]),
        ({"dataset": "digits", "batch_size": "big"}, ["batch_size", "big", "integer"]),
        (
            {"dataset": "digits", "optimizer": {"name": "adam", "momentum": 0.9}},
            ["optimizer", "momentum", "sgd"],
        ),
    ],
)
def test_bad_specs_are_refused_with_a_clear_422(api, body, words):
    before = api.get("/jobs").json()["total"]
    response = api.post("/jobs", json=body)
    assert response.status_code == 422
    message = response.json()["message"]
    for word in words:
        assert word in message, message
    assert api.get("/jobs").json()["total"] == before  # nothing was stored


def test_malformed_json_is_a_422_not_a_500(api):
    response = api.post(
        "/jobs", content=b"{dataset: digits", headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    assert "JSON" in response.json()["message"]


def test_unknown_job_is_a_404(api):
    response = api.get("/jobs/does-not-exist")
    assert response.status_code == 404
    assert "does-not-exist" in response.json()["message"]


@pytest.mark.parametrize(("limit", "offset"), [(0, 0), (1000, 0), (10, -1)])
def test_bad_pagination_is_a_422(api, limit, offset):
    response = api.get("/jobs", params={"limit": limit, "offset": offset})
    assert response.status_code == 422


def _predict(api, model, instances):
    return api.post("/predict", json={"model": model, "instances": instances})


def test_predict_unknown_model_is_a_404(api, trained):
    response = _predict(api, "no-such-model", [[0.0] * 64])
    assert response.status_code == 404
    assert "no-such-model" in response.json()["message"]


def test_predict_unknown_version_is_a_404_listing_known_ones(api, trained):
    job, _ = trained
    response = _predict(api, f"{job.model.name}:999", [[0.0] * 64])
    assert response.status_code == 404
    message = response.json()["message"]
    assert "999" in message and str(job.model.version) in message


def test_predict_wrong_feature_count_names_row_and_expected_width(api, trained):
    job, _ = trained
    response = _predict(api, job.model.name, [[0.0] * 64, [0.0] * 63])
    assert response.status_code == 422
    message = response.json()["message"]
    assert "instances[1]" in message and "63" in message and "64" in message


def test_predict_nan_is_refused(api, trained):
    job, _ = trained
    row = ", ".join(["0.0"] * 63 + ["NaN"])
    body = f'{{"model": "{job.model.name}", "instances": [[{row}]]}}'
    response = api.post("/predict", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 422
    message = response.json()["message"]
    assert "instances[0][63]" in message and "finite" in message and "nan" in message


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"model": "digits-e2e", "instances": []}, "instances"),
        ({"model": "digits-e2e", "instances": [["a"] * 64]}, "instances[0][0]"),
        ({"model": "digits-e2e", "instances": [1, 2]}, "instances[0]"),
        ({"model": "digits-e2e:0", "instances": [[0.0] * 64]}, "model"),
        ({"model": "../etc", "instances": [[0.0] * 64]}, "model"),
        ({"instances": [[0.0] * 64]}, "model"),
        ({"model": "digits-e2e", "instances": [[0.0] * 64], "extra": 1}, "extra"),
    ],
)
def test_malformed_predict_bodies_are_422s_naming_the_field(api, trained, body, field):
    response = api.post("/predict", json=body)
    assert response.status_code == 422
    assert field in response.json()["message"]


def test_bad_requests_leave_the_model_serving_unchanged(api, trained, digits_test_split):
    job, _ = trained
    rows = digits_test_split[0][:3].tolist()
    before = _predict(api, job.model.name, rows).json()
    jobs_before = api.get("/jobs").json()["total"]
    assert _predict(api, job.model.name, [[0.0] * 10]).status_code == 422
    assert api.post("/jobs", json={"dataset": "digits", "epochs": -1}).status_code == 422
    assert (
        api.put(f"/models/{job.model.name}/labels/latest", json={"version": 1}).status_code == 409
    )
    after = _predict(api, job.model.name, rows).json()
    assert after == before and api.get("/jobs").json()["total"] == jobs_before


def test_job_ids_that_cannot_exist_are_404s_without_touching_redis_types(api, trained):
    job, _ = trained
    for path in (f"/jobs/{job.id}:report", "/jobs/x/report", f"/jobs/{job.id.upper()}"):
        response = api.get(path)
        assert response.status_code == 404, path


def test_specs_too_big_for_the_machine_are_refused(api):
    huge = api.post("/jobs", json={"dataset": "fashion_mnist", "hidden_layers": [4096] * 20})
    assert huge.status_code == 422 and "parameters" in huge.json()["message"]
    wide = api.post(
        "/jobs", json={"dataset": "fashion_mnist", "hidden_layers": [4096] * 3, "batch_size": 65536}
    )
    assert wide.status_code == 422 and "GiB" in wide.json()["message"]
