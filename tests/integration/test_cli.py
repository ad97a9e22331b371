"""Train, watch and predict from the command line alone: `trainserve` in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.integration.conftest import ADMIN_KEY, SCRATCH

pytestmark = pytest.mark.integration

TRAINSERVE = str(Path(sys.executable).parent / "trainserve")
FLAGS = [
    "--dataset",
    "digits",
    "--hidden",
    "64,32",
    "--batch-size",
    "32",
    "--learning-rate",
    "0.05",
]


@pytest.fixture
def cli(stack, tmp_path):
    """Runs `trainserve ARGS...` as a user would: the server and key from the environment."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRAINSERVE_")}
    env.update(
        TRAINSERVE_URL=stack.base_url,
        TRAINSERVE_API_KEY=ADMIN_KEY,
        TRAINSERVE_HOME=str(tmp_path / "home"),  # no stored key there
    )

    def run(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
        done = subprocess.run(
            [TRAINSERVE, *args], capture_output=True, text=True, timeout=timeout, env=env
        )
        assert "Traceback" not in done.stderr, done.stderr
        return done

    return run


def _json(done: subprocess.CompletedProcess):
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)  # nothing but JSON on stdout


def _assert_watched(output: str, epochs: int) -> None:
    for epoch in range(1, epochs + 1):
        line = next(li for li in output.splitlines() if li.startswith(f"epoch {epoch:>3}/{epochs}"))
        assert "loss" in line and "accuracy" in line and "val_accuracy" in line
    assert "succeeded: test accuracy" in output
    assert "Gradient health: healthy" in output


def test_train_watch_and_predict_from_the_cli_alone(cli, tmp_path, digits_test_split):
    job = _json(cli("jobs", "submit", *FLAGS, "--epochs", "8", "--model-name", "cli-e2e", "--json"))
    assert job["status"] == "queued" and job["spec"]["hidden_layers"] == [64, 32]
    assert job["spec"]["optimizer"]["learning_rate"] == 0.05

    watched = cli("jobs", "watch", job["id"])
    assert watched.returncode == 0, watched.stderr
    _assert_watched(watched.stdout, 8)

    shown = _json(cli("jobs", "show", job["id"], "--json"))
    assert shown["status"] == "succeeded" and shown["model"]["name"] == "cli-e2e"
    version = str(shown["model"]["version"])
    assert job["id"] in {j["id"] for j in _json(cli("jobs", "list", "--json", "--limit", "50"))}

    x_test, y_test = digits_test_split
    np.save(tmp_path / "rows.npy", x_test[:100])
    result = _json(
        cli("predict", "cli-e2e", str(tmp_path / "rows.npy"), "--version", version, "--json")
    )
    labels = [p["label"] for p in result["predictions"]]
    assert result["model"] == {"name": "cli-e2e", "version": int(version)}
    assert np.mean(np.array(labels) == y_test[:100]) >= 0.85

    np.savetxt(tmp_path / "rows.csv", x_test[:3], delimiter=",", fmt="%g")
    table = cli("predict", "cli-e2e", str(tmp_path / "rows.csv"))
    assert table.returncode == 0 and f"model cli-e2e:{version}" in table.stdout
    first_row = next(li.split() for li in table.stdout.splitlines() if li.split()[:1] == ["0"])
    assert first_row[1] == str(labels[0])  # row 0's class, as the JSON said


def test_models_list_show_and_label_from_the_cli(cli, trained):
    job, _ = trained
    name, version = job.model.name, str(job.model.version)
    assert name in {m["name"] for m in _json(cli("models", "list", "--json"))}
    labelled = _json(cli("models", "label", name, "cli-stable", version, "--json"))
    assert labelled["labels"]["cli-stable"] == int(version)
    shown = cli("models", "show", name)
    assert shown.returncode == 0 and "cli-stable" in shown.stdout and job.id in shown.stdout
    assert cli("models", "unlabel", name, "cli-stable").returncode == 0
    assert "cli-stable" not in _json(cli("models", "show", name, "--json"))["labels"]


