"""What the CLI reads: specs from files and flags, feature rows from .npy and .csv, the key."""

import json

import numpy as np
import pytest

from trainserve_client._inputs import (
    InputError,
    find_api_key,
    load_rows,
    load_spec_file,
    parse_hidden,
    spec_from_flags,
)


def test_flags_make_a_spec():
    spec = spec_from_flags(
        {
            "dataset": "digits",
            "hidden": "300,100",
            "activation": "selu",
            "epochs": 3,
            "batch_size": 32,
            "learning_rate": 0.05,
            "model_name": "mine",
            "no_batch_norm": True,
            "device": "cpu",
            "seed": None,
        }
    )
    assert spec == {
        "dataset": "digits",
        "hidden_layers": [300, 100],
        "activation": "selu",
        "epochs": 3,
        "batch_size": 32,
        "optimizer": {"learning_rate": 0.05},
        "model_name": "mine",
        "batch_norm": False,
        "execution": {"device": "cpu"},
    }


def test_flags_override_a_spec_file_and_merge_into_its_optimizer():
    base = {"dataset": "mnist", "epochs": 20, "optimizer": {"name": "adam", "learning_rate": 1e-3}}
    spec = spec_from_flags({"epochs": 2, "learning_rate": 0.01}, base)
    assert spec == {
        "dataset": "mnist",
        "epochs": 2,
        "optimizer": {"name": "adam", "learning_rate": 0.01},
    }
    assert base["epochs"] == 20  # the file's spec is left as it was


def test_a_spec_without_a_dataset_is_a_usage_error():
    with pytest.raises(InputError, match="--dataset"):
        spec_from_flags({"epochs": 2})


@pytest.mark.parametrize("text", ["", "a,b", "300,0", "300;100"])
def test_bad_hidden_sizes_are_refused_naming_the_flag(text):
    with pytest.raises(InputError, match=r"--hidden.*received"):
        parse_hidden(text)


def test_spec_files_in_yaml_and_json(tmp_path):
    (tmp_path / "a.yaml").write_text("dataset: digits\nhidden_layers: [64, 32]\nepochs: 4\n")
    (tmp_path / "b.json").write_text(json.dumps({"dataset": "digits", "epochs": 4}))
    assert load_spec_file(tmp_path / "a.yaml") == {
        "dataset": "digits",
        "hidden_layers": [64, 32],
        "epochs": 4,
    }
    assert load_spec_file(tmp_path / "b.json") == {"dataset": "digits", "epochs": 4}


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [("c.json", "{nope", "not valid JSON"), ("d.yaml", "- 1\n- 2\n", "expected a mapping")],
)
def test_bad_spec_files_say_what_is_wrong(tmp_path, name, text, message):
    (tmp_path / name).write_text(text)
    with pytest.raises(InputError, match=message):
        load_spec_file(tmp_path / name)
    with pytest.raises(InputError, match="cannot read"):
        load_spec_file(tmp_path / "missing.yaml")


def test_rows_from_npy(tmp_path):
    rows = np.arange(12, dtype=np.float32).reshape(3, 4)
    np.save(tmp_path / "x.npy", rows)
    np.save(tmp_path / "one.npy", rows[0])
    assert np.array_equal(load_rows(tmp_path / "x.npy"), rows)
    assert load_rows(tmp_path / "one.npy").shape == (1, 4)  # one row
    np.save(tmp_path / "cube.npy", np.zeros((2, 2, 2)))
    with pytest.raises(InputError, match=r"received shape \(2, 2, 2\)"):
        load_rows(tmp_path / "cube.npy")


def test_rows_from_csv_with_or_without_a_header(tmp_path):
    (tmp_path / "plain.csv").write_text("1,2,3\n4,5,6\n")
    (tmp_path / "labelled.csv").write_text("a,label,b\n1,7,2\n3,8,4\n")
    assert load_rows(tmp_path / "plain.csv").tolist() == [[1, 2, 3], [4, 5, 6]]
    assert load_rows(tmp_path / "labelled.csv", "label").tolist() == [[1, 2], [3, 4]]
    with pytest.raises(InputError, match="no column named 'y'"):
        load_rows(tmp_path / "labelled.csv", "y")


@pytest.mark.parametrize(
    ("text", "message"),
    [("1,2\n3\n", "same number of cells"), ("1,2\n3,x\n", "expected numbers"), ("", "no rows")],
)
def test_bad_csv_files_say_what_is_wrong(tmp_path, text, message):
    (tmp_path / "bad.csv").write_text(text)
    with pytest.raises(InputError, match=message):
        load_rows(tmp_path / "bad.csv")


def test_other_file_kinds_are_refused(tmp_path):
    with pytest.raises(InputError, match=r"expected a \.npy or \.csv"):
        load_rows(tmp_path / "rows.txt")


def test_the_api_key_comes_from_the_environment_then_the_home(tmp_path):
    (tmp_path / "api-key").write_text("stored-key-123\n")
    assert (
        find_api_key({"TRAINSERVE_API_KEY": "env-1", "TRAINSERVE_HOME": str(tmp_path)}) == "env-1"
    )
    assert find_api_key({"TRAINSERVE_HOME": str(tmp_path)}) == "stored-key-123"
    assert find_api_key({"TRAINSERVE_HOME": str(tmp_path / "nowhere")}) is None
