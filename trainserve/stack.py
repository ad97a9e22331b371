"""``trainserve up``: Redis, the API and the workers on one machine, stopped together."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field

import httpx

from trainserve.processes import spawn, stop
from trainserve.redis_server import EmbeddedRedis, ensure_redis
from trainserve.settings import Settings

MAX_RESTARTS = 5


@dataclass
class Stack:
    """The processes of a one-machine deployment; the API and workers are children."""

    settings: Settings
    host: str
    port: int
    workers: int = 1
    redis_url: str = ""
    redis: EmbeddedRedis | None = None
    children: dict[str, subprocess.Popen] = field(default_factory=dict)
    commands: dict[str, tuple[list[str], dict[str, str]]] = field(default_factory=dict)
    restarts: dict[str, list[float]] = field(default_factory=dict)

    @property
    def base_url(self) -> str:
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::") else self.host
        return f"http://{host}:{self.port}"

    def start(self) -> Stack:
        try:
            return self._start()
        except BaseException:
            self.stop()  # nothing half-started is left behind
            raise

    def _start(self) -> Stack:
        self.redis_url, self.redis = ensure_redis(self.settings)
        logs = self.settings.home_dir / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        env = {
            **os.environ,
            "TRAINSERVE_REDIS_URL": self.redis_url,
            "TRAINSERVE_HOME": str(self.settings.home_dir),
        }
        cli = [sys.executable, "-m", "trainserve.cli"]
        self.commands = {
            "worker": ([*cli, "worker", "--concurrency", str(self.workers)], env),
            "api": ([*cli, "api", "--host", self.host, "--port", str(self.port)], env),
        }
        for name in self.commands:
            self._spawn(name)
        return self

    def _spawn(self, name: str) -> None:
        argv, env = self.commands[name]
        self.children[name] = spawn(argv, env, self.logs / f"{name}.log")

    def revive(self) -> None:
        """Restart whatever died (Redis on its own port and data); give up on a process
        that keeps dying (more than MAX_RESTARTS in a minute) with RuntimeError."""
        if self.redis is not None and self.redis.process.poll() is not None:
            self._note_restart("redis", self.redis.process.returncode)
            self.redis.start()
        for name, process in list(self.children.items()):
            if process.poll() is not None:
                self._note_restart(name, process.returncode)
                self._spawn(name)

    def _note_restart(self, name: str, code: int | None) -> None:
        now = time.monotonic()
        recent = [t for t in self.restarts.get(name, []) if now - t < 60] + [now]
        self.restarts[name] = recent
        if len(recent) > MAX_RESTARTS:
            raise RuntimeError(
                f"the {name} process keeps exiting (last code {code}); see {self.logs}"
            )
        print(
            f"trainserve: the {name} process exited with {code}; restarting it",
            file=sys.stderr,
            flush=True,
        )

    def wait_ready(self, timeout: float = 120.0) -> None:
        """Block until ``/readyz`` answers 200; raise if a child dies or time runs out."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.check_children()
            try:
                if httpx.get(f"{self.base_url}/readyz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise TimeoutError(f"the stack was not ready within {timeout:.0f} s; see {self.logs}")

    @property
    def logs(self):
        return self.settings.home_dir / "logs"

    def check_children(self) -> None:
        for name, process in self.children.items():
            if process.poll() is not None:
                raise RuntimeError(
                    f"the {name} process exited with {process.returncode}; "
                    f"see {self.logs / (name + '.log')}"
                )

    def stop(self) -> None:
        # The API first, so nothing new is queued; then the worker, whose running job
        # goes back to the queue (late acknowledgement); Redis last, flushing its AOF.
        if "api" in self.children:
            stop(self.children.pop("api"), timeout=15)
        if "worker" in self.children:
            # SIGQUIT is Celery's cold shutdown: it does not wait for the running job,
            # whose unacknowledged message Redis's transport puts back in the queue.
            stop(self.children.pop("worker"), timeout=15, signum=signal.SIGQUIT)
        for name in list(self.children):  # anything else started beside them
            stop(self.children.pop(name), timeout=15, signum=signal.SIGQUIT)
        if self.redis is not None:
            self.redis.stop()
            self.redis = None

    def serve_forever(self) -> int:
        """Run until SIGINT/SIGTERM (returns 0), restarting what dies; returns 1 if a
        process keeps dying."""
        stopping = []

        def request_stop(signum, frame) -> None:
            stopping.append(signum)

        signal.signal(signal.SIGINT, request_stop)
        signal.signal(signal.SIGTERM, request_stop)
        try:
            while not stopping:
                self.revive()
                time.sleep(0.5)
            return 0
        except RuntimeError as error:
            print(f"trainserve: {error}", file=sys.stderr)
            return 1
        finally:
            self.stop()
