"""Every API call as data: what to send and how to read the answer.

The sync and async clients only differ in how they send; both build their requests here.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import numpy as np

from trainserve_client._exceptions import ConnectionFailed, error_for
from trainserve_client._types import Dataset, Job, Model, PredictResult


def _seg(text: str | int) -> str:
    """A path segment: user text can never reach another route."""
    return quote(str(text), safe="")


def _json(response: httpx.Response) -> Any:
    return response.json()


def _nothing(response: httpx.Response) -> None:
    return None


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    parse: Callable[[httpx.Response], Any] = _json
    safe: bool = False  # whether repeating it after the server may have acted is harmless
    params: dict[str, Any] | None = None
    json: Any = None
    headers: dict[str, str] | None = None
    files: dict[str, Any] | None = None
    data: dict[str, str] | None = None

    def request_kwargs(self) -> dict[str, Any]:
        names = ("params", "json", "headers", "files", "data")
        return {n: getattr(self, n) for n in names if getattr(self, n) is not None}

    def finish(self, response: httpx.Response | None, error: Exception | None, url: str) -> Any:
        """The parsed answer, or the SDK's exception for this outcome."""
        if error is not None:
            raise ConnectionFailed(f"could not reach trainserve at {url}: {error}") from error
        assert response is not None
        if response.is_error:
            try:
                body = response.json()
            except ValueError:
                body = response.text
            raise error_for(response.status_code, body)
        return self.parse(response)


def submit(spec: dict[str, Any] | None, key: str | None, fields: dict[str, Any]) -> Call:
    # Every submission carries a key, so a retried POST never queues a second job.
    headers = {"Idempotency-Key": key or uuid.uuid4().hex}
    body = {**(spec or {}), **fields}
    return Call(
        "POST", "/jobs", lambda r: Job.from_json(r.json()), True, json=body, headers=headers
    )


def get(job_id: str) -> Call:
    return Call("GET", f"/jobs/{_seg(job_id)}", lambda r: Job.from_json(r.json()), True)


def jobs(offset: int, limit: int) -> Call:
    def parse(response: httpx.Response) -> list[Job]:
        return [Job.from_json(item) for item in response.json()["items"]]

    return Call("GET", "/jobs", parse, True, params={"offset": offset, "limit": limit})


def cancel(job_id: str) -> Call:
    return Call("POST", f"/jobs/{_seg(job_id)}/cancel", lambda r: Job.from_json(r.json()))


def report(job_id: str) -> Call:
    return Call("GET", f"/jobs/{_seg(job_id)}/report", safe=True)


def report_png(job_id: str) -> Call:
    return Call("GET", f"/jobs/{_seg(job_id)}/report.png", lambda r: r.content, True)


def rows_of(instances: Any) -> list[list[float]]:
    """Feature rows as JSON lists: a 2-D array or nested sequences; a 1-D array is one row."""
    if isinstance(instances, np.ndarray):
        array = instances[np.newaxis, :] if instances.ndim == 1 else instances
        if array.ndim != 2:
            raise ValueError(
                f"predict: expected rows of features (a 1-D or 2-D array); "
                f"received an array of shape {instances.shape}"
            )
        return array.tolist()
    return [list(row) for row in instances]


def predict(model: str, instances: Any, top_k: int | None) -> Call:
    body: dict[str, Any] = {"model": model, "instances": rows_of(instances)}
    if top_k is not None:
        body["top_k"] = top_k
    return Call("POST", "/predict", lambda r: PredictResult.from_json(r.json()), True, json=body)


def models() -> Call:
    def parse(response: httpx.Response) -> list[Model]:
        return [Model.from_json(item) for item in response.json()["items"]]

    return Call("GET", "/models", parse, True)


def model(name: str) -> Call:
    return Call("GET", f"/models/{_seg(name)}", lambda r: Model.from_json(r.json()), True)


def set_label(name: str, label: str, version: int) -> Call:
    return Call(
        "PUT",
        f"/models/{_seg(name)}/labels/{_seg(label)}",
        lambda r: Model.from_json(r.json()),
        True,
        json={"version": version},
    )


def delete_label(name: str, label: str) -> Call:
    return Call("DELETE", f"/models/{_seg(name)}/labels/{_seg(label)}", _nothing)


def delete_version(name: str, version: int) -> Call:
    return Call("DELETE", f"/models/{_seg(name)}/versions/{_seg(version)}", _nothing)


def upload_dataset(
    path: str | Path, name: str | None, label_column: str, test_fraction: float | None
) -> Call:
    path = Path(path)
    # Read into memory so a retry (connection refused) can send it again; uploads are
    # bounded by the server's body limit anyway.
    files = {"file": (path.name, path.read_bytes(), "application/octet-stream")}
    form = {"label_column": label_column}
    if name is not None:
        form["name"] = name
    if test_fraction is not None:
        form["test_fraction"] = str(test_fraction)
    parse = lambda r: Dataset.from_json(r.json())  # noqa: E731
    return Call("POST", "/datasets", parse, files=files, data=form)


def datasets() -> Call:
    def parse(response: httpx.Response) -> list[Dataset]:
        return [Dataset.from_json(item) for item in response.json()["datasets"]]

    return Call("GET", "/datasets", parse, True)


def dataset(name: str) -> Call:
    return Call("GET", f"/datasets/{_seg(name)}", lambda r: Dataset.from_json(r.json()), True)


def delete_dataset(name: str) -> Call:
    return Call("DELETE", f"/datasets/{_seg(name)}", _nothing)
