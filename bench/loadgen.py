"""Load generation for the serving benchmark.

Uses ``wrk`` (C, multithreaded, light on CPU; Debian package ``wrk``) when it is
installed, else a small asyncio HTTP/1.1 keep-alive client in this process. Either way
every request is the same POST over ``concurrency`` keep-alive connections.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass

_LENGTH = re.compile(rb"content-length:\s*(\d+)", re.IGNORECASE)
_UNITS = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}


@dataclass
class LoadResult:
    rps: float
    p50: float  # seconds
    p99: float
    errors: int
    tool: str


def _percentile(ordered: list[float], q: float) -> float:
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def result_of(latencies: list[float], seconds: float, errors: int, tool: str) -> LoadResult:
    ordered = sorted(latencies)
    return LoadResult(
        len(ordered) / seconds, _percentile(ordered, 0.5), _percentile(ordered, 0.99), errors, tool
    )


# --- wrk -------------------------------------------------------------------------------


def _wrk(url: str, body: bytes, concurrency: int, seconds: float, key: str | None) -> LoadResult:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        lua_body = body.decode().replace("\\", "\\\\").replace('"', '\\"')
        script.write(
            f'wrk.method = "POST"\nwrk.body = "{lua_body}"\n'
            'wrk.headers["Content-Type"] = "application/json"\n'
            + (f'wrk.headers["Authorization"] = "Bearer {key}"\n' if key else "")
        )
    threads = min(2, concurrency)
    argv = [
        "wrk",
        f"-t{threads}",
        f"-c{concurrency}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        "60s",
        "--latency",
        "-s",
        script.name,
        url,
    ]
    output = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    percentiles = dict(re.findall(r"^\s+(50|99)%\s+([\d.]+\w+)", output, re.MULTILINE))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket_errors = re.search(r"Socket errors: (.*)", output)
    return LoadResult(
        rps=float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        p50=_seconds(percentiles["50"]),
        p99=_seconds(percentiles["99"]),
        errors=int(errors.group(1)) if errors else 0 + (1 if socket_errors else 0),
        tool="wrk",
    )


def _seconds(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(\w+)", text).groups()
    return float(number) * _UNITS[unit]


# --- asyncio fallback ------------------------------------------------------------------


def _post_bytes(host: str, port: int, path: str, body: bytes, key: str | None) -> bytes:
    auth = f"Authorization: Bearer {key}\r\n" if key else ""
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\n"
        f"Content-Type: application/json\r\n{auth}Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


async def _connection(host, port, request, stop_at, latencies, errors):
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while (started := time.perf_counter()) < stop_at:
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            await reader.readexactly(int(_LENGTH.search(head).group(1)))
            if head.startswith(b"HTTP/1.1 200"):
                latencies.append(time.perf_counter() - started)
            else:
                errors.append(head[:40])
    finally:
        writer.close()


async def _asyncio_load(host, port, request, concurrency, seconds) -> LoadResult:
    latencies: list[float] = []
    errors: list[bytes] = []
    stop_at = time.perf_counter() + seconds
    await asyncio.gather(
        *(_connection(host, port, request, stop_at, latencies, errors) for _ in range(concurrency))
    )
    return result_of(latencies, seconds, len(errors), "asyncio")


def run_load(
    host: str,
    port: int,
    path: str,
    body: bytes,
    concurrency: int,
    seconds: float = 5.0,
    warm_up: float = 1.0,
    key: str | None = None,
) -> LoadResult:
    """Warm up for ``warm_up`` seconds, then measure for ``seconds``."""
    if shutil.which("wrk"):
        url = f"http://{host}:{port}{path}"
        _wrk(url, body, concurrency, warm_up, key)
        return _wrk(url, body, concurrency, seconds, key)
    request = _post_bytes(host, port, path, body, key)
    asyncio.run(_asyncio_load(host, port, request, concurrency, warm_up))
    return asyncio.run(_asyncio_load(host, port, request, concurrency, seconds))


def summary(result: LoadResult) -> str:
    return (
        f"{result.rps:9.1f} req/s  p50 {1e3 * result.p50:7.2f} ms  "
        f"p99 {1e3 * result.p99:7.2f} ms  errors {result.errors}  ({result.tool})"
    )
