"""The chapter's story, told through the API: three deep networks on digits.

Starts a private stack (embedded Redis, a worker, the API) in a temporary home, submits
ten-hidden-layer networks of 100 units (3 epochs of SGD 0.01, batches of 32) through the
SDK, and prints what the gradient-health report says about each.

    python bench/chapter_story.py [--epochs 3] [--batch-size 32]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np

from trainserve.auth import client_key
from trainserve.processes import free_port
from trainserve.settings import Settings
from trainserve.stack import Stack
from trainserve_client import Client

STORY = {
    "sigmoid, random_normal (0, 1), no BN": {
        "activation": "sigmoid", "kernel_initializer": "random_normal", "batch_norm": False},
    "sigmoid, glorot_uniform, no BN": {
        "activation": "sigmoid", "kernel_initializer": "glorot_uniform", "batch_norm": False},
    "elu, he_normal, BN before each activation": {},
}  # fmt: skip


def _line(title: str, job, report: dict) -> str:
    initial = report["epochs"][0]
    saturation = np.mean([layer["saturated_fraction"] or 0.0 for layer in initial["layers"][1:]])
    verdicts = " / ".join(",".join(e["verdict"]) for e in report["epochs"])
    return (
        f"| {title} | {saturation:.1%} | {initial['gradient_ratio']:.1e} | {verdicts} | "
        f"{job.metrics['test_accuracy']:.3f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=32)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home:
        stack = Stack(Settings(home=Path(home)), "127.0.0.1", free_port()).start()
        try:
            stack.wait_ready()
            with Client(stack.base_url, api_key=client_key(stack.settings)) as client:
                jobs = {
                    title: client.submit(
                        dataset="digits",
                        hidden_layers=[100] * 10,
                        epochs=args.epochs,
                        batch_size=args.batch_size,
                        **options,
                    )
                    for title, options in STORY.items()
                }
                print(
                    "| network (10 × 100, digits) | derivative < 0.01, layers 2–10, at init "
                    "| layer 1 / layer 10 kernel-gradient norm, at init "
                    "| verdict, epochs 0–3 | test accuracy |"
                )
                print("| --- | --- | --- | --- | --- |")
                for title, job in jobs.items():
                    done = client.wait(job.id, timeout=600)
                    report = client.report(job.id)
                    print(_line(title, done, report))
        finally:
            stack.stop()


if __name__ == "__main__":
    main()
