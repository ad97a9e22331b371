"""Resolve model references on the predict path: one cheap Redis read per request.

Snapshots of each model's versions and labels are cached in the process and thrown
away whenever the registry's generation counter moves, so a newly published version,
a moved label or a deleted version is seen by the very next request.
"""

from __future__ import annotations

from typing import Any

import redis.asyncio

from trainserve.registry import GENERATION_KEY, ModelSnapshot, labels_key, versions_key


class ModelResolver:
    def __init__(self, client: redis.asyncio.Redis):
        self.redis = client
        self._generation: bytes | None = None
        self._snapshots: dict[str, ModelSnapshot] = {}

    async def snapshot(self, name: str) -> ModelSnapshot:
        generation = await self.redis.get(GENERATION_KEY)
        if generation != self._generation:
            self._snapshots.clear()
            self._generation = generation
        snapshot = self._snapshots.get(name)
        if snapshot is None:
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.hgetall(versions_key(name))
                pipe.hgetall(labels_key(name))
                raw_versions, raw_labels = await pipe.execute()
            snapshot = ModelSnapshot.from_redis(name, raw_versions, raw_labels)
            self._snapshots[name] = snapshot
        return snapshot

    async def resolve(
        self, name: str, version: int | None = None, label: str | None = None
    ) -> dict[str, Any]:
        return (await self.snapshot(name)).resolve(version, label)
