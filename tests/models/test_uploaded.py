"""Parsing and checking uploaded CSV and NPZ files (no services needed)."""

from __future__ import annotations

import io
import zipfile

import numpy as np
import pytest

from models.errors import InvalidUpload
from models.uploaded import (
    MIN_TRAIN_ROWS,
    dataset_name,
    parse_csv,
    parse_npz,
    parse_upload,
    upload_format,
)

GOOD_ROWS = b"0,1,2\n1,3,4\n2,5,6\n" * 6  # 18 rows, 3 classes


def csv_bytes(body: bytes = GOOD_ROWS, header: bytes = b"label,a,b") -> io.BytesIO:
    return io.BytesIO(header + b"\n" + body)


def npz_bytes(**arrays) -> io.BytesIO:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    buffer.seek(0)
    return buffer


def refused(parse, *args, **kwargs) -> InvalidUpload:
    with pytest.raises(InvalidUpload) as raised:
        parse(*args, **kwargs)
    return raised.value


def test_a_csv_becomes_float32_rows_and_int64_labels_split_for_testing():
    data = parse_csv(csv_bytes(), test_fraction=0.2)
    assert data.x_train.dtype == np.float32 and data.y_train.dtype == np.int64
    assert (len(data.x_train), len(data.x_test)) == (14, 4)  # ceil(18 * 0.2) held out
    assert data.n_features == 2 and data.n_classes == 3
    # Stratified: every class is in both splits, and each row keeps its own label.
    assert set(data.y_test.tolist()) == {0, 1, 2}
    rows = np.vstack([data.x_train, data.x_test])
    labels = np.concatenate([data.y_train, data.y_test])
    np.testing.assert_array_equal(rows[:, 0], 2 * labels + 1)


def test_the_split_is_the_same_on_every_upload():
    first, second = parse_csv(csv_bytes()), parse_csv(csv_bytes())
    np.testing.assert_array_equal(first.x_test, second.x_test)


def test_the_label_column_may_be_anywhere_named_anything_and_quoted():
    body = b'"1",0,"2"\n3,1,4\n5,2,6\n' * 6
    data = parse_csv(csv_bytes(body, b"a,digit,b"), label_column="digit")
    assert data.n_features == 2 and data.n_classes == 3
    x = np.vstack([data.x_train, data.x_test])
    y = np.concatenate([data.y_train, data.y_test])
    np.testing.assert_array_equal(x[:, 1] - x[:, 0], np.ones(len(x)))
    np.testing.assert_array_equal(x[:, 0], 2 * y + 1)


def test_a_byte_order_mark_blank_lines_and_whole_float_labels_are_fine():
    data = parse_csv(io.BytesIO(b"\xef\xbb\xbflabel,a\n" + b"0.0,1\n\n1.0,2\n" * 8))
    assert data.n_classes == 2 and len(data.x_train) + len(data.x_test) == 16


@pytest.mark.parametrize(
    ("upload", "kwargs", "field", "words"),
    [
        (b"", {}, "file", ["empty", "header"]),
        (b"a,b\n1,2\n" * 12, {}, "label_column", ["'label'", "'a', 'b'", "label_column"]),
        (b"label\n" + b"1\n0\n" * 8, {}, "file", ["feature column"]),
        (b"label,label,a\n1,0,2\n", {}, "label_column", ["twice"]),
        (b"label,a\n" + GOOD_ROWS[:0] + b"0,1\n1,x\n" * 6, {}, "file", ["line 3", "'a'", "'x'"]),
        (b"label,a\n0,1\n1,2\n0,1,3\n" + b"1,2\n" * 9, {}, "file", ["line 4", "3 cells", "2"]),
        (b"label,a\n0,1\n1,\n" + b"1,2\n" * 9, {}, "file", ["line 3", "''", "number"]),
        (b"label,a\n0,1\n1,nan\n" + b"1,2\n" * 9, {}, "file", ["NaN", "'a'", "line 3"]),
        (b"label,a\n0,1\n1,inf\n" + b"1,2\n" * 9, {}, "file", ["infinite", "line 3"]),
        (b"label,a\n0,1\n1,1e39\n" + b"1,2\n" * 9, {}, "file", ["float32"]),
        (b"label,a\n0,1\n1.5,2\n" + b"1,2\n" * 9, {}, "file", ["line 3", "1.5", "integer"]),
        (b"label,a\n0,1\n-1,2\n" + b"1,2\n" * 9, {}, "file", ["-1", "0..n_classes-1"]),
        (b"label,a\n" + b"1,1\n" * 12, {}, "file", ["only class 1", "at least 2"]),
        (b"label,a\n" + b"1,1\n2,2\n" * 6, {}, "file", ["no rows of class 0", "subtract 1"]),
        (b"label,a\n" + b"0,1\n1,2\n" * 4, {}, "file", ["8 rows", f"{MIN_TRAIN_ROWS}"]),
        (b"label,a\n" + b"0,1\n1,2\n" * 6, {"test_fraction": 0.5}, "file", ["6 for training"]),
        (b"label,a\n" + b"0,1\n1,2\n" * 9, {"test_fraction": 0}, "test_fraction", ["x_test"]),
        (b"label,a\n" + b"0,1\n1,2\n" * 9, {"test_fraction": 0.7}, "test_fraction", ["0.7"]),
        (b"label,a\n\xff\xfe,1\n" + b"0,1\n1,2\n" * 9, {}, "file", ["UTF-8", "\\xff"]),
    ],
)
def test_bad_csv_files_are_refused_naming_the_field_and_what_was_wrong(
    upload, kwargs, field, words
):
    error = refused(parse_csv, io.BytesIO(upload), **kwargs)
    assert error.field == field
    for word in words:
        assert word in str(error), str(error)


