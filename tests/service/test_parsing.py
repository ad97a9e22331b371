import numpy as np
import pytest

from service.errors import InvalidInput
from service.parsing import json_object, load_json, parse_model_ref, rows_to_array


def _rows(rows, n=3, max_rows=10):
    return rows_to_array(rows, "instances", n, max_rows, "model 'm' version 1")


def test_good_rows_become_a_float32_matrix():
    array = _rows([[1, 2, 3], [4.5, 5, 6]])
    assert array.dtype == np.float32 and array.shape == (2, 3)
    np.testing.assert_array_equal(array[1], [4.5, 5, 6])


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([], "instances: expected a non-empty list of rows of 3 numbers; received []"),
        ("abc", "received 'abc'"),
        ([[1, 2, 3], [1, 2]], "instances[1] has 2 features; model 'm' version 1 expects 3"),
        ([[1, 2]], "instances[0] has 2 features; model 'm' version 1 expects 3"),
        ([[1, "2", 3]], "instances[0][1]: expected a number; received '2'"),
        ([1, 2, 3], "instances[0]: expected a list of 3 numbers; received 1"),
        ([[1, 2, float("nan")]], "instances[0][2]: expected a finite number"),
        ([[1, 2, 1e39]], "instances[0][2]: expected a finite number (float32); received 1e+39"),
        ([[1, 2, [3]]], "instances[0][2]: expected a number; received [3]"),
        ([[0, 0, 0]] * 11, "received 11 rows; at most 10"),
    ],
)
def test_bad_rows_are_named_precisely(rows, message):
    with pytest.raises(InvalidInput) as raised:
        _rows(rows)
    assert message in str(raised.value)


def test_json_with_nan_parses_so_the_row_check_can_name_it():
    assert np.isnan(load_json(b'{"x": NaN}')["x"])
    with pytest.raises(InvalidInput, match="not valid JSON"):
        load_json(b"{x: 1")


def test_json_object_refuses_unknown_fields_and_non_objects():
    with pytest.raises(InvalidInput, match="modle: unknown field; expected only: instances, model"):
        json_object(b'{"modle": 1}', {"model", "instances"})
    with pytest.raises(InvalidInput, match="must be a JSON object"):
        json_object(b"[1, 2]", {"model"})


@pytest.mark.parametrize(
    ("ref", "parsed"),
    [
        ("digits", ("digits", None, None)),
        ("digits:3", ("digits", 3, None)),
        ("digits:stable", ("digits", None, "stable")),
        ("a-b_c:v2", ("a-b_c", None, "v2")),
    ],
)
def test_model_references(ref, parsed):
    assert parse_model_ref(ref) == parsed


@pytest.mark.parametrize(
    "ref", ["", "Digits", "../x", "a:b:c", "a:0", 3, None, "a:", "digits\n", "digits:stable\n"]
)
def test_bad_model_references(ref):
    with pytest.raises(InvalidInput, match="model"):
        parse_model_ref(ref)
