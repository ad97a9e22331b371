"""The chapter's story through the API: what goes wrong in deep sigmoid networks, and
what He initialization, ELU and batch normalization fix, as the gradient-health report
tells it. Ten hidden layers of 100 units on digits, 3 epochs of SGD 0.01."""

from __future__ import annotations

import struct

import numpy as np
import pytest

pytestmark = pytest.mark.integration

DEEP = {"dataset": "digits", "hidden_layers": [100] * 10, "epochs": 3, "batch_size": 32}
SPECS = {
    "sigmoid_random_normal": {
        **DEEP,
        "activation": "sigmoid",
        "kernel_initializer": "random_normal",
        "batch_norm": False,
    },
    "sigmoid_glorot": {
        **DEEP,
        "activation": "sigmoid",
        "kernel_initializer": "glorot_uniform",
        "batch_norm": False,
    },
    "he_elu_bn": {**DEEP, "model_name": "deep-he-elu-bn"},
}


@pytest.fixture(scope="module")
def story(client, stack):
    submitted = {
        name: client.submit(
            {**spec, "model_name": spec.get("model_name", "deep-" + name.replace("_", "-"))}
        )
        for name, spec in SPECS.items()
    }
    finished = {
        name: client.wait(job.id, timeout=300, poll_interval=0.3) for name, job in submitted.items()
    }
    reports = {name: client.report(job.id) for name, job in finished.items()}
    return finished, reports


def _saturation_in_layers_2_to_10(report_epoch):
    return float(np.mean([layer["saturated_fraction"] for layer in report_epoch["layers"][1:]]))


def test_random_normal_sigmoid_saturates_from_the_start_and_learns_nothing(story):
    jobs, reports = story
    epochs = reports["sigmoid_random_normal"]["epochs"]
    assert [e["epoch"] for e in epochs] == [0, 1, 2, 3]
    assert all("saturated" in e["verdict"] for e in epochs)
    assert _saturation_in_layers_2_to_10(epochs[0]) > 0.4
    assert jobs["sigmoid_random_normal"].raw["health"]["initial_verdict"] == ["saturated"]
    assert jobs["sigmoid_random_normal"].metrics["test_accuracy"] < 0.3


def test_glorot_sigmoid_gradients_vanish_and_it_learns_nothing(story):
    jobs, reports = story
    epochs = reports["sigmoid_glorot"]["epochs"]
    assert all(e["verdict"] == ["vanishing"] for e in epochs)
    first, tenth = (epochs[0]["layers"][i]["kernel_grad_norm"] for i in (0, 9))
    assert first / tenth < 1e-4
    assert epochs[0]["gradient_ratio"] == pytest.approx(first / tenth, rel=1e-3)
    assert _saturation_in_layers_2_to_10(epochs[0]) < 0.05  # nothing saturates: it vanishes
    assert jobs["sigmoid_glorot"].metrics["test_accuracy"] < 0.3


def test_he_elu_batch_norm_is_healthy_throughout_and_learns(story):
    jobs, reports = story
    epochs = reports["he_elu_bn"]["epochs"]
    assert all(e["verdict"] == ["healthy"] for e in epochs)
    assert all(0.1 < e["gradient_ratio"] < 10 for e in epochs)
    assert jobs["he_elu_bn"].metrics["test_accuracy"] > 0.8
    assert [h["verdict"] for h in jobs["he_elu_bn"].history] == [["healthy"]] * 3
    assert jobs["he_elu_bn"].raw["health"]["problems_seen"] == []


def test_report_has_every_statistic_for_every_layer(story):
    _, reports = story
    report = reports["he_elu_bn"]
    assert report["enabled"] is True and report["thresholds"]["vanishing_ratio"] == 1e-3
    for epoch in report["epochs"]:
        assert [layer["layer"] for layer in epoch["layers"]] == list(range(1, 11))
        for layer in epoch["layers"]:
            assert layer["units"] == 100 and layer["activation"] == "elu"
            assert layer["kernel_grad_norm"] > 0 and layer["pre_activation_std"] > 0
            assert 0 <= layer["saturated_fraction"] <= 1 and 0 <= layer["dead_fraction"] <= 1


def test_report_png_is_a_picture(story, api, client):
    jobs, _ = story
    response = api.get(f"/jobs/{jobs['sigmoid_glorot'].id}/report.png")
    assert response.status_code == 200 and response.headers["content-type"] == "image/png"
    png = client.report_png(jobs["sigmoid_glorot"].id)
    assert png == response.content
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    assert (width, height) == (1200, 450) and len(png) > 20_000


def test_report_of_an_unknown_job_is_a_404(api):
    assert api.get("/jobs/nope/report").status_code == 404
    assert api.get("/jobs/nope/report.png").status_code == 404
