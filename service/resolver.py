"""Resolve model references on the predict path, cheaply.

Snapshots of each model's versions and labels are cached in the process and thrown
away whenever the registry's generation counter moves, so a newly published version,
a moved label or a deleted version is seen by the next request. Concurrent requests
share one read of the counter: under load that is one Redis round trip per round trip,
not one per request.
"""

from __future__ import annotations

import asyncio
from typing import Any

import redis.asyncio

from trainserve.registry import (
    GENERATION_KEY,
    ModelSnapshot,
    labels_key,
    versions_key,
)
from trainserve.registry import (
    LABEL_PATTERN as NAME,
)
from trainserve.store import ModelNotFound


class ModelResolver:
    def __init__(self, client: redis.asyncio.Redis):
        self.redis = client
        self._generation: bytes | None = None
        self._snapshots: dict[str, ModelSnapshot] = {}
        self._check: asyncio.Future | None = None
        self._reading: dict[str, asyncio.Future] = {}

    async def _current_generation(self) -> bytes | None:
        if self._check is None:
            self._check = asyncio.ensure_future(self.redis.get(GENERATION_KEY))
            self._check.add_done_callback(self._checked)
        return await asyncio.shield(self._check)

    def _checked(self, check: asyncio.Future) -> None:
        if self._check is check:
            self._check = None

    async def snapshot(self, name: str) -> ModelSnapshot:
        if not NAME.fullmatch(name):
            raise ModelNotFound(f"no model named {name!r} (names match {NAME.pattern})")
        generation = await self._current_generation()
        if generation != self._generation:
            self._snapshots.clear()
            self._generation = generation
        snapshot = self._snapshots.get(name)
        if snapshot is not None:
            return snapshot
        # Concurrent misses for one name share one read (no stampede on a cold cache).
        if name not in self._reading:
            self._reading[name] = asyncio.ensure_future(self._read(name))
            self._reading[name].add_done_callback(lambda _: self._reading.pop(name, None))
        return await asyncio.shield(self._reading[name])

    async def _read(self, name: str) -> ModelSnapshot:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.get(GENERATION_KEY)
            pipe.hgetall(versions_key(name))
            pipe.hgetall(labels_key(name))
            read_at, raw_versions, raw_labels = await pipe.execute()
        snapshot = ModelSnapshot.from_redis(name, raw_versions, raw_labels)
        # Cache it only if it belongs to the generation the cache holds; a read that
        # raced a change is used once and read again next time.
        if read_at == self._generation:
            self._snapshots[name] = snapshot
        return snapshot

    async def resolve(
        self, name: str, version: int | None = None, label: str | None = None
    ) -> dict[str, Any]:
        return (await self.snapshot(name)).resolve(version, label)
