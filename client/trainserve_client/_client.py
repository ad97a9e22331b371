"""The synchronous client."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import httpx

from trainserve_client._exceptions import JobFailed, WaitTimeout, error_for
from trainserve_client._types import Job, PredictResult


class Client:
    """A client of one trainserve server.

    Args:
        base_url: the server's address, e.g. ``http://127.0.0.1:8000``.
        api_key: sent as ``Authorization: Bearer <key>``; defaults to the
            ``TRAINSERVE_API_KEY`` environment variable.
        timeout: seconds for each HTTP request.
        transport: an ``httpx`` transport (tests pass ``httpx.MockTransport``).
    """

    def __init__(
        self,
        base_url: str = "http://127.0.0.1:8000",
        *,
        api_key: str | None = None,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
    ):
        api_key = api_key or os.environ.get("TRAINSERVE_API_KEY")
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._http = httpx.Client(
            base_url=base_url, timeout=timeout, transport=transport, headers=headers
        )

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def _request(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self._http.request(method, path, **kwargs)
        if response.is_error:
            try:
                body = response.json()
            except ValueError:
                body = response.text
            raise error_for(response.status_code, body)
        return response.json()

    def submit(
        self,
        spec: dict[str, Any] | None = None,
        *,
        idempotency_key: str | None = None,
        **fields: Any,
    ) -> Job:
        """Queue a training job from a spec dict and/or keyword fields. With an
        ``idempotency_key``, retrying the same submission returns the same job."""
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else None
        body = {**(spec or {}), **fields}
        return Job.from_json(self._request("POST", "/jobs", json=body, headers=headers))

    def cancel(self, job_id: str) -> Job:
        """Cancel a queued job, or ask a running one to stop at its next batch."""
        return Job.from_json(self._request("POST", f"/jobs/{job_id}/cancel"))

    def get(self, job_id: str) -> Job:
        """The job's current record."""
        return Job.from_json(self._request("GET", f"/jobs/{job_id}"))

    def jobs(self, *, offset: int = 0, limit: int = 20) -> list[Job]:
        """Jobs, newest first."""
        body = self._request("GET", "/jobs", params={"offset": offset, "limit": limit})
        return [Job.from_json(item) for item in body["items"]]

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
        deadline = time.monotonic() + timeout
        seen: tuple[str, int] | None = None
        while True:
            job = self.get(job_id)
            if on_progress is not None and (job.status, job.epoch) != seen:
                on_progress(job)
            seen = (job.status, job.epoch)
            if job.finished:
                if raise_on_failure and job.status != "succeeded":
                    raise JobFailed(job)
                return job
            if time.monotonic() >= deadline:
                raise WaitTimeout(f"job {job_id} still {job.status} after {timeout:.0f} s")
            time.sleep(poll_interval)

    def report(self, job_id: str) -> dict[str, Any]:
        """The job's gradient-health report: per epoch and hidden layer, as JSON."""
        return self._request("GET", f"/jobs/{job_id}/report")

    def report_png(self, job_id: str) -> bytes:
        """The report drawn as a PNG (gradient norms per layer, learning curves)."""
        response = self._http.get(f"/jobs/{job_id}/report.png")
        if response.is_error:
            raise error_for(response.status_code, response.json())
        return response.content

    def predict(self, model: str, instances: Iterable[Sequence[float]] | Any) -> PredictResult:
        """Classify rows of raw features with ``model`` (``name`` or ``name:version``)."""
        rows = instances.tolist() if hasattr(instances, "tolist") else [list(r) for r in instances]
        return PredictResult.from_json(
            self._request("POST", "/predict", json={"model": model, "instances": rows})
        )

    def ready(self) -> bool:
        """Whether the server answers ``/readyz`` with 200 (Redis up, a worker alive)."""
        try:
            return self._http.get("/readyz").status_code == 200
        except httpx.HTTPError:
            return False
