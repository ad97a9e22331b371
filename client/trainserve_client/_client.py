"""The synchronous client."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from trainserve_client import _calls as calls
from trainserve_client._retry import Retry
from trainserve_client._types import Dataset, Job, Model, PredictResult
from trainserve_client._waiting import Waiter

DEFAULT_URL = "http://127.0.0.1:8000"


def auth_headers(api_key: str | None) -> dict[str, str]:
    api_key = api_key or os.environ.get("TRAINSERVE_API_KEY")
    return {"Authorization": f"Bearer {api_key}"} if api_key else {}


class Client:
    """A client of one trainserve server.

    Args:
        base_url: the server's address, e.g. ``http://127.0.0.1:8000``.
        api_key: sent as ``Authorization: Bearer <key>``; defaults to the
            ``TRAINSERVE_API_KEY`` environment variable.
        timeout: seconds for each HTTP request.
        retry: when and how often to retry (default: 5 tries on 503 and connection errors,
            backoff from 0.2 s doubling to 5 s); ``Retry(attempts=1)`` turns it off.
        transport: an ``httpx`` transport (tests pass ``httpx.MockTransport``).

    Example:
        >>> with Client() as client:
        ...     job = client.wait(client.submit(dataset="digits", epochs=5).id)
    """

    def __init__(
        self,
        base_url: str = DEFAULT_URL,
        *,
        api_key: str | None = None,
        timeout: float = 30.0,
        retry: Retry | None = None,
        transport: httpx.BaseTransport | None = None,
    ):
        self.retry = retry or Retry()
        self._http = httpx.Client(
            base_url=base_url, timeout=timeout, transport=transport, headers=auth_headers(api_key)
        )

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def _send(self, call: calls.Call) -> Any:
        attempt = 0
        while True:
            attempt += 1
            response, error = None, None
            try:
                response = self._http.request(call.method, call.path, **call.request_kwargs())
            except httpx.TransportError as raised:
                error = raised
            delay = self.retry.next_delay(attempt, call.safe, response, error)
            if delay is None:
                return call.finish(response, error, str(self._http.base_url))
            time.sleep(delay)

    def submit(
        self,
        spec: dict[str, Any] | None = None,
        *,
        idempotency_key: str | None = None,
        **fields: Any,
    ) -> Job:
        """Queue a training job from a spec dict and/or keyword fields. Retrying with the same
        ``idempotency_key`` returns the same job; without one, the client makes one up, so its
        own retries never queue a job twice."""
        return self._send(calls.submit(spec, idempotency_key, fields))

    def cancel(self, job_id: str) -> Job:
        """Cancel a queued job, or ask a running one to stop at its next batch."""
        return self._send(calls.cancel(job_id))

    def get(self, job_id: str) -> Job:
        """The job's current record."""
        return self._send(calls.get(job_id))

    def jobs(self, *, offset: int = 0, limit: int = 20) -> list[Job]:
        """Jobs, newest first."""
        return self._send(calls.jobs(offset, limit))

    def wait(
        self,
        job_id: str,
        timeout: float = 3600.0,
        *,
        poll_interval: float = 1.0,
        on_progress: Callable[[Job], None] | None = None,
        raise_on_failure: bool = True,
    ) -> Job:
        """Poll until the job finishes; ``on_progress`` sees every change of epoch or status.

        Raises:
            JobFailed: the job ended failed or cancelled (unless ``raise_on_failure`` is off).
            WaitTimeout: it had not finished after ``timeout`` seconds.
        """
        waiter = Waiter(job_id, timeout, raise_on_failure)
        while True:
            job = self.get(job_id)
            if waiter.progressed(job) and on_progress is not None:
                on_progress(job)
            if waiter.done(job):
                return job
            time.sleep(poll_interval)

    def report(self, job_id: str) -> dict[str, Any]:
        """The job's gradient-health report: per epoch and hidden layer, as JSON."""
        return self._send(calls.report(job_id))

    def report_png(self, job_id: str) -> bytes:
        """The report drawn as a PNG (gradient norms per layer, learning curves)."""
        return self._send(calls.report_png(job_id))

    def predict(self, model: str, instances: Any, *, top_k: int | None = None) -> PredictResult:
        """Classify rows of raw features (a NumPy array or lists) with ``model`` (``name``,
        ``name:version`` or ``name:label``); the result's ``probabilities`` is an array."""
        return self._send(calls.predict(model, instances, top_k))

    def models(self) -> list[Model]:
        """Every published model with its versions and labels."""
        return self._send(calls.models())

    def model(self, name: str) -> Model:
        """One model: its versions (job, data set, test metrics) and labels."""
        return self._send(calls.model(name))

    def set_label(self, name: str, label: str, version: int) -> Model:
        """Point ``label`` (e.g. ``stable``) at a version; predict with ``name:label``."""
        return self._send(calls.set_label(name, label, version))

    def delete_label(self, name: str, label: str) -> None:
        """Remove a label (the version stays)."""
        self._send(calls.delete_label(name, label))

    def delete_version(self, name: str, version: int) -> None:
        """Unpublish a version and delete its files (refused while a label points to it)."""
        self._send(calls.delete_version(name, version))

    def upload_dataset(
        self,
        path: str | Path,
        name: str | None = None,
        label_column: str = "label",
        test_fraction: float | None = None,
    ) -> Dataset:
        """Upload a ``.csv`` (a label column, the rest features) or ``.npz`` (``x``, ``y``,
        optional ``x_test``/``y_test``); a job spec's ``dataset`` can then name it."""
        return self._send(calls.upload_dataset(path, name, label_column, test_fraction))

    def datasets(self) -> list[Dataset]:
        """The data sets a job can train on."""
        return self._send(calls.datasets())

    def dataset(self, name: str) -> Dataset:
        return self._send(calls.dataset(name))

    def delete_dataset(self, name: str) -> None:
        """Delete an uploaded data set (refused while a queued or running job uses it)."""
        self._send(calls.delete_dataset(name))

    def ready(self) -> bool:
        """Whether the server answers ``/readyz`` with 200 (Redis up, a worker alive)."""
        try:
            return self._http.get("/readyz").status_code == 200
        except httpx.HTTPError:
            return False
