"""The model registry in Redis: published versions of each model, and their labels.

Keys (under ``trainserve:``): ``model:<name>`` a hash of version → version record (JSON);
``model:<name>:labels`` a hash of label → version; ``model:<name>:seq`` the last version
number handed out (numbers are never reused, even after a delete); ``models`` the set of
names; ``registry:generation`` a counter bumped by every change, so servers can cache
what they read and notice when it goes stale with one cheap read.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import redis

from trainserve.store import PREFIX, Conflict, ModelNotFound

GENERATION_KEY = f"{PREFIX}registry:generation"
LATEST = "latest"
LABEL_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


def versions_key(name: str) -> str:
    return f"{PREFIX}model:{name}"


def labels_key(name: str) -> str:
    return f"{PREFIX}model:{name}:labels"


@dataclass(frozen=True)
class ModelSnapshot:
    """One model's versions and labels as read at one moment."""

    name: str
    versions: dict[int, dict[str, Any]]
    labels: dict[str, int] = field(default_factory=dict)

    @classmethod
    def from_redis(cls, name: str, raw_versions: dict, raw_labels: dict) -> ModelSnapshot:
        if not raw_versions:
            raise ModelNotFound(f"no model named {name!r}")
        versions = {int(k): json.loads(v) for k, v in raw_versions.items()}
        labels = {k.decode(): int(v) for k, v in raw_labels.items()}
        return cls(name, dict(sorted(versions.items())), labels)

    @property
    def latest(self) -> int:
        return max(self.versions)

    def all_labels(self) -> dict[str, int]:
        return {LATEST: self.latest, **self.labels}

    def resolve(self, version: int | None = None, label: str | None = None) -> dict[str, Any]:
        """The record of ``version``, of the version ``label`` points to, or of the latest."""
        if label is not None:
            labels = self.all_labels()
            if label not in labels:
                raise ModelNotFound(
                    f"model {self.name!r} has no label {label!r}; it has: {', '.join(labels)}"
                )
            version = labels[label]
        if version is None:
            version = self.latest
        if version not in self.versions:
            known = ", ".join(str(v) for v in self.versions)
            raise ModelNotFound(f"model {self.name!r} has no version {version}; it has: {known}")
        return self.versions[version]


class ModelRegistry:
    """Reads and changes the registry (synchronous; the API's hot path reads it async)."""

    def __init__(self, client: redis.Redis):
        self.redis = client

    def next_version(self, name: str) -> int:
        return int(self.redis.incr(f"{versions_key(name)}:seq"))

    def queue_publish(self, pipe: redis.client.Pipeline, record: dict[str, Any]) -> None:
        """Queue the writes that publish ``record`` into a caller's transaction."""
        pipe.hset(versions_key(record["name"]), str(record["version"]), json.dumps(record))
        pipe.sadd(f"{PREFIX}models", record["name"])
        pipe.incr(GENERATION_KEY)

    def snapshot(self, name: str) -> ModelSnapshot:
        if not LABEL_PATTERN.fullmatch(name):
            raise ModelNotFound(f"no model named {name!r}")
        with self.redis.pipeline(transaction=True) as pipe:
            pipe.hgetall(versions_key(name))
            pipe.hgetall(labels_key(name))
            raw_versions, raw_labels = pipe.execute()
        return ModelSnapshot.from_redis(name, raw_versions, raw_labels)

    def names(self) -> list[str]:
        return sorted(n.decode() for n in self.redis.smembers(f"{PREFIX}models"))

    def set_label(self, name: str, label: str, version: int) -> None:
        """Point ``label`` at ``version`` (which must exist)."""
        if label == LATEST:
            raise Conflict("`latest` always points to the newest version and cannot be moved")

        def attempt(pipe: redis.client.Pipeline) -> None:
            if not pipe.hexists(versions_key(name), str(version)):
                self.snapshot(name).resolve(version)  # raises the precise not-found
            pipe.multi()
            pipe.hset(labels_key(name), label, version)
            pipe.incr(GENERATION_KEY)

        self.redis.transaction(attempt, versions_key(name))

    def delete_label(self, name: str, label: str) -> None:
        if label == LATEST:
            raise Conflict("`latest` cannot be deleted")
        self.snapshot(name).resolve(label=label)
        with self.redis.pipeline() as pipe:
            pipe.hdel(labels_key(name), label)
            pipe.incr(GENERATION_KEY)
            pipe.execute()

    def delete_version(self, name: str, version: int) -> dict[str, Any]:
        """Unpublish ``version``; refused while a label points to it. Returns its record."""
        deleted: dict[str, Any] = {}

        def attempt(pipe: redis.client.Pipeline) -> None:
            snapshot = ModelSnapshot.from_redis(
                name, pipe.hgetall(versions_key(name)), pipe.hgetall(labels_key(name))
            )
            record = snapshot.resolve(version)
            pinned = [label for label, v in snapshot.labels.items() if v == version]
            if pinned:
                raise Conflict(
                    f"label {pinned[0]!r} points to version {version} of {name!r}; "
                    "move or delete the label first"
                )
            pipe.multi()
            pipe.hdel(versions_key(name), str(version))
            if len(snapshot.versions) == 1:
                pipe.srem(f"{PREFIX}models", name)
            pipe.incr(GENERATION_KEY)
            deleted.update(record)

        self.redis.transaction(attempt, versions_key(name), labels_key(name))
        return deleted