def test_submit_a_yaml_spec_and_watch_it(cli, tmp_path):
    spec = {k: v for k, v in SCRATCH.items() if k != "epochs"}
    (tmp_path / "spec.yaml").write_text("\n".join(f"{k}: {json.dumps(v)}" for k, v in spec.items()))
    done = cli("jobs", "submit", str(tmp_path / "spec.yaml"), "--epochs", "3", "--watch")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Submitted job ")
    _assert_watched(done.stdout, 3)


def test_watching_a_cancelled_job_exits_non_zero(cli):
    job = _json(
        cli("jobs", "submit", *FLAGS, "--epochs", "500", "--model-name", "scratch", "--json")
    )
    cancelled = _json(cli("jobs", "cancel", job["id"], "--json"))
    assert cancelled["status"] in ("cancelled", "running")
    watched = cli("jobs", "watch", job["id"])
    assert watched.returncode == 1 and f"Job {job['id']} cancelled" in watched.stdout
    as_json = cli("jobs", "watch", job["id"], "--json")
    assert as_json.returncode == 1 and json.loads(as_json.stdout)["status"] == "cancelled"


def test_api_errors_exit_1_with_the_servers_message(cli):
    missing = cli("jobs", "show", "0" * 32)
    assert missing.returncode == 1 and missing.stdout == ""
    assert missing.stderr.startswith("trainserve: error: 404: ")
    refused = cli("jobs", "submit", "--dataset", "digits", "--epochs", "0")
    assert refused.returncode == 1 and "422" in refused.stderr and "epochs" in refused.stderr
    wrong_key = cli("models", "list", "--api-key", "not-a-key-123")
    assert wrong_key.returncode == 1 and "401" in wrong_key.stderr
    usage = cli("predict", "digits")
    assert usage.returncode == 2 and "usage:" in usage.stderr


def _labelled_csv(path: Path, x: np.ndarray, y: np.ndarray) -> Path:
    header = ",".join([f"p{i}" for i in range(x.shape[1])] + ["label"])
    np.savetxt(path, np.column_stack([x, y]), delimiter=",", fmt="%g", header=header, comments="")
    return path


def test_an_uploaded_csv_trains_and_serves_from_the_cli(cli, tmp_path, digits_test_split):
    from models.datasets import load_digits

    train = load_digits()
    upload = _labelled_csv(tmp_path / "upload.csv", train.x_train, train.y_train)
    done = cli(
        "datasets", "upload", str(upload), "--name", "cli-csv", "--test-fraction", "0.2", "--json"
    )
    dataset = _json(done)
    assert (dataset["name"], dataset["format"]) == ("cli-csv", "csv")
    assert (dataset["n_features"], dataset["n_classes"]) == (64, 10)
    assert dataset["n_train"] + dataset["n_test"] == len(train.x_train)
    assert "cli-csv" in {d["name"] for d in _json(cli("datasets", "list", "--json"))}

    flags = [f.replace("digits", "cli-csv") for f in FLAGS]
    job = _json(
        cli(
            "jobs",
            "submit",
            *flags,
            "--epochs",
            "8",
            "--model-name",
            "cli-csv",
            "--watch",
            "--json",
        )
    )
    assert job["status"] == "succeeded" and job["metrics"]["test_accuracy"] >= 0.85

    x_test, y_test = digits_test_split  # rows the upload never held
    rows = _labelled_csv(tmp_path / "rows.csv", x_test, y_test)
    predicted = _json(cli("predict", "cli-csv", str(rows), "--drop-column", "label", "--json"))
    labels = np.array([p["label"] for p in predicted["predictions"]])
    assert np.mean(labels == y_test) >= 0.85

    assert cli("datasets", "delete", "cli-csv").returncode == 0
    gone = cli("datasets", "delete", "cli-csv")
    assert gone.returncode == 1 and "404" in gone.stderr
