"""Dynamic batching of concurrent predict requests for one model version.

Requests that arrive while an inference call is running are queued and served
together by the next call, up to ``max_batch_size`` rows. With ``max_wait`` at 0 an
idle server runs a lone request at once: batching costs nothing when there is
nothing to batch, and grows with the load.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Executor

import numpy as np

from service.errors import Unavailable

UNLOADED = "the model was unloaded while this request waited; retry it"


class MicroBatcher:
    """Queues row blocks, runs them through ``infer`` on ``executor``, hands results back."""

    def __init__(
        self,
        infer: Callable[[np.ndarray], np.ndarray],
        executor: Executor,
        max_batch_size: int = 256,
        max_wait: float = 0.0,
        on_batch: Callable[[int, int], None] | None = None,
    ):
        self.infer, self.executor = infer, executor
        self.max_batch_size, self.max_wait = max_batch_size, max_wait
        self.on_batch = on_batch  # (rows, requests) of each inference call, for metrics
        self._pending: deque[tuple[np.ndarray, asyncio.Future]] = deque()
        self._wakeup: asyncio.Event | None = None
        self._task: asyncio.Task | None = None

    async def submit(self, rows: np.ndarray) -> np.ndarray:
        """The model's output for ``rows``, computed in some batch."""
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self._pending.append((rows, future))
        if self._task is None or self._task.done():
            self._wakeup = asyncio.Event()
            self._task = loop.create_task(self._serve())
        self._wakeup.set()
        return await future

    def _take_batch(self) -> list[tuple[np.ndarray, asyncio.Future]]:
        batch = [self._pending.popleft()]
        size = len(batch[0][0])
        while self._pending and size + len(self._pending[0][0]) <= self.max_batch_size:
            rows, future = self._pending.popleft()
            batch.append((rows, future))
            size += len(rows)
        return batch

    async def _fill(self) -> None:
        deadline = time.monotonic() + self.max_wait
        while sum(len(r) for r, _ in self._pending) < self.max_batch_size:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            self._wakeup.clear()
            try:
                await asyncio.wait_for(self._wakeup.wait(), remaining)
            except asyncio.TimeoutError:  # noqa: UP041 - distinct from TimeoutError on 3.10
                return

    async def _serve(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            if not self._pending:
                self._wakeup.clear()
                await self._wakeup.wait()
                continue
            if self.max_wait > 0:
                await self._fill()
            batch = self._take_batch()
            rows = batch[0][0] if len(batch) == 1 else np.concatenate([r for r, _ in batch])
            if self.on_batch is not None:
                self.on_batch(len(rows), len(batch))
            try:
                outputs = await loop.run_in_executor(self.executor, self.infer, rows)
            except asyncio.CancelledError:  # closed mid-call: nobody may be left waiting
                self._fail(batch, Unavailable(UNLOADED))
                raise
            except Exception as error:  # every waiter hears about it; the batcher lives on
                self._fail(batch, error)
                continue
            start = 0
            for part, future in batch:
                if not future.done():  # its client may have gone away
                    future.set_result(outputs[start : start + len(part)])
                start += len(part)

    @staticmethod
    def _fail(batch: list[tuple[np.ndarray, asyncio.Future]], error: BaseException) -> None:
        for _, future in batch:
            if not future.done():
                future.set_exception(error)

    def close(self) -> None:
        """Stop the batcher; requests still queued are failed (503), none is left hanging."""
        if self._task is not None:
            self._task.cancel()
        self._fail(list(self._pending), Unavailable(UNLOADED))
        self._pending.clear()
