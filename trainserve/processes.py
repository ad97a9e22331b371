"""Child processes that never outlive their parent, and helpers to stop them cleanly."""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    # Linux only: the kernel sends SIGTERM to the child when its parent dies, so a
    # killed `trainserve up` (or test run) leaves no Redis or worker behind.
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        pass


def spawn(
    argv: Sequence[str], env: dict[str, str] | None = None, log: Path | None = None
) -> subprocess.Popen:
    """Start ``argv`` as a child that receives SIGTERM if this process dies."""
    output = open(log, "ab") if log else None  # noqa: SIM115 - handed to the child
    try:
        return subprocess.Popen(
            list(argv),
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT if output else None,
            stdin=subprocess.DEVNULL,
            preexec_fn=_die_with_parent,
            # Its own process group: a terminal's Ctrl-C reaches only us, and we can
            # end the child together with anything it forked.
            start_new_session=True,
        )
    finally:
        if output:
            output.close()


def stop(
    process: subprocess.Popen, timeout: float = 20.0, signum: int = signal.SIGTERM
) -> int | None:
    """Send ``signum`` to a ``spawn``ed child, wait ``timeout``, then SIGKILL its group."""
    if process.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(process.pid, signum)  # not send_signal: it would reap the leader
        _wait_unreaped(process.pid, timeout)
        # Whatever is left of its process group (a worker's pool children) goes too. The
        # leader is not reaped yet, so the group id cannot belong to anyone else.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    return process.returncode


def _wait_unreaped(pid: int, timeout: float) -> None:
    """Wait until ``pid`` exits (or ``timeout`` passes) without reaping it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None:
                return
        except ChildProcessError:
            return
        time.sleep(0.05)


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that was free a moment ago."""
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]
