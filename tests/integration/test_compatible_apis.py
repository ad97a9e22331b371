"""TensorFlow Serving and KServe V2 clients work against trainserve unchanged."""

from __future__ import annotations

import httpx
import numpy as np
import pytest

from tests.integration.conftest import ADMIN_KEY

pytestmark = pytest.mark.integration


@pytest.fixture
def model(trained):
    job, _ = trained
    return job.model


def _native(api, model, rows):
    body = api.post(
        "/predict", json={"model": f"{model.name}:{model.version}", "instances": rows}
    ).json()
    return np.asarray([p["probabilities"] for p in body["predictions"]])


def test_all_three_protocols_give_the_same_probabilities(api, model, digits_test_split):
    rows = digits_test_split[0][:5].tolist()
    expected = _native(api, model, rows)
    base = f"/v1/models/{model.name}/versions/{model.version}:predict"
    row_format = api.post(base, json={"instances": rows}).json()["predictions"]
    named = api.post(base, json={"instances": [{"features": r} for r in rows]}).json()
    columnar = api.post(base, json={"inputs": rows}).json()["outputs"]
    columnar_named = api.post(base, json={"inputs": {"features": rows}}).json()["outputs"]
    v2_url = f"/v2/models/{model.name}/versions/{model.version}/infer"
    flat = api.post(
        v2_url,
        json={
            "inputs": [
                {
                    "name": "features",
                    "shape": [5, 64],
                    "datatype": "FP32",
                    "data": np.ravel(rows).tolist(),
                }
            ]
        },
    ).json()
    nested = api.post(
        v2_url,
        json={
            "id": "r1",
            "inputs": [{"name": "features", "shape": [5, 64], "datatype": "FP32", "data": rows}],
        },
    )
    for got in (row_format, named["predictions"], columnar, columnar_named):
        np.testing.assert_allclose(got, expected, atol=1e-6)
    for answer in (flat, nested.json()):
        output = answer["outputs"][0]
        assert output["name"] == "probabilities" and output["shape"] == [5, 10]
        np.testing.assert_allclose(np.reshape(output["data"], (5, 10)), expected, atol=1e-6)
    assert nested.json()["id"] == "r1" and nested.json()["model_version"] == str(model.version)


def test_tf_serving_status_metadata_and_errors(api, model):
    status = api.get(f"/v1/models/{model.name}").json()["model_version_status"]
    assert {
        "version": str(model.version),
        "state": "AVAILABLE",
        "status": {"error_code": "OK", "error_message": ""},
    } in status
    assert api.get(f"/v1/models/{model.name}/labels/latest").json()["model_version_status"][0][
        "version"
    ] == str(model.version)
    metadata = api.get(f"/v1/models/{model.name}/versions/{model.version}/metadata").json()
    signature = metadata["metadata"]["signature_def"]["signature_def"]["serving_default"]
    assert signature["inputs"]["features"]["tensor_shape"]["dim"][1]["size"] == "64"
    assert metadata["model_spec"] == {
        "name": model.name,
        "signature_name": "",
        "version": str(model.version),
    }
    missing = api.post("/v1/models/nope:predict", json={"instances": [[0.0] * 64]})
    assert missing.status_code == 404 and "nope" in missing.json()["error"]
    neither = api.post(
        f"/v1/models/{model.name}:predict", json={"signature_name": "serving_default"}
    )
    assert neither.status_code == 400
    assert neither.json() == {"error": "Missing 'inputs' or 'instances' key"}
    both = api.post(f"/v1/models/{model.name}:predict", json={"instances": [], "inputs": []})
    assert both.status_code == 400 and "error" in both.json()
    short_row = api.post(f"/v1/models/{model.name}:predict", json={"instances": [[0.0] * 3]})
    assert short_row.status_code == 400 and "64" in short_row.json()["error"]
    signature = api.post(
        f"/v1/models/{model.name}:predict",
        json={"signature_name": "other", "instances": [[0.0] * 64]},
    )
    assert signature.status_code == 400 and "other" in signature.json()["error"]
    for odd in ("x:labels", "x:seq", "UPPER"):  # names that are not names are unknown
        assert api.get(f"/v1/models/{odd}").status_code == 404
    bad_version = api.get(f"/v1/models/{model.name}/versions/abc")
    assert bad_version.status_code == 400 and "error" in bad_version.json()


def test_v2_metadata_health_and_errors(api, model):
    assert api.get("/v2").json()["name"] == "trainserve"
    assert api.get("/v2/health/live").json() == {"live": True}
    assert api.get("/v2/health/ready").status_code == 200
    metadata = api.get(f"/v2/models/{model.name}").json()
    assert metadata["inputs"] == [{"name": "features", "datatype": "FP32", "shape": [-1, 64]}]
    assert metadata["outputs"] == [{"name": "probabilities", "datatype": "FP32", "shape": [-1, 10]}]
    assert str(model.version) in metadata["versions"]
    assert api.get(f"/v2/models/{model.name}/ready").json() == {"name": model.name, "ready": True}
    assert api.get("/v2/models/nope/ready").status_code == 404
    url = f"/v2/models/{model.name}/infer"
    wrong_shape = api.post(
        url,
        json={
            "inputs": [
                {"name": "features", "shape": [2, 64], "datatype": "FP32", "data": [0.0] * 64}
            ]
        },
    )
    assert wrong_shape.status_code == 400 and "128" in wrong_shape.json()["error"]
    wrong_name = api.post(
        url,
        json={"inputs": [{"name": "x", "shape": [1, 64], "datatype": "FP32", "data": [0.0] * 64}]},
    )
    assert wrong_name.status_code == 400 and "features" in wrong_name.json()["error"]
    assert api.post("/v2/models/nope/infer", json={"inputs": []}).status_code == 404


def test_a_triton_v2_client_works_by_changing_only_the_url(stack, model, digits_test_split):
    import tritonclient.http as triton

    rows = digits_test_split[0][:3].astype(np.float32)
    client = triton.InferenceServerClient(url=stack.base_url.removeprefix("http://"))
    auth = {"Authorization": f"Bearer {ADMIN_KEY}"}
    try:
        assert client.is_server_live() and client.is_server_ready()
        assert client.is_model_ready(model.name, headers=auth)
        metadata = client.get_model_metadata(model.name, headers=auth)
        assert metadata["inputs"][0]["shape"] == [-1, 64]
        tensor = triton.InferInput("features", list(rows.shape), "FP32")
        tensor.set_data_from_numpy(rows, binary_data=False)
        result = client.infer(
            model.name,
            [tensor],
            model_version=str(model.version),
            outputs=[triton.InferRequestedOutput("probabilities", binary_data=False)],
            headers=auth,
        )
        probabilities = result.as_numpy("probabilities")
    finally:
        client.close()
    assert probabilities.shape == (3, 10)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)


def test_a_tf_serving_rest_client_works_by_changing_only_the_url(stack, model, digits_test_split):
    # What users of TF Serving write: requests against /v1/models/<name>:predict.
    rows = digits_test_split[0][:3].tolist()
    url = f"{stack.base_url}/v1/models/{model.name}:predict"
    predictions = httpx.post(
        url,
        json={"signature_name": "serving_default", "instances": rows},
        headers={"Authorization": f"Bearer {ADMIN_KEY}"},
    ).json()["predictions"]
    assert np.asarray(predictions).shape == (3, 10)
