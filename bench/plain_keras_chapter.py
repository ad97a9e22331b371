"""The chapter network as a plain Keras script: the yardstick for trainserve's accuracy.

784 → 300 → 100 → 10, He-normal kernels, batch normalization (momentum 0.9) before
each ELU, SGD with learning rate 0.01, batches of 200, 20 epochs, on Fashion-MNIST
(60k train / 10k test), pixels scaled to [0, 1]. Written the way a user would,
without trainserve's code, so it checks the service against an independent script.

    python bench/plain_keras_chapter.py [--epochs 20] [--seed 42]
"""

from __future__ import annotations

import argparse
import gzip
import json
import time
from pathlib import Path

import numpy as np

DATA = Path("/usr/share/datasets/fashion-mnist")


def idx(name: str) -> np.ndarray:
    with gzip.open(DATA / f"{name}.gz", "rb") as f:
        data = f.read()
    ndim = data[3]
    shape = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    return np.frombuffer(data, np.uint8, offset=4 + 4 * ndim).reshape(shape)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--batch-size", type=int, default=200)
    parser.add_argument("--json", action="store_true", help="also print the figures as JSON")
    args = parser.parse_args()

    import keras

    keras.utils.set_random_seed(args.seed)
    x_train = idx("train-images-idx3-ubyte").reshape(-1, 784).astype("float32") / 255.0
    y_train = idx("train-labels-idx1-ubyte").astype("int64")
    x_test = idx("t10k-images-idx3-ubyte").reshape(-1, 784).astype("float32") / 255.0
    y_test = idx("t10k-labels-idx1-ubyte").astype("int64")

    layers = [keras.Input(shape=(784,))]
    for units in (300, 100):
        layers += [
            keras.layers.Dense(units, kernel_initializer="he_normal", use_bias=False),
            keras.layers.BatchNormalization(momentum=0.9),
            keras.layers.Activation("elu"),
        ]
    model = keras.Sequential([*layers, keras.layers.Dense(10)])
    model.compile(
        optimizer=keras.optimizers.SGD(learning_rate=0.01),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    started = time.perf_counter()
    model.fit(x_train, y_train, batch_size=args.batch_size, epochs=args.epochs, verbose=0)
    seconds = time.perf_counter() - started
    loss, accuracy = model.evaluate(x_test, y_test, batch_size=1024, verbose=0)
    print(
        f"plain Keras: test_accuracy {accuracy:.4f} test_loss {loss:.4f} "
        f"({args.epochs} epochs, {len(x_train) * args.epochs / seconds:,.0f} samples/s)"
    )
    if args.json:
        print(
            json.dumps(
                {
                    "samples_per_second": len(x_train) * args.epochs / seconds,
                    "seconds": seconds,
                    "test_accuracy": accuracy,
                }
            )
        )


if __name__ == "__main__":
    main()
