"""A version whose files changed since it was published is never loaded."""

from __future__ import annotations

import pytest

from tests.integration.conftest import SCRATCH

pytestmark = pytest.mark.integration


def test_tampered_model_files_are_refused(client, api, stack):
    job = client.wait(
        client.submit({**SCRATCH, "epochs": 1, "model_name": "tampered"}).id,
        timeout=120,
        poll_interval=0.2,
    )
    version_dir = stack.home / "artifacts" / "models" / "tampered" / str(job.model.version)
    with open(version_dir / "saved_model.pb", "ab") as handle:
        handle.write(b"\0")  # anyone who can write the artifacts could plant a program
    response = api.post("/predict", json={"model": "tampered", "instances": [[0.0] * 64]})
    assert response.status_code == 503
    assert "integrity" in response.json()["message"]
