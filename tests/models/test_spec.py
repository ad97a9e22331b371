import pytest
from pydantic import ValidationError

from models.spec import TrainingSpec


def test_defaults_are_the_chapter_network():
    spec = TrainingSpec(dataset="fashion_mnist")
    assert spec.hidden_layers == [300, 100]
    assert spec.activation == "elu"
    assert spec.kernel_initializer == "he_normal"
    assert spec.batch_norm.enabled and spec.batch_norm.momentum == 0.9
    assert (spec.optimizer.name, spec.optimizer.learning_rate) == ("sgd", 0.01)
    assert (spec.epochs, spec.batch_size) == (20, 200)
    assert spec.published_name == "fashion_mnist"


def test_unknown_fields_are_rejected_at_every_level():
    with pytest.raises(ValidationError, match="hidden_layer"):
        TrainingSpec(dataset="digits", hidden_layer=[10])
    with pytest.raises(ValidationError, match="lr"):
        TrainingSpec(dataset="digits", optimizer={"name": "sgd", "lr": 0.1})


def test_batch_norm_accepts_a_boolean_shorthand():
    assert TrainingSpec(dataset="digits", batch_norm=False).batch_norm.enabled is False
    assert TrainingSpec(dataset="digits", batch_norm=True).batch_norm.momentum == 0.9


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("dataset", "imagenet"),
        ("epochs", 0),
        ("batch_size", 0),
        ("hidden_layers", []),
        ("hidden_layers", [10] * 21),
        ("validation_split", 0.9),
        ("model_name", "Has Spaces"),
        ("model_name", "../escape"),
        ("activation", "softmax"),
        ("kernel_initializer", "zeros"),
    ],
)
def test_out_of_range_values_name_the_field(field, value):
    with pytest.raises(ValidationError) as raised:
        TrainingSpec(**{"dataset": "digits", field: value})
    assert raised.value.errors()[0]["loc"][0] == field


def test_momentum_is_for_sgd_only():
    TrainingSpec(dataset="digits", optimizer={"name": "sgd", "momentum": 0.9, "nesterov": True})
    with pytest.raises(ValidationError, match="sgd optimizer only"):
        TrainingSpec(dataset="digits", optimizer={"name": "adam", "momentum": 0.9})


def test_spec_round_trips_through_json():
    spec = TrainingSpec(dataset="digits", hidden_layers=[5, 4], model_name="m-1")
    assert TrainingSpec.model_validate_json(spec.model_dump_json()) == spec
