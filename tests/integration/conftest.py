"""One real stack and one tiny trained model, shared by every integration test of a run."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import numpy as np
import pytest

from tests.integration.stack import RunningStack
from trainserve_client import Client

# Small enough to train in seconds on two cores, good enough to check accuracy.
TINY_SPEC = {
    "dataset": "digits",
    "hidden_layers": [64, 32],
    "epochs": 8,
    "batch_size": 32,
    "optimizer": {"name": "sgd", "learning_rate": 0.05},
    "model_name": "digits-e2e",
}
# For jobs whose model does not matter: they publish elsewhere, so `digits-e2e` keeps
# exactly one version, the shared `trained` one.
SCRATCH = {**TINY_SPEC, "model_name": "scratch"}


def _write_broken_mnist(directory) -> None:
    # IDX headers that promise more data than they hold: a data set that is found but
    # unreadable, so a failing job is deterministic with or without a network.
    directory.mkdir(parents=True)
    for stem in (
        "train-images-idx3-ubyte",
        "train-labels-idx1-ubyte",
        "t10k-images-idx3-ubyte",
        "t10k-labels-idx1-ubyte",
    ):
        (directory / stem).write_bytes(b"\0\0\x08\x01\0\0\0\x10" + b"\0" * 3)


ADMIN_KEY, PREDICT_KEY, TRAIN_KEY = "admin-key-0123", "predict-key-0123", "train-key-0123"


@pytest.fixture(scope="session")
def stack(tmp_path_factory) -> Iterator[RunningStack]:
    home = tmp_path_factory.mktemp("trainserve-home")
    data = tmp_path_factory.mktemp("data")
    _write_broken_mnist(data / "mnist")
    keys = f"{ADMIN_KEY},{PREDICT_KEY}:predict,{TRAIN_KEY}:train"
    running = RunningStack(
        home,
        {
            "TRAINSERVE_DATA_DIR": str(data),
            "TRAINSERVE_API_KEYS": keys,
            "TRAINSERVE_MAX_BODY_BYTES": str(4 * 2**20),
        },
    ).start()
    yield running
    running.stop()


@pytest.fixture(scope="session")
def client(stack) -> Iterator[Client]:
    with Client(stack.base_url, api_key=ADMIN_KEY, timeout=60) as sdk:
        yield sdk


@pytest.fixture(scope="session")
def api(stack) -> Iterator[httpx.Client]:
    """Plain HTTP with the admin key, for what the SDK does not wrap."""
    headers = {"Authorization": f"Bearer {ADMIN_KEY}"}
    with httpx.Client(base_url=stack.base_url, timeout=30, headers=headers) as http:
        yield http


@pytest.fixture(scope="session")
def trained(client):
    """The finished tiny job, and the epochs `wait` reported while it trained."""
    job = client.submit(TINY_SPEC)
    seen = []
    finished = client.wait(
        job.id,
        timeout=300,
        poll_interval=0.2,
        on_progress=lambda j: seen.append((j.status, j.epoch)),
    )
    return finished, seen


@pytest.fixture(scope="session")
def digits_test_split():
    from models.datasets import load_digits

    data = load_digits()
    return np.asarray(data.x_test), np.asarray(data.y_test)
