"""Training benchmark: trainserve against a plain Keras script of the same network.

The chapter network on Fashion-MNIST, 5 epochs, batch 200, seed 42, in one run:
(1) `bench/plain_keras_chapter.py` (model.fit on NumPy arrays, Keras's defaults), in
its own process; (2) the same job through trainserve (submit → succeeded), timed by
its own epoch times and by the wall clock.

    python -m bench.training [--epochs 5] [--batch-size 200] [--device cpu] [--without-xla]
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


def through_trainserve(epochs: int, batch_size: int, device: str, jit_compile) -> dict:
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
                    "execution": {"device": device, "jit_compile": jit_compile},
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


def _row(label: str, run: dict) -> str:
    wall = f"{run['wall']:.1f}" if "wall" in run else ""
    overhead = f"{run['overhead']:.1f}" if "overhead" in run else ""
    return (
        f"| {label} | {run['samples_per_second']:,.0f} | {run['seconds']:.1f} | {wall} | "
        f"{overhead} | {run['test_accuracy']:.4f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=200)
    parser.add_argument("--device", default="cpu", choices=("cpu", "gpu", "auto"))
    parser.add_argument(
        "--without-xla", action="store_true", help="also run the job with jit_compile off"
    )
    args = parser.parse_args()
    theirs = plain(args.epochs, args.batch_size)
    ours = through_trainserve(args.epochs, args.batch_size, args.device, "auto")
    rows = [
        _row("plain Keras script (model.fit, defaults)", theirs),
        _row("trainserve job (submit → succeeded)", ours),
    ]
    if args.without_xla:
        no_xla = through_trainserve(args.epochs, args.batch_size, args.device, False)
        rows.append(_row("trainserve job, jit_compile off", no_xla))
    print(
        f"Machine: {platform.machine()}, {os.cpu_count()} cores; the chapter network on "
        f"Fashion-MNIST, {args.epochs} epochs, batch {args.batch_size}, seed 42\n"
    )
    print("| run | training samples/s | training s | wall s | overhead s | test accuracy |")
    print("| --- | --- | --- | --- | --- | --- |")
    print("\n".join(rows))
    print(
        f"\nThroughput ratio {ours['samples_per_second'] / theirs['samples_per_second']:.2f}x; "
        f"accuracy difference {100 * (ours['test_accuracy'] - theirs['test_accuracy']):+.2f} "
        f"points; end-to-end overhead {ours['overhead']:.1f} s"
    )


if __name__ == "__main__":
    main()
