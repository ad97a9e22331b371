"""What the gradient-health report costs: the chapter network on Fashion-MNIST trained
with diagnostics on and off, alternating, in one process; wall time of ``train`` compared.

    python bench/diagnostics_overhead.py [--epochs 5] [--rounds 3]
"""

from __future__ import annotations

import argparse
import statistics
import time

from models.datasets import load_dataset
from models.spec import TrainingSpec
from models.training import train


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    data = load_dataset("fashion_mnist")
    seconds: dict[bool, list[float]] = {True: [], False: []}
    train(TrainingSpec(dataset="fashion_mnist", epochs=1), data)  # warm-up: TF start-up costs
    for _ in range(args.rounds):
        for enabled in (True, False):
            spec = TrainingSpec(
                dataset="fashion_mnist", epochs=args.epochs, diagnostics={"enabled": enabled}
            )
            started = time.perf_counter()
            train(spec, data)
            seconds[enabled].append(time.perf_counter() - started)
    on, off = statistics.median(seconds[True]), statistics.median(seconds[False])
    print(f"chapter network, fashion_mnist, {args.epochs} epochs, median of {args.rounds}:")
    print(f"  diagnostics on  {on:6.2f} s   {seconds[True]}")
    print(f"  diagnostics off {off:6.2f} s   {seconds[False]}")
    print(f"  overhead {100 * (on / off - 1):+.1f}%")


if __name__ == "__main__":
    main()
