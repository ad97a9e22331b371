"""Versions, labels and deletion, served without restarting anything."""

from __future__ import annotations

import numpy as np
import pytest

from tests.integration.conftest import TINY_SPEC

pytestmark = pytest.mark.integration
NAME = "registry-test"


@pytest.fixture(scope="module")
def versions(client):
    """Two versions of one model, trained with different seeds."""
    jobs = [
        client.wait(
            client.submit({**TINY_SPEC, "epochs": 2, "seed": seed, "model_name": NAME}).id,
            timeout=300,
            poll_interval=0.2,
        )
        for seed in (1, 2)
    ]
    return [job.model.version for job in jobs], jobs


def _probabilities(api, model, rows):
    response = api.post("/predict", json={"model": model, "instances": rows})
    assert response.status_code == 200, response.text
    return response.json()


def test_each_job_publishes_the_next_version_and_latest_follows(api, versions):
    (first, second), jobs = versions
    assert second == first + 1
    model = api.get(f"/models/{NAME}").json()
    assert model["latest_version"] == second and model["labels"]["latest"] == second
    listed = {v["version"]: v for v in model["versions"]}
    assert listed[first]["job_id"] == jobs[0].id and listed[second]["job_id"] == jobs[1].id
    assert listed[second]["metrics"] == jobs[1].metrics and listed[second]["state"] == "AVAILABLE"
    assert listed[second]["labels"] == ["latest"]
    assert NAME in [m["name"] for m in api.get("/models").json()["items"]]


def test_a_new_version_is_served_without_a_restart(api, versions, digits_test_split):
    (first, second), _ = versions
    rows = digits_test_split[0][:4].tolist()
    latest = _probabilities(api, NAME, rows)
    assert latest["model"]["version"] == second
    pinned = _probabilities(api, f"{NAME}:{first}", rows)
    assert pinned["model"]["version"] == first
    assert latest["predictions"][0]["probabilities"] != pinned["predictions"][0]["probabilities"]


def test_labels_move_between_versions(api, versions, digits_test_split):
    (first, second), _ = versions
    rows = digits_test_split[0][:2].tolist()
    assert api.put(f"/models/{NAME}/labels/stable", json={"version": first}).status_code == 200
    assert _probabilities(api, f"{NAME}:stable", rows)["model"]["version"] == first
    moved = api.put(f"/models/{NAME}/labels/stable", json={"version": second}).json()
    assert moved["labels"]["stable"] == second
    assert _probabilities(api, f"{NAME}:stable", rows)["model"]["version"] == second


def test_label_mistakes_are_clear(api, versions):
    response = api.put(f"/models/{NAME}/labels/stable", json={"version": 999})
    assert response.status_code == 404 and "999" in response.json()["message"]
    response = api.put(f"/models/{NAME}/labels/latest", json={"version": 1})
    assert response.status_code == 409
    assert api.put(f"/models/{NAME}/labels/Bad Label", json={"version": 1}).status_code == 422
    assert api.put(f"/models/{NAME}/labels/x", json={"version": 0}).status_code == 422
    assert api.put("/models/nope/labels/x", json={"version": 1}).status_code == 404
    response = api.post("/predict", json={"model": f"{NAME}:nolabel", "instances": [[0.0] * 64]})
    assert response.status_code == 404 and "nolabel" in response.json()["message"]


def test_a_version_can_be_deleted_once_no_label_points_to_it(
    api, stack, versions, digits_test_split
):
    (first, second), _ = versions
    rows = digits_test_split[0][:2].tolist()
    api.put(f"/models/{NAME}/labels/pinned", json={"version": first})
    refused = api.delete(f"/models/{NAME}/versions/{first}")
    assert refused.status_code == 409 and "pinned" in refused.json()["message"]
    assert api.delete(f"/models/{NAME}/labels/pinned").status_code == 204
    assert api.delete(f"/models/{NAME}/versions/{first}").status_code == 204
    gone = api.post("/predict", json={"model": f"{NAME}:{first}", "instances": rows})
    assert gone.status_code == 404
    assert not (stack.home / "artifacts" / "models" / NAME / str(first)).exists()
    assert (stack.home / "artifacts" / "models" / NAME / str(second)).is_dir()
    assert [v["version"] for v in api.get(f"/models/{NAME}").json()["versions"]] == [second]
    assert _probabilities(api, NAME, rows)["model"]["version"] == second
    assert api.delete(f"/models/{NAME}/versions/{first}").status_code == 404


def test_top_k_lists_the_likeliest_classes(api, versions, digits_test_split):
    rows = digits_test_split[0][:3].tolist()
    body = api.post("/predict", json={"model": NAME, "instances": rows, "top_k": 3}).json()
    for prediction in body["predictions"]:
        top = prediction["top_k"]
        assert len(top) == 3 and top[0]["label"] == prediction["label"]
        probabilities = np.asarray(prediction["probabilities"])
        assert [t["probability"] for t in top] == pytest.approx(sorted(probabilities)[::-1][:3])
        assert top[0]["class_name"] == str(top[0]["label"])
    bad = api.post("/predict", json={"model": NAME, "instances": rows, "top_k": 11})
    assert bad.status_code == 422 and "top_k" in bad.json()["message"]
