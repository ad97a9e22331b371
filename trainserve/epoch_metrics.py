"""Epoch durations: recorded in Redis by the training processes, exported by the API.

Training processes come and go with jobs and are never scraped, so each finished epoch
adds its duration to a histogram kept in Redis, one hash per device
(``trainserve:metrics:epoch_seconds:<device>``): a count per bucket (not cumulative,
keyed by the bucket's upper bound) and ``sum``. One transaction per epoch.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import redis

from trainserve.store import PREFIX

# From a digits epoch (tens of milliseconds) to a large network's (minutes).
BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, math.inf)


def epoch_key(device: str) -> str:
    return f"{PREFIX}metrics:epoch_seconds:{device}"


def _bound(seconds: float) -> str:
    upper = next(b for b in BUCKETS if seconds <= b)
    return "+Inf" if math.isinf(upper) else repr(upper)


def record_epoch(client: redis.Redis, device: str, seconds: float) -> None:
    """Add one epoch of ``seconds`` to ``device``'s histogram."""
    key = epoch_key(device)
    with client.pipeline(transaction=True) as pipe:
        pipe.hincrby(key, _bound(seconds), 1)
        pipe.hincrbyfloat(key, "sum", seconds)
        pipe.execute()


@dataclass
class EpochHistogram:
    """Cumulative bucket counts as Prometheus wants them: ``[(upper bound, count), ...]``
    ending with ``+Inf``; and the sum of all durations."""

    buckets: list[tuple[str, int]]
    sum: float

    @property
    def count(self) -> int:
        return self.buckets[-1][1]


def read_epochs(client: redis.Redis, devices: Iterable[str]) -> dict[str, EpochHistogram]:
    """The histogram of every device in ``devices`` that has recorded an epoch."""
    devices = list(devices)
    with client.pipeline(transaction=False) as pipe:
        for device in devices:
            pipe.hgetall(epoch_key(device))
        raws = pipe.execute()
    found = {}
    for device, raw in zip(devices, raws, strict=True):
        if not raw:
            continue
        fields = {k.decode(): v for k, v in raw.items()}
        total, buckets = 0, []
        for bound in BUCKETS:
            name = "+Inf" if math.isinf(bound) else repr(bound)
            total += int(fields.get(name, 0))
            buckets.append((name, total))
        found[device] = EpochHistogram(buckets, float(fields.get("sum", 0.0)))
    return found
