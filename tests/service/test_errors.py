from service.errors import _echo, describe_validation_errors


def test_each_error_names_field_expectation_and_received_value():
    errors = [
        {
            "type": "greater_than_equal",
            "loc": ("body", "epochs"),
            "msg": "Input should be greater than or equal to 1",
            "input": 0,
        },
        {"type": "missing", "loc": ("body", "dataset"), "msg": "Field required", "input": {}},
        {
            "type": "value_error",
            "loc": ("body", "dataset"),
            "msg": "Value error, unknown dataset 'x'",
            "input": "x",
        },
    ]
    assert describe_validation_errors(errors) == (
        "epochs: Input should be greater than or equal to 1 (received: 0); "
        "dataset: Field required; "
        "dataset: unknown dataset 'x' (received: 'x')"
    )


def test_echo_keeps_scalars_and_abridges_the_rest():
    assert _echo(3) == 3 and _echo(0.5) == 0.5 and _echo("ab") == "ab"
    assert _echo(float("nan")) == "nan"
    long = _echo([[0.0] * 784] * 100)
    assert isinstance(long, str) and len(long) <= 80 and long.endswith("...")
