"""Train, follow and predict from the SDK alone, with the asyncio client."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from tests.integration.conftest import ADMIN_KEY, SCRATCH
from trainserve_client import AsyncClient, ConflictError, NotFoundError, ValidationError

pytestmark = pytest.mark.integration


def _run(stack, work):
    async def main():
        async with AsyncClient(stack.base_url, api_key=ADMIN_KEY, timeout=60) as client:
            return await work(client)

    return asyncio.run(main())


def test_train_wait_and_predict_with_numpy_from_the_async_sdk(stack, digits_test_split):
    x_test, y_test = digits_test_split
    seen = []

    async def on_progress(job):  # a coroutine callback is awaited
        seen.append((job.status, job.epoch, len(job.history)))

    async def work(client):
        job = await client.submit(SCRATCH, model_name="sdk-e2e")
        assert job.status == "queued" and job.spec["model_name"] == "sdk-e2e"
        finished = await client.wait(
            job.id, timeout=300, poll_interval=0.2, on_progress=on_progress
        )
        result = await client.predict(str(finished.model), x_test.astype(np.float32))
        return finished, result

    job, result = _run(stack, work)
    assert job.status == "succeeded" and job.model.name == "sdk-e2e"
    assert job.health is not None and job.health.verdict == ["healthy"]
    assert seen[-1] == ("succeeded", 8, 8)
    epochs = [epoch for _, epoch, _ in seen]
    assert epochs == sorted(epochs) and len(seen) >= 3

    assert isinstance(result.probabilities, np.ndarray)
    assert result.probabilities.shape == (len(x_test), 10)
    np.testing.assert_allclose(result.probabilities.sum(axis=1), 1.0, atol=1e-4)
    assert np.array_equal(result.label_array, result.probabilities.argmax(axis=1))
    assert np.mean(result.label_array == y_test) >= 0.85


def test_models_and_labels_from_the_async_sdk(stack, trained, digits_test_split):
    job, _ = trained
    name, version = job.model.name, job.model.version

    async def work(client):
        names = [m.name for m in await client.models()]
        labelled = await client.set_label(name, "sdk-stable", version)
        by_label = await client.predict(f"{name}:sdk-stable", digits_test_split[0][0])
        await client.delete_label(name, "sdk-stable")
        model = await client.model(name)
        with pytest.raises(NotFoundError):
            await client.model("no-such-model")
        with pytest.raises(ValidationError, match="features"):
            await client.predict(name, np.zeros((1, 3)))
        return names, labelled, by_label, model

    names, labelled, by_label, model = _run(stack, work)
    assert name in names and labelled.labels["sdk-stable"] == version
    assert by_label.model.version == version and by_label.probabilities.shape == (1, 10)
    assert "sdk-stable" not in model.labels
    assert model.versions[-1].job_id == job.id and model.versions[-1].n_features == 64


def test_upload_list_and_delete_a_dataset_from_the_sdk(stack, client, tmp_path, digits_test_split):
    x, y = digits_test_split
    header = ",".join([f"p{i}" for i in range(64)] + ["digit"])
    path = tmp_path / "Small-Digits.csv"
    np.savetxt(path, np.column_stack([x, y]), delimiter=",", fmt="%g", header=header, comments="")

    dataset = client.upload_dataset(path, label_column="digit", test_fraction=0.25)
    assert dataset.name == "small-digits"  # the file's stem, lower-cased
    assert (dataset.n_features, dataset.n_classes, dataset.format) == (64, 10, "csv")
    assert dataset.n_test == pytest.approx(0.25 * len(x), abs=10)
    with pytest.raises(ConflictError):
        client.upload_dataset(path, label_column="digit")
    assert client.dataset("small-digits").n_train == dataset.n_train
    assert "small-digits" in {d.name for d in client.datasets()}
    client.delete_dataset("small-digits")
    with pytest.raises(NotFoundError):
        client.dataset("small-digits")
