"""Uploaded data sets on the real stack: upload, list, train, predict, refuse, delete."""

from __future__ import annotations

import io
import time

import httpx
import numpy as np
import pytest

from tests.integration.conftest import PREDICT_KEY, SCRATCH, TRAIN_KEY

pytestmark = pytest.mark.integration

UPLOADED_ROWS = 600
QUICK = {**SCRATCH, "epochs": 2}


@pytest.fixture(scope="module")
def digits():
    from sklearn.datasets import load_digits

    bunch = load_digits()
    return bunch.data, bunch.target


def digits_csv(x, y, label_last: bool = False) -> bytes:
    names = [f"pixel{i}" for i in range(x.shape[1])]
    header = [*names, "digit"] if label_last else ["label", *names]
    lines = [",".join(header)]
    for row, label in zip(x.astype(int), y, strict=True):
        cells = [str(v) for v in row]
        lines.append(",".join([*cells, str(label)] if label_last else [str(label), *cells]))
    return ("\n".join(lines) + "\n").encode()


def upload(api, filename: str, content: bytes, key: str | None = None, **form) -> httpx.Response:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    data = {k: str(v) for k, v in form.items()}
    return api.post("/datasets", files={"file": (filename, content)}, data=data, headers=headers)


def names(api) -> list[str]:
    return [d["name"] for d in api.get("/datasets").json()["datasets"]]


def held_out_rows(digits):
    """Digits no model here trained on: in the built-in test split and not uploaded."""
    from sklearn.model_selection import train_test_split

    x, y = digits
    _, test = train_test_split(
        np.arange(len(y)), test_size=0.2, random_state=0, stratify=y
    )  # the built-in split (models.datasets.load_digits)
    rows = test[test >= UPLOADED_ROWS]
    return x[rows], y[rows]


def accuracy(api, model: str, x, y) -> float:
    response = api.post("/predict", json={"model": model, "instances": x.tolist()})
    assert response.status_code == 200, response.text
    labels = [p["label"] for p in response.json()["predictions"]]
    return float(np.mean(np.asarray(labels) == y))


def test_a_csv_upload_trains_and_serves_like_the_built_in_digits(
    client, api, trained, digits, tmp_path
):
    x, y = digits
    path = tmp_path / "Digits-600.csv"
    path.write_bytes(digits_csv(x[:UPLOADED_ROWS], y[:UPLOADED_ROWS]))
    dataset = client.upload_dataset(path)  # through the SDK: its name is the file's stem
    assert dataset.name == "digits-600" and dataset.format == "csv"
    assert (dataset.n_train, dataset.n_test) == (480, 120)
    assert (dataset.n_features, dataset.n_classes) == (64, 10)
    assert dataset.size_bytes == path.stat().st_size and dataset.created_at.endswith("Z")
    assert "digits-600" in names(api)
    assert api.get("/datasets/digits-600").json() == dataset.raw

    spec = {key: value for key, value in SCRATCH.items() if key != "model_name"}
    job = client.wait(client.submit({**spec, "dataset": "digits-600"}).id, timeout=300)
    assert job.status == "succeeded", job.error
    assert job.model.name == "digits-600"  # published under the data set's name
    assert job.metrics["test_accuracy"] >= 0.8
    version = api.get("/models/digits-600").json()["versions"][-1]
    assert (version["dataset"], version["n_features"], version["n_classes"]) == (
        "digits-600",
        64,
        10,
    )

    x_new, y_new = held_out_rows(digits)
    ours = accuracy(api, f"digits-600:{job.model.version}", x_new, y_new)
    built_in = accuracy(api, f"digits-e2e:{trained[0].model.version}", x_new, y_new)
    assert ours >= 0.8 and ours >= built_in - 0.1, (ours, built_in)


def test_an_npz_upload_with_its_own_test_split_keeps_it(api, digits):
    x, y = digits
    buffer = io.BytesIO()
    np.savez(buffer, x=x[:300].reshape(-1, 8, 8), y=y[:300], x_test=x[300:350], y_test=y[300:350])
    response = upload(api, "split.npz", buffer.getvalue(), test_fraction=0)
    assert response.status_code == 201, response.text
    assert response.headers["location"] == "/datasets/split"
    body = response.json()
    assert (body["format"], body["n_train"], body["n_test"], body["n_features"]) == (
        "npz",
        300,
        50,
        64,
    )


def test_a_label_column_elsewhere_under_another_name(api, digits):
    x, y = digits
    content = digits_csv(x[:100], y[:100], label_last=True)
    response = upload(api, "last.csv", content, name="label-last", label_column="digit")
    assert response.status_code == 201, response.text
    assert response.json()["n_features"] == 64 and response.json()["name"] == "label-last"