def test_parsing_leaves_the_callers_stream_open():
    stream = csv_bytes()
    parse_csv(stream)
    assert not stream.closed
    bad = io.BytesIO(b"label,a\n0,1\n1,x\n")
    refused(parse_csv, bad)
    assert not bad.closed


def test_an_npz_without_a_test_split_is_split_like_a_csv():
    x = np.arange(40, dtype=np.float64).reshape(20, 2)
    data = parse_npz(npz_bytes(x=x, y=np.arange(20) % 2), test_fraction=0.25)
    assert (len(data.x_train), len(data.x_test)) == (15, 5)
    assert data.x_train.dtype == np.float32 and data.n_classes == 2


def test_an_npz_with_its_own_test_split_keeps_it_and_flattens_images():
    x, x_test = np.zeros((12, 4, 4), np.uint8), np.ones((3, 4, 4), np.uint8)
    y, y_test = np.arange(12) % 3, np.array([[2], [0], [1]])
    data = parse_npz(npz_bytes(x=x, y=y, x_test=x_test, y_test=y_test), test_fraction=0)
    assert data.x_train.shape == (12, 16) and data.x_test.shape == (3, 16)
    np.testing.assert_array_equal(data.y_test, [2, 0, 1])
    assert data.n_classes == 3


def test_boolean_labels_are_two_classes():
    data = parse_npz(npz_bytes(x=np.zeros((20, 2)), y=np.arange(20) % 2 == 0))
    assert data.n_classes == 2 and data.y_train.dtype == np.int64


X, Y = np.zeros((20, 3)), np.arange(20) % 2


@pytest.mark.parametrize(
    ("arrays", "field", "words"),
    [
        ({"x": X}, "y", ["no array 'y'", "x"]),
        ({"y": Y}, "x", ["no array 'x'"]),
        ({"x": X, "y": Y[:19]}, "y", ["19 labels", "expected 20"]),
        ({"x": X[:, 0], "y": Y}, "x", ["shape (20,)", "(n_rows, n_features)"]),
        ({"x": np.zeros((0, 3)), "y": Y[:0]}, "x", ["shape (0, 3)"]),
        ({"x": X, "y": np.zeros((20, 2))}, "y", ["shape (20, 2)"]),
        ({"x": np.array(["a"] * 20).reshape(20, 1), "y": Y}, "x", ["dtype <U1", "numbers"]),
        ({"x": X + 1j, "y": Y}, "x", ["complex128"]),
        ({"x": np.full((20, 3), np.nan), "y": Y}, "x", ["60 NaN", "row 0, column 0"]),
        ({"x": X, "y": Y + 0.5}, "y", ["row 0", "0.5"]),
        ({"x": X, "y": Y, "x_test": X[:3]}, "y_test", ["together"]),
        ({"x": X, "y": Y, "y_test": Y[:3]}, "x_test", ["together"]),
        ({"x": X, "y": Y, "x_test": X[:3, :2], "y_test": Y[:3]}, "x_test", ["2 features", "3"]),
        ({"x": X, "y": Y, "x_test": X[:3], "y_test": Y[:2]}, "y_test", ["2 labels", "x_test"]),
        ({"x": X, "y": Y, "x_test": X[:3], "y_test": np.full(3, 5)}, "y_test", ["label 5"]),
        ({"x": X[:6], "y": Y[:6], "x_test": X[:3], "y_test": Y[:3]}, "x", ["6 rows"]),
        ({"x": X, "y": Y, "x_train": X}, "x_train", ["unexpected", "x_test"]),
    ],
)
def test_bad_npz_files_are_refused_naming_the_array(arrays, field, words):
    error = refused(parse_npz, npz_bytes(**arrays))
    assert error.field == field
    for word in words:
        assert word in str(error), str(error)


