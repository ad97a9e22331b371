"""Serving benchmark: trainserve against the ceiling and against a hand-written server.

In one run, on one machine, with one model (the chapter network, trained for one epoch
on Fashion-MNIST by trainserve), one Fashion-MNIST image per request, at concurrency
1, 8 and 64:
  (1) in-process calls of the SavedModel's concrete function (the ceiling);
  (2) trainserve's POST /predict (dynamic batching on);
  (3) trainserve with batching off (TRAINSERVE_PREDICT_BATCHING=false);
  (4) a naive FastAPI server calling model.predict per request (bench/naive_server.py).

    python bench/serving.py [--seconds 5]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import numpy as np

from bench.loadgen import LoadResult, result_of, run_load, summary
from models.datasets import load_dataset
from trainserve.auth import client_key
from trainserve.processes import free_port, spawn, stop
from trainserve.settings import Settings
from trainserve.stack import Stack
from trainserve_client import Client

CONCURRENCY = (1, 8, 64)
ROOT = Path(__file__).resolve().parents[1]


def _wait_http(url: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise TimeoutError(url)


def _ceiling(model_dir: Path, row: np.ndarray, concurrency: int, seconds: float) -> LoadResult:
    import tensorflow as tf

    serve = tf.saved_model.load(str(model_dir)).signatures["serving_default"]
    features = tf.constant(row[None, :])
    serve(features=features)
    latencies: list[float] = []
    stop_at = time.perf_counter() + seconds

    def loop() -> None:
        while (started := time.perf_counter()) < stop_at:
            serve(features=features)
            latencies.append(time.perf_counter() - started)

    threads = [threading.Thread(target=loop) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return result_of(latencies, seconds, 0, "threads")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    data = load_dataset("fashion_mnist")
    row = data.x_test[0].astype(np.float32)  # the image sets keep uint8 pixels
    results: dict[tuple[str, int], LoadResult] = {}
    with tempfile.TemporaryDirectory() as home:
        settings = Settings(home=Path(home))
        stack = Stack(settings, "127.0.0.1", free_port()).start()
        children = []
        try:
            stack.wait_ready()
            key = client_key(settings)
            with Client(stack.base_url, api_key=key) as client:
                job = client.wait(client.submit(dataset="fashion_mnist", epochs=1).id)
            model_dir = settings.artifacts_root / "models" / job.model.name / str(job.model.version)
            off_port, naive_port = free_port(), free_port()
            env = {
                **os.environ,
                "TRAINSERVE_REDIS_URL": stack.redis_url,
                "TRAINSERVE_HOME": home,
                "TRAINSERVE_PREDICT_BATCHING": "false",
            }
            children.append(
                spawn(
                    [sys.executable, "-m", "trainserve.cli", "api", "--port", str(off_port)],
                    env,
                    Path(home) / "off.log",
                )
            )
            children.append(
                spawn(
                    [
                        sys.executable,
                        str(ROOT / "bench" / "naive_server.py"),
                        "--model-dir",
                        str(model_dir),
                        "--port",
                        str(naive_port),
                    ],
                    {**os.environ, "PYTHONPATH": str(ROOT)},
                    Path(home) / "naive.log",
                )
            )
            _wait_http(f"http://127.0.0.1:{off_port}/healthz")
            _wait_http(f"http://127.0.0.1:{naive_port}/healthz")
            instances = [row.astype(int).tolist()]
            native = json.dumps({"model": job.model.name, "instances": instances}).encode()
            naive = json.dumps({"instances": instances}).encode()
            servers = {
                "trainserve": (stack.port, native),
                "trainserve, batching off": (off_port, native),
                "naive FastAPI + model.predict": (naive_port, naive),
            }
            for concurrency in CONCURRENCY:
                results[("in-process concrete function", concurrency)] = _ceiling(
                    model_dir, row, concurrency, args.seconds
                )
                for name, (port, body) in servers.items():
                    results[(name, concurrency)] = run_load(
                        "127.0.0.1", port, "/predict", body, concurrency, args.seconds, key=key
                    )
                for name in ("in-process concrete function", *servers):
                    print(
                        f"c={concurrency:<3} {name:32} {summary(results[(name, concurrency)])}",
                        flush=True,
                    )
        finally:
            for child in children:
                stop(child)
            stack.stop()
    _report(results)


def _report(results: dict[tuple[str, int], LoadResult]) -> None:
    tool = results[("trainserve", 1)].tool
    print(
        f"\nMachine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}; load generator ({tool}) on the same machine.\n"
    )
    print("| server | concurrency | requests/s | p50 ms | p99 ms |")
    print("| --- | --- | --- | --- | --- |")
    for (name, concurrency), result in results.items():
        print(
            f"| {name} | {concurrency} | {result.rps:,.0f} | "
            f"{1e3 * result.p50:.2f} | {1e3 * result.p99:.2f} |"
        )
    ours, off = results[("trainserve", 64)], results[("trainserve, batching off", 64)]
    naive = results[("naive FastAPI + model.predict", 64)]
    print(
        f"\nAt concurrency 64: trainserve / naive = {ours.rps / naive.rps:.1f}x, "
        f"trainserve / batching off = {ours.rps / off.rps:.2f}x; at concurrency 1 "
        f"trainserve p50 = {1e3 * results[('trainserve', 1)].p50:.2f} ms"
    )


if __name__ == "__main__":
    main()