def bad_csv(rows: str) -> bytes:
    return ("label,a,b\n" + rows).encode()


GOOD = "0,1,2\n1,3,4\n" * 8


@pytest.mark.parametrize(
    ("filename", "content", "form", "status", "words"),
    [
        ("data.txt", b"label,a\n0,1\n", {}, 422, ["file", ".csv or .npz", "data.txt"]),
        ("nolabel.csv", b"a,b\n" + b"1,2\n" * 12, {}, 422, ["label_column", "'label'"]),
        ("text.csv", bad_csv(GOOD + "1,x,2\n"), {}, 422, ["file", "line 18", "'a'", "'x'"]),
        ("ragged.csv", bad_csv(GOOD + "1,2\n"), {}, 422, ["file", "line 18", "2 cells"]),
        ("nan.csv", bad_csv(GOOD + "1,nan,2\n"), {}, 422, ["file", "NaN", "line 18"]),
        ("half.csv", bad_csv(GOOD + "1.5,1,2\n"), {}, 422, ["'label'", "1.5", "integer"]),
        ("one-based.csv", bad_csv("1,1,2\n2,3,4\n" * 8), {}, 422, ["class 0", "subtract 1"]),
        ("one-class.csv", bad_csv("1,1,2\n" * 12), {}, 422, ["only class 1", "at least 2"]),
        ("few.csv", bad_csv("0,1,2\n1,3,4\n"), {}, 422, ["file", "2 rows", "at least 10"]),
        ("binary.csv", b"label,a\n\xff\xfe\x00\x01\n", {}, 422, ["file", "UTF-8"]),
        ("x.npz", b"not a zip", {}, 422, ["file", "NPZ"]),
        ("ok.csv", bad_csv(GOOD), {"name": "Bad Name"}, 422, ["name", "Bad Name"]),
        ("My Data.csv", bad_csv(GOOD), {}, 422, ["name", "'my data'", "file name"]),
        ("ok.csv", bad_csv(GOOD), {"test_fraction": 0.9}, 422, ["test_fraction", "0.5"]),
        ("ok.csv", bad_csv(GOOD), {"test_fraction": 0}, 422, ["test_fraction", "x_test"]),
        ("ok.csv", bad_csv(GOOD), {"name": "digits"}, 409, ["built-in", "digits"]),
    ],
)
def test_bad_uploads_get_a_clear_4xx_and_store_nothing(
    api, stack, filename, content, form, status, words
):
    before = names(api)
    response = upload(api, filename, content, **form)
    assert response.status_code == status, response.text
    message = response.json()["message"]
    for word in words:
        assert word in message, message
    assert names(api) == before
    leftovers = [p.name for p in (stack.home / "datasets").glob(".*")]
    assert leftovers == [], leftovers


def test_a_request_without_a_file_names_the_field(api):
    response = api.post("/datasets", data={"name": "nothing"})
    assert response.status_code == 422 and "file" in response.json()["message"]


