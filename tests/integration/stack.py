"""Start and stop a real `trainserve up` (embedded Redis, Celery worker, uvicorn) for tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from trainserve.processes import free_port


class RunningStack:
    """`trainserve up` in a child process, with its own home, port and embedded Redis."""

    def __init__(self, home: Path, extra_env: dict[str, str] | None = None):
        self.home = home
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("TRAINSERVE_")}
        self.env.update({"TRAINSERVE_HOME": str(home), **(extra_env or {})})
        self.process: subprocess.Popen | None = None
        self.output = home / "up.out"

    def start(self, timeout: float = 120.0) -> RunningStack:
        self.home.mkdir(parents=True, exist_ok=True)
        with open(self.output, "ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "trainserve.cli", "up", "--port", str(self.port)],
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"trainserve up exited early:\n{self.logs()}")
            try:
                if httpx.get(f"{self.base_url}/readyz", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"trainserve up not ready in {timeout} s:\n{self.logs()}")

    def stop(self, timeout: float = 60.0) -> int:
        """Ctrl-C, as a user would; returns the exit status."""
        assert self.process is not None
        self.process.send_signal(signal.SIGINT)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise

    def logs(self) -> str:
        parts = [self.output, *sorted((self.home / "logs").glob("*.log"))]
        return "\n".join(f"--- {p}\n{p.read_text()[-4000:]}" for p in parts if p.exists())

    def processes_left(self) -> list[int]:
        """Pids of live processes started for this stack (they carry its TRAINSERVE_HOME)."""
        marker = f"TRAINSERVE_HOME={self.home}".encode()
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit() or int(entry.name) == os.getpid():
                continue
            try:
                if marker in (entry / "environ").read_bytes().split(b"\0"):
                    state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
                    if state != "Z":
                        found.append(int(entry.name))
            except OSError:
                continue
        return found
