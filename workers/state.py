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

    def __init__(self, client: redis.Redis, interval: float, device: str = "cpu"):
        self.client, self.interval, self.device = client, interval, device
        self.name = worker_id()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="heartbeat", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                now = time.time()
                with self.client.pipeline() as pipe:
                    pipe.zadd(WORKERS_KEY, {self.name: now})
                    pipe.zadd(f"{WORKERS_KEY}:{self.device}", {self.name: now})
                    pipe.execute()
            except redis.RedisError:
                pass  # Redis may be restarting; the next beat tries again
            self._stop.wait(self.interval)

    def stop(self) -> None:
        self._stop.set()
        try:
            self.client.zrem(WORKERS_KEY, self.name)
            self.client.zrem(f"{WORKERS_KEY}:{self.device}", self.name)
        except redis.RedisError:
            pass


def live_workers(client: redis.Redis, interval: float, device: str | None = None) -> int:
    """How many workers (of ``device``, or all) have beaten in the last three intervals;
    beats older than an hour are dropped."""
    key = f"{WORKERS_KEY}:{device}" if device else WORKERS_KEY
    since = time.time() - 3 * interval
    with client.pipeline() as pipe:
        pipe.zremrangebyscore(key, "-inf", since - 3600)
        pipe.zcount(key, since, "+inf")
        return int(pipe.execute()[1])