def test_an_upload_over_the_body_limit_is_a_413(api):
    rows = "0," + ",".join(["1234567"] * 99) + "\n"
    content = ("label," + ",".join(f"f{i}" for i in range(99)) + "\n").encode()
    content += rows.encode() * (5 * 2**20 // len(rows))  # 5 MiB; the stack allows 4
    before = names(api)
    response = upload(api, "huge.csv", content)
    assert response.status_code == 413 and "TRAINSERVE_MAX_BODY_BYTES" in response.text
    assert names(api) == before


def test_a_taken_name_is_a_409_and_the_first_upload_stays(api):
    first = upload(api, "twice.csv", bad_csv(GOOD))
    assert first.status_code == 201, first.text
    second = upload(api, "twice.csv", bad_csv(GOOD + GOOD))
    assert second.status_code == 409 and "already exists" in second.json()["message"]
    assert api.get("/datasets/twice").json() == first.json()


def test_scopes_reading_needs_any_key_changing_needs_train(stack, api):
    upload(api, "scoped.csv", bad_csv(GOOD))
    with httpx.Client(base_url=stack.base_url, timeout=30) as anonymous:
        assert anonymous.get("/datasets").status_code == 401
        assert anonymous.post("/datasets", files={"file": ("a.csv", b"")}).status_code == 401
        predictor = {"Authorization": f"Bearer {PREDICT_KEY}"}
        assert anonymous.get("/datasets", headers=predictor).status_code == 200
        assert anonymous.get("/datasets/scoped", headers=predictor).status_code == 200
        refused = upload(anonymous, "p.csv", bad_csv(GOOD), key=PREDICT_KEY)
        assert refused.status_code == 403
        assert anonymous.delete("/datasets/scoped", headers=predictor).status_code == 403
        trainer = {"Authorization": f"Bearer {TRAIN_KEY}"}
        assert anonymous.delete("/datasets/scoped", headers=trainer).status_code == 204


def test_unknown_data_sets_are_404_and_jobs_naming_them_422(api):
    assert api.get("/datasets/never-uploaded").status_code == 404
    assert api.delete("/datasets/never-uploaded").status_code == 404
    assert api.get("/datasets/digits").status_code == 404  # built-ins are not uploads
    total = api.get("/jobs").json()["total"]
    response = api.post("/jobs", json={**QUICK, "dataset": "never-uploaded"})
    assert response.status_code == 422
    message = response.json()["message"]
    assert message.startswith("dataset:") and "never-uploaded" in message, message
    assert api.get("/jobs").json()["total"] == total  # nothing was stored


def test_the_parameter_cap_uses_the_uploads_real_width(api):
    wide = "label," + ",".join(f"f{i}" for i in range(5000)) + "\n"
    rows = "".join(f"{i % 2}," + ",".join(["1"] * 5000) + "\n" for i in range(16))
    assert upload(api, "wide.csv", (wide + rows).encode()).status_code == 201
    response = api.post("/jobs", json={**QUICK, "dataset": "wide", "hidden_layers": [4096] * 3})
    assert response.status_code == 422 and "parameters" in response.json()["message"]


def test_deleting_is_refused_while_a_job_uses_it_and_a_new_upload_is_read_afresh(
    client, api, digits
):
    x, y = digits
    assert upload(api, "swap.csv", digits_csv(x[:200], y[:200])).status_code == 201
    job = client.submit({**QUICK, "dataset": "swap", "model_name": "swap"})
    refused = api.delete("/datasets/swap")  # the job is queued or running
    assert refused.status_code == 409, refused.text
    assert job.id in refused.json()["message"]
    assert client.wait(job.id, timeout=300).status == "succeeded"

    assert api.delete("/datasets/swap").status_code == 204
    assert api.get("/datasets/swap").status_code == 404 and "swap" not in names(api)
    gone = api.post("/jobs", json={**QUICK, "dataset": "swap"})
    assert gone.status_code == 422 and "dataset" in gone.json()["message"]

    # Same name, other data: the worker that cached the first must read the second.
    again = upload(api, "swap.csv", digits_csv(x[:200, :32], y[:200]))
    assert again.status_code == 201 and again.json()["n_features"] == 32
    job = client.wait(client.submit({**QUICK, "dataset": "swap", "model_name": "swap"}).id)
    assert job.status == "succeeded", job.error
    versions = api.get("/models/swap").json()["versions"]
    assert [v["n_features"] for v in versions] == [64, 32]


def test_a_replayed_submission_outlives_its_data_set_and_a_refused_one_frees_its_key(api, digits):
    x, y = digits
    assert upload(api, "replayed.csv", digits_csv(x[:200], y[:200])).status_code == 201
    body = {**QUICK, "dataset": "replayed", "model_name": "replayed"}
    first = api.post("/jobs", json=body, headers={"Idempotency-Key": "replayed-1"})
    assert first.status_code == 202, first.text
    assert api.post(f"/jobs/{first.json()['id']}/cancel").status_code == 200
    deadline = time.monotonic() + 120  # a running job stops at its next batch boundary
    while api.get(f"/jobs/{first.json()['id']}").json()["status"] == "running":
        assert time.monotonic() < deadline
        time.sleep(0.2)
    assert api.delete("/datasets/replayed").status_code == 204
    # The retry of a request that made its job gets that job, data set or not.
    again = api.post("/jobs", json=body, headers={"Idempotency-Key": "replayed-1"})
    assert again.status_code == 202 and again.json()["id"] == first.json()["id"]
    assert again.headers["Idempotent-Replayed"] == "true"

    # A request refused for its data set leaves its key free for the same request later.
    refused = api.post("/jobs", json=body, headers={"Idempotency-Key": "replayed-2"})
    assert refused.status_code == 422 and "dataset" in refused.json()["message"]
    assert upload(api, "replayed.csv", digits_csv(x[:200], y[:200])).status_code == 201
    later = api.post("/jobs", json=body, headers={"Idempotency-Key": "replayed-2"})
    assert later.status_code == 202, later.text
    assert later.json()["id"] != first.json()["id"]
    api.post(f"/jobs/{later.json()['id']}/cancel")
