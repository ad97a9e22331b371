"""Per-process connections of a worker, and its heartbeat in Redis."""

from __future__ import annotations

import os
import socket
import threading
import time
from functools import lru_cache

import redis

from trainserve.registry import ModelRegistry
from trainserve.settings import Settings, get_settings
from trainserve.store import PREFIX, JobStore

WORKERS_KEY = f"{PREFIX}workers"


@lru_cache
def connections() -> tuple[JobStore, ModelRegistry, Settings]:
    """The job store, registry and settings of this process (made after fork)."""
    settings = get_settings()
    # A timeout, so a write on a dead connection fails (and is retried) instead of hanging.
    client = redis.Redis.from_url(settings.redis_url, health_check_interval=30, socket_timeout=30)
    return JobStore(client), ModelRegistry(client), settings


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class Heartbeat:
    """Records in ``trainserve:workers`` that this worker is alive, every few seconds."""

    def __init__(self, client: redis.Redis, interval: float):
        self.client, self.interval = client, interval
        self.name = worker_id()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="heartbeat", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.client.zadd(WORKERS_KEY, {self.name: time.time()})
            except redis.RedisError:
                pass  # Redis may be restarting; the next beat tries again
            self._stop.wait(self.interval)

    def stop(self) -> None:
        self._stop.set()
        try:
            self.client.zrem(WORKERS_KEY, self.name)
        except redis.RedisError:
            pass


def live_workers(client: redis.Redis, interval: float) -> int:
    """How many workers have beaten in the last three intervals (older beats are dropped)."""
    since = time.time() - 3 * interval
    with client.pipeline() as pipe:
        pipe.zremrangebyscore(WORKERS_KEY, "-inf", since - 3600)
        pipe.zcount(WORKERS_KEY, since, "+inf")
        return int(pipe.execute()[1])
