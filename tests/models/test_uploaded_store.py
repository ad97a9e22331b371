"""Storing uploaded data sets on disk, loading them for training, and specs that name them."""

from __future__ import annotations

import io
import os
import threading

import numpy as np
import pytest
from pydantic import ValidationError

from models.dataset_store import DatasetStore
from models.datasets import load_dataset
from models.errors import DatasetExists, DatasetNotFound, InvalidUpload
from models.spec import DATASET_SHAPES, TrainingSpec
from models.uploaded import parse_csv


def parsed(features: int = 2, rows: int = 18, scale: float = 1.0):
    header = ",".join(["label", *(f"f{i}" for i in range(features))])
    lines = [
        ",".join([str(r % 3), *(str(scale * (r + i)) for i in range(features))])
        for r in range(rows)
    ]
    return parse_csv(io.BytesIO(("\n".join([header, *lines]) + "\n").encode()))


@pytest.fixture
def store(tmp_path):
    return DatasetStore(tmp_path / "datasets")


def test_a_saved_data_set_loads_back_as_it_was_parsed(store):
    data = parsed(scale=4.0)
    meta = store.save("tiny", data, format="csv", size_bytes=123)
    assert meta["n_train"] == 14 and meta["n_test"] == 4 and meta["n_features"] == 2
    assert meta["format"] == "csv" and meta["size_bytes"] == 123 and meta["n_classes"] == 3
    assert meta["created_at"].endswith("Z") and len(meta["sha256"]) == 64
    loaded = load_dataset("tiny", datasets_root=store.root)
    np.testing.assert_array_equal(loaded.x_train, data.x_train)
    np.testing.assert_array_equal(loaded.y_test, data.y_test)
    assert loaded.x_train.dtype == np.float32 and loaded.y_train.dtype == np.int64
    assert loaded.feature_scale == float(np.abs(data.x_train).max())
    assert loaded.class_names == ("0", "1", "2") and loaded.name == "tiny"
    assert store.meta("tiny") == meta and store.shape("tiny") == (2, 3)
    assert [m["name"] for m in store.list()] == ["tiny"]


def test_names_are_never_overwritten_nor_those_of_built_ins(store):
    store.save("tiny", parsed(), format="csv", size_bytes=1)
    before = store.meta("tiny")
    with pytest.raises(DatasetExists, match="already exists"):
        store.save("tiny", parsed(features=5), format="csv", size_bytes=1)
    with pytest.raises(DatasetExists, match="built-in"):
        store.save("digits", parsed(), format="csv", size_bytes=1)
    with pytest.raises(InvalidUpload, match="name"):
        store.save("../escape", parsed(), format="csv", size_bytes=1)
    assert store.meta("tiny") == before
    assert sorted(p.name for p in store.root.iterdir()) == ["tiny"]  # no leftovers


def test_of_two_racing_uploads_of_one_name_exactly_one_wins(store, monkeypatch):
    # Both pass the early check, then race to rename their finished directory into place.
    monkeypatch.setattr(DatasetStore, "check_free", lambda self, name: None)
    results, barrier = [], threading.Barrier(2)

    def upload(features):
        barrier.wait()
        try:
            results.append(store.save("race", parsed(features), format="csv", size_bytes=1))
        except DatasetExists:
            results.append("409")

    threads = [threading.Thread(target=upload, args=(n,)) for n in (2, 3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results.count("409") == 1
    winner = next(r for r in results if r != "409")
    assert store.meta("race")["n_features"] == winner["n_features"]
    assert sorted(p.name for p in store.root.iterdir()) == ["race"]


def test_a_failed_write_leaves_nothing_behind(store, monkeypatch):
    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", broken)
    with pytest.raises(OSError, match="disk full"):
        store.save("tiny", parsed(), format="csv", size_bytes=1)
    assert list(store.root.iterdir()) == [] and store.list() == []


def test_deleted_data_sets_are_gone_and_unknown_names_are_not_found(store):
    store.save("tiny", parsed(), format="csv", size_bytes=1)
    store.delete("tiny")
    assert store.list() == [] and list(store.root.iterdir()) == []
    for call in (store.meta, store.delete, store.load):
        with pytest.raises(DatasetNotFound, match="'tiny'"):
            call("tiny")
    with pytest.raises(DatasetNotFound):
        store.meta("../../etc")
    assert store.shape("tiny") is None
    with pytest.raises(DatasetNotFound):
        load_dataset("tiny", datasets_root=store.root)


def test_leftovers_of_a_crash_are_swept_and_never_listed(store):
    store.save("tiny", parsed(), format="csv", size_bytes=1)
    stale, fresh = store.root / ".upload-old", store.root / ".trash-new"
    stale.mkdir()
    fresh.mkdir()
    os.utime(stale, (0, 0))
    assert [m["name"] for m in store.list()] == ["tiny"]
    store.save("other", parsed(), format="csv", size_bytes=1)
    assert not stale.exists() and fresh.exists()


def test_a_stray_file_in_the_directory_is_no_data_set(store):
    store.save("tiny", parsed(), format="csv", size_bytes=1)
    (store.root / "notes.txt").write_text("not a data set")  # a valid name, but a file
    assert [m["name"] for m in store.list()] == ["tiny"]
    for call in (store.meta, store.load):
        with pytest.raises(DatasetNotFound):
            call("notes.txt")
    assert store.shape("notes.txt") is None and not store.exists("notes.txt")


def test_a_store_without_its_directory_is_empty(tmp_path):
    assert DatasetStore(tmp_path / "nowhere").list() == []


def test_a_spec_naming_an_upload_is_checked_against_the_uploads_when_they_are_known():
    shapes = {"mine": (5000, 2)}.get
    context = {DATASET_SHAPES: shapes}
    spec = TrainingSpec.model_validate({"dataset": "mine"}, context=context)
    assert spec.published_name == "mine"
    with pytest.raises(ValidationError) as raised:
        TrainingSpec.model_validate({"dataset": "theirs"}, context=context)
    error = raised.value.errors()[0]
    assert error["loc"] == ("dataset",) and "theirs" in error["msg"] and "digits" in error["msg"]
    # The parameter cap uses the upload's real width: 5000 inputs x 4096 x 4096 x 4096 x 2.
    wide = {"dataset": "mine", "hidden_layers": [4096] * 3}
    with pytest.raises(ValidationError, match="parameters"):
        TrainingSpec.model_validate(wide, context=context)
    narrow = {"mine": (10, 2)}.get
    TrainingSpec.model_validate(wide, context={DATASET_SHAPES: narrow})
    # Without the uploads at hand (a worker reading a stored spec) a well-formed name passes.
    assert TrainingSpec.model_validate(wide).dataset == "mine"


def test_a_dotted_data_set_name_publishes_under_a_valid_model_name():
    assert TrainingSpec(dataset="iris.v2").published_name == "iris-v2"
    assert TrainingSpec(dataset="iris.v2", model_name="iris").published_name == "iris"


def test_the_worker_reads_an_upload_again_after_it_is_replaced(tmp_path):
    from trainserve.settings import Settings
    from workers.runner import _dataset

    settings = Settings(home=tmp_path)
    store = DatasetStore(settings.datasets_root)
    store.save("swap", parsed(features=2), format="csv", size_bytes=1)
    assert _dataset("swap", settings).n_features == 2
    assert _dataset("swap", settings) is _dataset("swap", settings)  # cached
    store.delete("swap")
    with pytest.raises(DatasetNotFound):
        _dataset("swap", settings)
    store.save("swap", parsed(features=5), format="csv", size_bytes=1)
    assert _dataset("swap", settings).n_features == 5
