"""Built-in data sets, loaded as NumPy arrays of raw features and integer labels.

Features stay in the units the data set stores them in (0-255 pixels for the
image sets, 0-16 for digits); the network rescales them with its first layer,
so training and serving can never disagree on preprocessing.
"""

from __future__ import annotations

import gzip
import struct
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from models.errors import DatasetUnavailable

DEBIAN_FASHION_MNIST_DIR = Path("/usr/share/datasets/fashion-mnist")
FASHION_MNIST_CLASSES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)  # fmt: skip


@dataclass(frozen=True)
class Dataset:
    """A data set split into train and test, with flat feature rows.

    The image sets keep their pixels as uint8: a quarter of float32's bytes to split,
    shuffle and copy into TensorFlow (0.6 s less before a Fashion-MNIST job's first
    epoch); the network casts its input to float32. Other sets are float32.
    """

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    feature_scale: float  # the largest raw feature value; the network divides by it
    class_names: tuple[str, ...]

    @property
    def n_features(self) -> int:
        return int(self.x_train.shape[1])

    @property
    def n_classes(self) -> int:
        return len(self.class_names)


def read_idx(path: Path) -> np.ndarray:
    """Read an IDX file (the MNIST format), gzipped or not, into a uint8 array."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as stream:
        data = stream.read()
    if len(data) < 4 or data[:2] != b"\0\0" or data[2] != 0x08:
        raise DatasetUnavailable(f"{path} is not an unsigned-byte IDX file")
    ndim = data[3]
    shape = struct.unpack(f">{ndim}I", data[4 : 4 + 4 * ndim])
    array = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim)
    if array.size != int(np.prod(shape)):
        raise DatasetUnavailable(f"{path} is truncated: expected shape {shape}")
    return array.reshape(shape)


def _idx_files_in(directory: Path) -> dict[str, Path] | None:
    stems = {
        "x_train": "train-images-idx3-ubyte",
        "y_train": "train-labels-idx1-ubyte",
        "x_test": "t10k-images-idx3-ubyte",
        "y_test": "t10k-labels-idx1-ubyte",
    }
    found = {}
    for key, stem in stems.items():
        candidates = [directory / f"{stem}.gz", directory / stem]
        path = next((c for c in candidates if c.is_file()), None)
        if path is None:
            return None
        found[key] = path
    return found


def _from_idx(name: str, files: dict[str, Path], classes: tuple[str, ...]) -> Dataset:
    arrays = {key: read_idx(path) for key, path in files.items()}
    return Dataset(
        name=name,
        x_train=arrays["x_train"].reshape(len(arrays["x_train"]), -1),
        y_train=arrays["y_train"].astype(np.int64),
        x_test=arrays["x_test"].reshape(len(arrays["x_test"]), -1),
        y_test=arrays["y_test"].astype(np.int64),
        feature_scale=255.0,
        class_names=classes,
    )


def _from_keras(name: str, loader_name: str, classes: tuple[str, ...], how: str) -> Dataset:
    import keras

    try:
        (x_train, y_train), (x_test, y_test) = getattr(keras.datasets, loader_name).load_data()
    except Exception as error:  # the downloader raises whatever the network layer raised
        raise DatasetUnavailable(
            f"dataset {name!r} could not be found or downloaded ({error}). {how}"
        ) from error
    return Dataset(
        name=name,
        x_train=x_train.reshape(len(x_train), -1).astype(np.uint8, copy=False),
        y_train=y_train.astype(np.int64),
        x_test=x_test.reshape(len(x_test), -1).astype(np.uint8, copy=False),
        y_test=y_test.astype(np.int64),
        feature_scale=255.0,
        class_names=classes,
    )


def load_fashion_mnist(data_dir: Path | None = None) -> Dataset:
    """Fashion-MNIST from ``data_dir``, Debian's package, or Keras's downloader."""
    for directory in (data_dir, data_dir and data_dir / "fashion-mnist", DEBIAN_FASHION_MNIST_DIR):
        if directory is not None and (files := _idx_files_in(Path(directory))):
            return _from_idx("fashion_mnist", files, FASHION_MNIST_CLASSES)
    how = (
        "Put the four IDX files in TRAINSERVE_DATA_DIR, or install Debian's package "
        "(`apt-get install dataset-fashion-mnist`), or allow Keras to download them."
    )
    return _from_keras("fashion_mnist", "fashion_mnist", FASHION_MNIST_CLASSES, how)


def load_mnist(data_dir: Path | None = None) -> Dataset:
    """MNIST from IDX files in ``data_dir``, else Keras's loader (which caches its file)."""
    for directory in (data_dir, data_dir and data_dir / "mnist"):
        if directory is not None and (files := _idx_files_in(Path(directory))):
            return _from_idx("mnist", files, tuple(str(d) for d in range(10)))
    how = (
        "Put the four MNIST IDX files in TRAINSERVE_DATA_DIR/mnist, or place Keras's "
        "mnist.npz in ~/.keras/datasets/, or allow Keras to download it."
    )
    return _from_keras("mnist", "mnist", tuple(str(d) for d in range(10)), how)


def load_digits(data_dir: Path | None = None) -> Dataset:
    """scikit-learn's bundled 8x8 digits (1,797 images): available offline everywhere.

    The test split is a fixed, stratified fifth of the images.
    """
    from sklearn.datasets import load_digits as sklearn_digits
    from sklearn.model_selection import train_test_split

    bunch = sklearn_digits()
    x_train, x_test, y_train, y_test = train_test_split(
        bunch.data.astype(np.float32),
        bunch.target.astype(np.int64),
        test_size=0.2,
        random_state=0,
        stratify=bunch.target,
    )
    return Dataset(
        "digits", x_train, y_train, x_test, y_test, 16.0, tuple(str(d) for d in range(10))
    )


# (features, classes) of each built-in data set, known without loading it.
BUILTIN_SHAPES = {"fashion_mnist": (784, 10), "mnist": (784, 10), "digits": (64, 10)}

BUILTIN_DATASETS: dict[str, Callable[[Path | None], Dataset]] = {
    "fashion_mnist": load_fashion_mnist,
    "mnist": load_mnist,
    "digits": load_digits,
}


def load_dataset(
    name: str, data_dir: Path | str | None = None, datasets_root: Path | str | None = None
) -> Dataset:
    """Load a built-in data set, or an uploaded one, by name.

    Args:
        name: one of ``BUILTIN_DATASETS``, or an uploaded data set's name.
        data_dir: a directory searched first for the built-in data sets' files.
        datasets_root: where uploaded data sets are kept (``models.dataset_store``).

    Returns:
        The data set, features as float32 rows in their stored units.

    Example:
        >>> load_dataset("digits").x_train.shape
        (1437, 64)
    """
    loader = BUILTIN_DATASETS.get(name)
    if loader is None and datasets_root is not None:
        from models.dataset_store import DatasetStore

        return DatasetStore(datasets_root).load(name)
    if loader is None:
        raise DatasetUnavailable(
            f"unknown dataset {name!r}; expected one of: {', '.join(BUILTIN_DATASETS)}"
        )
    return loader(Path(data_dir) if data_dir else None)
