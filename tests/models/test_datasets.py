import gzip
import struct

import numpy as np
import pytest

from models.datasets import BUILTIN_DATASETS, load_dataset, read_idx
from models.errors import DatasetUnavailable


def _idx_bytes(array: np.ndarray) -> bytes:
    header = b"\0\0\x08" + bytes([array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(np.uint8).tobytes()


def test_read_idx_reads_plain_and_gzipped_files(tmp_path):
    images = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    (tmp_path / "plain").write_bytes(_idx_bytes(images))
    with gzip.open(tmp_path / "packed.gz", "wb") as f:
        f.write(_idx_bytes(images))
    np.testing.assert_array_equal(read_idx(tmp_path / "plain"), images)
    np.testing.assert_array_equal(read_idx(tmp_path / "packed.gz"), images)


def test_read_idx_refuses_truncated_and_foreign_files(tmp_path):
    (tmp_path / "short").write_bytes(_idx_bytes(np.zeros((4, 4)))[:-3])
    (tmp_path / "text").write_bytes(b"hello world")
    with pytest.raises(DatasetUnavailable, match="truncated"):
        read_idx(tmp_path / "short")
    with pytest.raises(DatasetUnavailable, match="IDX"):
        read_idx(tmp_path / "text")


def test_idx_files_in_data_dir_are_used_first(tmp_path):
    rng = np.random.default_rng(0)
    arrays = {
        "train-images-idx3-ubyte": rng.integers(0, 256, (6, 2, 2)),
        "train-labels-idx1-ubyte": np.array([0, 1, 2, 0, 1, 2]),
        "t10k-images-idx3-ubyte": rng.integers(0, 256, (2, 2, 2)),
        "t10k-labels-idx1-ubyte": np.array([1, 2]),
    }
    for stem, array in arrays.items():
        (tmp_path / stem).write_bytes(_idx_bytes(np.asarray(array)))
    data = load_dataset("fashion_mnist", tmp_path)
    assert data.x_train.shape == (6, 4) and data.x_train.dtype == np.uint8
    np.testing.assert_array_equal(data.x_test[1], arrays["t10k-images-idx3-ubyte"][1].ravel())
    assert data.feature_scale == 255.0 and data.n_classes == 10


def test_digits_is_bundled_and_split_the_same_way_every_time():
    first, second = load_dataset("digits"), load_dataset("digits")
    assert first.x_train.shape == (1437, 64) and first.x_test.shape == (360, 64)
    assert first.x_train.max() == 16.0 and first.feature_scale == 16.0
    np.testing.assert_array_equal(first.y_test, second.y_test)
    assert sorted(np.unique(first.y_test)) == list(range(10))


def test_fashion_mnist_from_debians_package():
    data = load_dataset("fashion_mnist")
    assert data.x_train.shape == (60000, 784) and data.x_test.shape == (10000, 784)
    assert data.class_names[9] == "Ankle boot"
    assert data.x_train.max() == 255.0


def test_unknown_dataset_names_the_known_ones():
    with pytest.raises(DatasetUnavailable, match="digits"):
        load_dataset("cifar10")
    assert set(BUILTIN_DATASETS) == {"fashion_mnist", "mnist", "digits"}
