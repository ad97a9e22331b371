"""Training benchmark: trainserve against a plain Keras script of the same network.

The chapter network on Fashion-MNIST, 5 epochs, batch 200, seed 42, in one run:
(1) `bench/plain_keras_chapter.py` (model.fit on NumPy arrays, Keras's defaults), in
its own process; (2) the same job through trainserve (submit → succeeded), timed by
its own epoch times and by the wall clock.

    python -m bench.training [--epochs 5] [--batch-size 200] [--device cpu]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from trainserve.auth import client_key
from trainserve.processes import free_port
from trainserve.settings import Settings
from trainserve.stack import Stack
from trainserve_client import Client

ROOT = Path(__file__).resolve().parents[1]


def plain(epochs: int, batch_size: int) -> dict:
    command = [
        sys.executable,
        str(ROOT / "bench" / "plain_keras_chapter.py"),
        "--epochs",
        str(epochs),
        "--batch-size",
        str(batch_size),
        "--json",
    ]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    output = subprocess.run(command, capture_output=True, text=True, check=True, env=env)
    return json.loads(output.stdout.strip().splitlines()[-1])


def through_trainserve(epochs: int, batch_size: int, device: str) -> dict:
    with tempfile.TemporaryDirectory() as home:
        settings = Settings(home=Path(home))
        stack = Stack(settings, "127.0.0.1", free_port()).start()
        if os.environ.get("TRAINSERVE_GPU_WORKER"):
            argv, env = stack.commands["worker"]
            stack.commands["worker-gpu"] = ([*argv, "--device", "gpu"], env)
            stack._spawn("worker-gpu")
        try:
            stack.wait_ready()
            with Client(stack.base_url, api_key=client_key(settings)) as client:
                spec = {
                    "dataset": "fashion_mnist",
                    "epochs": epochs,
                    "batch_size": batch_size,
                    "seed": 42,
                    "execution": {"device": device},
                }
                started = time.perf_counter()
                job = client.wait(client.submit(spec).id, poll_interval=0.05)
                wall = time.perf_counter() - started
        finally:
            stack.stop()
    training = sum(entry["seconds"] for entry in job.history)
    trained_rows = round(60_000 * (1 - job.spec["validation_split"]))
    return {
        "samples_per_second": trained_rows * epochs / training,
        "seconds": training,
        "wall": wall,
        "overhead": wall - training,
        "test_accuracy": job.metrics["test_accuracy"],
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=200)
    parser.add_argument("--device", default="cpu", choices=("cpu", "gpu", "auto"))
    args = parser.parse_args()
    ours = through_trainserve(args.epochs, args.batch_size, args.device)
    theirs = plain(args.epochs, args.batch_size)
    print(
        f"Machine: {platform.machine()}, {os.cpu_count()} cores; the chapter network on "
        f"Fashion-MNIST, {args.epochs} epochs, batch {args.batch_size}, seed 42\n"
    )
    print("| run | training samples/s | training s | wall s | overhead s | test accuracy |")
    print("| --- | --- | --- | --- | --- | --- |")
    print(
        f"| plain Keras script (model.fit, defaults) | {theirs['samples_per_second']:,.0f} | "
        f"{theirs['seconds']:.1f} | | | {theirs['test_accuracy']:.4f} |"
    )
    print(
        f"| trainserve job (submit → succeeded) | {ours['samples_per_second']:,.0f} | "
        f"{ours['seconds']:.1f} | {ours['wall']:.1f} | {ours['overhead']:.1f} | "
        f"{ours['test_accuracy']:.4f} |"
    )
    print(
        f"\nThroughput ratio {ours['samples_per_second'] / theirs['samples_per_second']:.2f}x; "
        f"accuracy difference {100 * (ours['test_accuracy'] - theirs['test_accuracy']):+.2f} "
        f"points; end-to-end overhead {ours['overhead']:.1f} s"
    )


if __name__ == "__main__":
    main()
