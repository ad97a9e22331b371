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
        ("dataset", "Image Net"),  # uploaded names are checked where the uploads are known
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


def test_optimizer_options_must_fit_the_optimizer():
    TrainingSpec(dataset="digits", optimizer={"name": "sgd", "momentum": 0.9, "nesterov": True})
    TrainingSpec(dataset="digits", optimizer={"name": "rmsprop", "momentum": 0.9})
    with pytest.raises(ValidationError, match="sgd and rmsprop optimizers only"):
        TrainingSpec(dataset="digits", optimizer={"name": "adam", "momentum": 0.9})
    with pytest.raises(ValidationError, match="nesterov"):
        TrainingSpec(dataset="digits", optimizer={"name": "rmsprop", "nesterov": True})
    with pytest.raises(ValidationError, match="not both"):
        TrainingSpec(dataset="digits", optimizer={"clipnorm": 1.0, "clipvalue": 0.5})


@pytest.mark.parametrize(
    ("activation", "message"),
    [
        ({"name": "relu", "alpha": 0.1}, "relu takes no alpha"),
        ({"name": "elu", "lower": 0.1}, "elu takes no lower"),
        ({"name": "rrelu", "lower": 0.5, "upper": 0.2}, "lower <= upper"),
        ({"name": "swish"}, "name"),
    ],
)
def test_activation_parameters_must_fit_the_activation(activation, message):
    with pytest.raises(ValidationError, match=message):
        TrainingSpec(dataset="digits", activation=activation)


def test_layers_fill_in_spec_wide_choices():
    spec = TrainingSpec(
        dataset="digits",
        activation={"name": "leaky_relu", "alpha": 0.2},
        kernel_initializer="he_uniform",
        hidden_layers=[10, {"units": 5, "activation": "tanh"}],
    )
    first, second = spec.layers()
    assert (first.units, first.activation.name, first.activation.alpha) == (10, "leaky_relu", 0.2)
    assert first.kernel_initializer == "he_uniform"
    assert (second.units, second.activation.name) == (5, "tanh")
    assert second.kernel_initializer == "he_uniform"


def test_diagnostics_thresholds_are_checked():
    assert TrainingSpec(dataset="digits").diagnostics.saturated_fraction == pytest.approx(1 / 3)
    with pytest.raises(ValidationError, match="must be below"):
        TrainingSpec(dataset="digits", diagnostics={"vanishing_ratio": 10, "exploding_ratio": 5})


def test_variance_scaling_needs_a_known_mode():
    spec = TrainingSpec(
        dataset="digits", kernel_initializer={"variance_scaling": {"mode": "fan_avg"}}
    )
    assert spec.kernel_initializer.variance_scaling.scale == 2.0
    with pytest.raises(ValidationError, match="fan_in"):
        TrainingSpec(dataset="digits", kernel_initializer={"variance_scaling": {"mode": "fan"}})


def test_specs_too_big_for_the_machine_are_refused():
    assert TrainingSpec(dataset="fashion_mnist").estimated_parameters() == (
        784 * 300 + 4 * 300 + 300 * 100 + 4 * 100 + 100 * 10 + 4 * 10
    )
    with pytest.raises(ValidationError, match="parameters; the limit is 50,000,000"):
        TrainingSpec(dataset="fashion_mnist", hidden_layers=[4096] * 20)
    with pytest.raises(ValidationError, match="GiB per step"):
        TrainingSpec(dataset="fashion_mnist", hidden_layers=[4096] * 3, batch_size=65536)


def test_spec_round_trips_through_json():
    spec = TrainingSpec(dataset="digits", hidden_layers=[5, 4], model_name="m-1")
    assert TrainingSpec.model_validate_json(spec.model_dump_json()) == spec
