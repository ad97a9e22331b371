"""The micro-batcher with a plain NumPy function standing in for the model."""

import asyncio
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from service.batching import MicroBatcher


class SlowDouble:
    """Doubles its input, slowly, and remembers each batch it saw."""

    def __init__(self, seconds=0.02):
        self.seconds, self.calls = seconds, []

    def __call__(self, rows):
        self.calls.append(len(rows))
        time.sleep(self.seconds)
        if np.isnan(rows).any():
            raise ValueError("bad rows")
        return rows * 2


def _run(coroutine):
    return asyncio.run(coroutine)


def test_a_lone_request_runs_at_once_and_alone():
    infer = SlowDouble(0.0)

    async def main():
        batcher = MicroBatcher(infer, ThreadPoolExecutor(1), max_batch_size=64)
        started = time.perf_counter()
        out = await batcher.submit(np.ones((1, 3), np.float32))
        return out, time.perf_counter() - started

    out, seconds = _run(main())
    np.testing.assert_array_equal(out, 2 * np.ones((1, 3)))
    assert infer.calls == [1] and seconds < 0.05


def test_requests_arriving_during_a_call_share_the_next_one():
    infer = SlowDouble(0.05)

    async def main():
        batcher = MicroBatcher(infer, ThreadPoolExecutor(1), max_batch_size=64)
        rows = [np.full((1, 2), i, np.float32) for i in range(20)]
        return rows, await asyncio.gather(*(batcher.submit(r) for r in rows))

    rows, outputs = _run(main())
    for r, out in zip(rows, outputs, strict=True):
        np.testing.assert_array_equal(out, r * 2)  # every caller gets its own rows back
    assert sum(infer.calls) == 20 and len(infer.calls) < 20 and max(infer.calls) > 1


def test_batches_never_exceed_the_maximum_unless_one_request_does():
    infer = SlowDouble(0.01)

    async def main():
        batcher = MicroBatcher(infer, ThreadPoolExecutor(1), max_batch_size=8)
        blocks = [np.zeros((3, 1), np.float32) for _ in range(10)]
        await asyncio.gather(
            *(batcher.submit(b) for b in blocks), batcher.submit(np.zeros((20, 1), np.float32))
        )

    _run(main())
    assert sum(infer.calls) == 50
    assert all(size <= 8 or size == 20 for size in infer.calls)


def test_waiting_collects_a_fuller_batch():
    infer = SlowDouble(0.0)

    async def main():
        batcher = MicroBatcher(infer, ThreadPoolExecutor(1), max_batch_size=64, max_wait=0.05)

        async def late(i):
            await asyncio.sleep(0.01 * i)
            return await batcher.submit(np.ones((1, 1), np.float32))

        await asyncio.gather(*(late(i) for i in range(4)))

    _run(main())
    assert infer.calls == [4]


def test_a_failing_call_fails_its_batch_only():
    infer = SlowDouble(0.0)

    async def main():
        batcher = MicroBatcher(infer, ThreadPoolExecutor(1), max_batch_size=64)
        with pytest.raises(ValueError, match="bad rows"):
            await batcher.submit(np.array([[np.nan]], np.float32))
        return await batcher.submit(np.array([[1.0]], np.float32))

    np.testing.assert_array_equal(_run(main()), [[2.0]])


def test_inference_runs_off_the_event_loop_thread():
    seen = []

    def infer(rows):
        seen.append(threading.current_thread().name)
        return rows

    async def main():
        batcher = MicroBatcher(infer, ThreadPoolExecutor(1, thread_name_prefix="inference"))
        await batcher.submit(np.zeros((1, 1), np.float32))

    _run(main())
    assert seen and seen[0].startswith("inference")
