"""Every activation trains, exports and serves; the same spec and seed train the same."""

from __future__ import annotations

import numpy as np
import pytest

pytestmark = pytest.mark.integration

SMALL = {
    "dataset": "digits",
    "hidden_layers": [32, 16],
    "epochs": 2,
    "batch_size": 32,
    "optimizer": {"name": "sgd", "learning_rate": 0.05},
}
ACTIVATIONS = ["leaky_relu", "rrelu", "prelu", "selu", "elu"]


@pytest.fixture(scope="module")
def activation_jobs(client):
    jobs = {}
    for name in ACTIVATIONS:
        spec = {**SMALL, "activation": name, "model_name": f"act-{name.replace('_', '-')}"}
        if name == "selu":
            spec.update(kernel_initializer="lecun_normal", batch_norm=False)
        jobs[name] = client.submit(spec)
    return {name: client.wait(job.id, timeout=300, poll_interval=0.3) for name, job in jobs.items()}


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_each_activation_trains_exports_and_serves(
    client, activation_jobs, activation, digits_test_split
):
    job = activation_jobs[activation]
    assert job.status == "succeeded" and job.metrics["test_accuracy"] > 0.5
    x_test, y_test = digits_test_split
    labels = client.predict(job.model.name, x_test).labels
    assert np.mean(np.asarray(labels) == y_test) == pytest.approx(
        job.metrics["test_accuracy"], abs=1e-6
    )


def test_rrelu_with_batch_norm_serves_deterministically(client, activation_jobs, digits_test_split):
    job = activation_jobs["rrelu"]
    x_test, _ = digits_test_split
    row = x_test[5:6]
    calls = [client.predict(job.model.name, row).predictions[0].probabilities for _ in range(3)]
    in_batch = client.predict(job.model.name, x_test[:40]).predictions[5].probabilities
    for probabilities in [*calls[1:], in_batch]:
        np.testing.assert_allclose(probabilities, calls[0], rtol=0, atol=1e-6)


def test_same_spec_and_seed_give_identical_histories(client):
    spec = {**SMALL, "activation": "rrelu", "seed": 7, "model_name": "determinism"}
    first, second = (client.submit(spec) for _ in range(2))
    histories = [
        [
            {k: v for k, v in entry.items() if k != "seconds"}
            for entry in client.wait(job.id, timeout=300, poll_interval=0.3).history
        ]
        for job in (first, second)
    ]
    assert len(histories[0]) == 2 and histories[0] == histories[1]
    other = client.wait(client.submit({**spec, "seed": 8}).id, timeout=300, poll_interval=0.3)
    assert other.history[0]["loss"] != histories[0][0]["loss"]