def test_pickled_object_arrays_are_refused_without_unpickling():
    error = refused(parse_npz, npz_bytes(x=np.array([object()] * 20), y=Y))
    assert error.field == "x" and "dtype object" in str(error)


def test_a_file_that_is_not_a_zip_is_refused():
    error = refused(parse_npz, io.BytesIO(b"label,a\n0,1\n"))
    assert error.field == "file" and "not a zip file" in str(error)


def test_a_zip_bomb_is_refused_from_its_header_before_decompressing(monkeypatch):
    import models.uploaded as uploaded

    monkeypatch.setattr(uploaded, "MAX_VALUES", 1000)
    huge = np.zeros((1000, 10), np.float32)  # 10,000 values: over the patched limit
    buffer = io.BytesIO()
    np.savez_compressed(buffer, x=huge, y=np.arange(1000) % 2)
    buffer.seek(0)
    error = refused(parse_npz, buffer)
    assert error.field == "x" and "(1000, 10)" in str(error) and "1,000" in str(error)


def test_an_npz_with_other_files_inside_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "hello")
    buffer.seek(0)
    error = refused(parse_npz, buffer)
    assert error.field == "readme.txt" and "unexpected" in str(error)


def test_the_format_comes_from_the_file_name():
    assert upload_format("Data.CSV") == "csv" and upload_format("x.npz") == "npz"
    assert refused(upload_format, "data.txt").field == "file"
    assert "file without a name" in str(refused(upload_format, None))
    assert parse_upload("csv", csv_bytes()).n_classes == 3


def test_the_name_defaults_to_the_file_stem_in_lower_case_and_is_checked():
    assert dataset_name(None, "My_Data.v2.csv") == "my_data.v2"
    assert dataset_name("iris", "whatever.csv") == "iris"
    error = refused(dataset_name, None, "my data.csv")
    assert error.field == "name" and "'my data'" in str(error) and "file name" in str(error)
    for bad in ("../etc", ".hidden", "", "A", "x" * 65, "ok\n"):
        assert refused(dataset_name, bad, "f.csv").field == "name"
    assert refused(dataset_name, None, "ok\n.csv").field == "name"  # `$` matches before \n


def damaged(archive: bytes, find: bytes) -> io.BytesIO:
    """``archive`` with the bytes after ``find`` flipped (its CRC no longer matches)."""
    data = bytearray(archive)
    at = data.index(find) + len(find) + 200  # past the headers, inside the data
    data[at] ^= 0xFF
    return io.BytesIO(bytes(data))


@pytest.mark.parametrize("compress", [False, True])
def test_a_damaged_npz_is_refused_not_a_server_error(compress):
    save = np.savez_compressed if compress else np.savez
    buffer = io.BytesIO()
    save(buffer, x=np.random.default_rng(0).random((200, 4)), y=np.arange(200) % 2)
    error = refused(parse_npz, damaged(buffer.getvalue(), b"x.npy"))
    assert error.field == "file" and "damaged" in str(error)


def test_an_npy_shorter_than_its_header_says_is_refused():
    array = io.BytesIO()
    np.save(array, np.ones((100, 4), np.float32))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("x.npy", array.getvalue()[:-50])
        archive.writestr("y.npy", npz_bytes(y=Y).getvalue())  # any bytes: x fails first
    buffer.seek(0)
    error = refused(parse_npz, buffer)
    assert error.field == "x" and "1600 bytes" in str(error)


def test_huge_labels_are_refused_at_once_and_never_wrap_around():
    body = b"0,1,2\n1,3,4\n" * 8 + b"1000000000000,5,6\n"
    error = refused(parse_csv, csv_bytes(body))
    assert "line 18" in str(error) and "integer class labels" in str(error)
    body = b"0,1,2\n" * 8 + b"2000000000,5,6\n" * 8  # a gap of 2e9 labels, named quickly
    assert "no rows of class 1, 2, 3, 4, 5" in str(refused(parse_csv, csv_bytes(body)))
    for label in (1e30, np.uint64(2**64 - 1)):
        y_test = np.array([0, 1, label], dtype=np.asarray(label).dtype)
        arrays = npz_bytes(x=X, y=Y, x_test=X[:3], y_test=y_test)
        assert refused(parse_npz, arrays).field == "y_test"
