"""The asynchronous client: the same methods as ``Client``, to be awaited."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx

from trainserve_client import _calls as calls
from trainserve_client._client import DEFAULT_URL, auth_headers
from trainserve_client._retry import Retry
from trainserve_client._types import Dataset, Job, Model, PredictResult
from trainserve_client._waiting import Waiter


class AsyncClient:
    """An asyncio client of one trainserve server; arguments as for ``Client``.

    Example:
        >>> async with AsyncClient() as client:
        ...     job = await client.submit(dataset="digits", epochs=5)
        ...     job = await client.wait(job.id, on_progress=print)
        ...     (await client.predict(str(job.model), rows)).probabilities
    """

    def __init__(
        self,
        base_url: str = DEFAULT_URL,
        *,
        api_key: str | None = None,
        timeout: float = 30.0,
        retry: Retry | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ):
        self.retry = retry or Retry()
        self._http = httpx.AsyncClient(
            base_url=base_url, timeout=timeout, transport=transport, headers=auth_headers(api_key)
        )

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _send(self, call: calls.Call) -> Any:
        attempt = 0
        while True:
            attempt += 1
            response, error = None, None
            try:
                response = await self._http.request(call.method, call.path, **call.request_kwargs())
            except httpx.TransportError as raised:
                error = raised
            delay = self.retry.next_delay(attempt, call.safe, response, error)
            if delay is None:
                return call.finish(response, error, str(self._http.base_url))
            await asyncio.sleep(delay)

    async def submit(
        self,
        spec: dict[str, Any] | None = None,
        *,
        idempotency_key: str | None = None,
        **fields: Any,
    ) -> Job:
        """Queue a training job (see ``Client.submit``)."""
        return await self._send(calls.submit(spec, idempotency_key, fields))

    async def cancel(self, job_id: str) -> Job:
        return await self._send(calls.cancel(job_id))

    async def get(self, job_id: str) -> Job:
        return await self._send(calls.get(job_id))

    async def jobs(self, *, offset: int = 0, limit: int = 20) -> list[Job]:
        return await self._send(calls.jobs(offset, limit))

    async def wait(
        self,
        job_id: str,
        timeout: float = 3600.0,
        *,
        poll_interval: float = 1.0,
        on_progress: Callable[[Job], None | Awaitable[None]] | None = None,
        raise_on_failure: bool = True,
    ) -> Job:
        """Poll until the job finishes; ``on_progress`` (a function or a coroutine function)
        sees every change of epoch or status. Raises ``JobFailed`` or ``WaitTimeout``."""
        waiter = Waiter(job_id, timeout, raise_on_failure)
        while True:
            job = await self.get(job_id)
            if waiter.progressed(job) and on_progress is not None:
                result = on_progress(job)
                if inspect.isawaitable(result):
                    await result
            if waiter.done(job):
                return job
            await asyncio.sleep(poll_interval)

    async def report(self, job_id: str) -> dict[str, Any]:
        return await self._send(calls.report(job_id))

    async def report_png(self, job_id: str) -> bytes:
        return await self._send(calls.report_png(job_id))

    async def predict(
        self, model: str, instances: Any, *, top_k: int | None = None
    ) -> PredictResult:
        """Classify rows (a NumPy array or lists); the result's ``probabilities`` is an array."""
        return await self._send(calls.predict(model, instances, top_k))

    async def models(self) -> list[Model]:
        return await self._send(calls.models())

    async def model(self, name: str) -> Model:
        return await self._send(calls.model(name))

    async def set_label(self, name: str, label: str, version: int) -> Model:
        return await self._send(calls.set_label(name, label, version))

    async def delete_label(self, name: str, label: str) -> None:
        await self._send(calls.delete_label(name, label))

    async def delete_version(self, name: str, version: int) -> None:
        await self._send(calls.delete_version(name, version))

    async def upload_dataset(
        self,
        path: str | Path,
        name: str | None = None,
        label_column: str = "label",
        test_fraction: float | None = None,
    ) -> Dataset:
        return await self._send(calls.upload_dataset(path, name, label_column, test_fraction))

    async def datasets(self) -> list[Dataset]:
        return await self._send(calls.datasets())

    async def dataset(self, name: str) -> Dataset:
        return await self._send(calls.dataset(name))

    async def delete_dataset(self, name: str) -> None:
        await self._send(calls.delete_dataset(name))

    async def ready(self) -> bool:
        try:
            return (await self._http.get("/readyz")).status_code == 200
        except httpx.HTTPError:
            return False
