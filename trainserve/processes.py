"""Child processes that never outlive their parent, and helpers to stop them cleanly."""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import subprocess
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
    if process.poll() is None:
        process.send_signal(signum)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            pass
    # Whatever is left of its process group (a worker's pool children) goes too.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    return process.returncode


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that was free a moment ago."""
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]
