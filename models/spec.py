"""The training spec: everything a user chooses about a network and its training.

The defaults are the chapter's network: two hidden layers of 300 and 100 units,
He-normal initialization, batch normalization (momentum 0.9) before each ELU
activation, plain SGD with learning rate 0.01, batches of 200, 20 epochs. Every
other choice the chapter discusses (initializers, activations, BN placement,
optimizers, clipping, early stopping) is an option here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from models.datasets import BUILTIN_DATASETS, BUILTIN_SHAPES
from models.uploaded import valid_name

MODEL_NAME_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,63}$"
# Validation context key for uploaded data sets: a function from a name to the data set's
# (n_features, n_classes), or None when none has that name. Without one (a worker reading
# a stored spec) any well-formed name passes, and the caps that need the shape wait for it.
DATASET_SHAPES = "dataset_shapes"
ShapeLookup = Callable[[str], "tuple[int, int] | None"]
MAX_PARAMETERS = 50_000_000
MAX_ACTIVATION_BYTES = 4 * 2**30  # per training step, forward and backward together

ActivationName = Literal[
    "elu", "selu", "relu", "leaky_relu", "rrelu", "prelu", "tanh", "sigmoid"
]  # fmt: skip
InitializerName = Literal[
    "he_normal", "he_uniform", "glorot_normal", "glorot_uniform", "lecun_normal", "random_normal"
]
SATURATING_ACTIVATIONS = ("sigmoid", "tanh", "elu", "selu")
Units = Annotated[int, Field(ge=1, le=4096)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ActivationSpec(_Strict):
    """An activation with its parameters; a bare name means its defaults."""

    name: ActivationName
    alpha: float | None = Field(
        None, ge=0.0, le=10.0, description="leaky_relu slope (0.01) or elu alpha (1.0)"
    )
    lower: float | None = Field(None, ge=0.0, le=1.0, description="rrelu lowest slope (1/8)")
    upper: float | None = Field(None, ge=0.0, le=1.0, description="rrelu highest slope (1/3)")

    @model_validator(mode="after")
    def _parameters_fit_the_name(self) -> ActivationSpec:
        allowed = {"leaky_relu": {"alpha"}, "elu": {"alpha"}, "rrelu": {"lower", "upper"}}
        given = {k for k in ("alpha", "lower", "upper") if getattr(self, k) is not None}
        extra = given - allowed.get(self.name, set())
        if extra:
            raise ValueError(
                f"{self.name} takes no {', '.join(sorted(extra))}; "
                f"expected only: {', '.join(sorted(allowed.get(self.name, ()))) or 'a name'}"
            )
        if self.name == "rrelu" and self.slope_range[0] > self.slope_range[1]:
            raise ValueError(f"rrelu needs lower <= upper; received {self.slope_range}")
        return self

    @property
    def slope_range(self) -> tuple[float, float]:
        lower = 1 / 8 if self.lower is None else self.lower
        upper = 1 / 3 if self.upper is None else self.upper
        return lower, upper


class VarianceScalingSpec(_Strict):
    scale: float = Field(2.0, gt=0.0, le=100.0)
    mode: Literal["fan_in", "fan_avg", "fan_out"] = "fan_in"
    distribution: Literal["truncated_normal", "untruncated_normal", "uniform"] = "truncated_normal"


class VarianceScalingInitializer(_Strict):
    """``{"variance_scaling": {...}}``: the general form behind He, Glorot and LeCun."""

    variance_scaling: VarianceScalingSpec


Activation = ActivationName | ActivationSpec
Initializer = InitializerName | VarianceScalingInitializer


class LayerSpec(_Strict):
    """A hidden layer that overrides the spec-wide activation or initializer."""

    units: Units
    activation: Activation | None = None
    kernel_initializer: Initializer | None = None


class BatchNormSpec(_Strict):
    """Batch normalization of each hidden layer, and optionally of the inputs and logits."""

    enabled: bool = True
    momentum: float = Field(0.9, gt=0.0, lt=1.0)
    epsilon: float = Field(0.001, gt=0.0, le=1.0)
    center: bool = True
    scale: bool = True
    placement: Literal["before", "after"] = Field(
        "before", description="before the activation (the chapter's) or after it"
    )
    inputs: bool = Field(False, description="also normalize the input features")
    logits: bool = Field(False, description="also normalize the logits (the chapter's example)")


class OptimizerSpec(_Strict):
    """The optimizer, its learning rate and gradient clipping."""

    name: Literal["sgd", "adam", "rmsprop", "nadam", "adagrad"] = "sgd"
    learning_rate: float = Field(0.01, gt=0.0, le=10.0)
    momentum: float = Field(0.0, ge=0.0, lt=1.0, description="sgd and rmsprop")
    nesterov: bool = Field(False, description="sgd only")
    clipnorm: float | None = Field(None, gt=0.0)
    clipvalue: float | None = Field(None, gt=0.0)

    @model_validator(mode="after")
    def _options_fit_the_optimizer(self) -> OptimizerSpec:
        if self.momentum and self.name not in ("sgd", "rmsprop"):
            raise ValueError(
                f"`momentum` applies to the sgd and rmsprop optimizers only. "
                f"Received: name={self.name!r}, momentum={self.momentum}"
            )
        if self.nesterov and self.name != "sgd":
            raise ValueError(
                f"`nesterov` applies to the sgd optimizer only; received {self.name!r}"
            )
        if self.clipnorm is not None and self.clipvalue is not None:
            raise ValueError("set one of `clipnorm` and `clipvalue`, not both")
        return self


class EarlyStoppingSpec(_Strict):
    """Stop when the validation loss (the training loss without validation) stops improving."""

    patience: int = Field(3, ge=0, le=1000)
    min_delta: float = Field(0.0, ge=0.0)
    restore_best_weights: bool = True


class DiagnosticsSpec(_Strict):
    """The gradient-health report and the thresholds of its verdicts."""

    enabled: bool = True
    probe_size: int = Field(256, ge=8, le=4096, description="training rows in the probe batch")
    vanishing_ratio: float = Field(
        1e-3, gt=0.0, description="vanishing when first/last hidden kernel-gradient norm is below"
    )
    exploding_ratio: float = Field(
        1e3, gt=0.0, description="exploding when first/last hidden kernel-gradient norm is above"
    )
    saturation_derivative: float = Field(
        0.01, gt=0.0, description="a derivative below is saturated"
    )
    saturated_fraction: float = Field(
        1 / 3, gt=0.0, le=1.0, description="saturated when a layer has more such activations"
    )
    dead_fraction: float = Field(0.5, gt=0.0, le=1.0, description="dead when more units are dead")

    @model_validator(mode="after")
    def _ratios_in_order(self) -> DiagnosticsSpec:
        if self.vanishing_ratio >= self.exploding_ratio:
            raise ValueError(
                f"vanishing_ratio ({self.vanishing_ratio}) must be below "
                f"exploding_ratio ({self.exploding_ratio})"
            )
        return self


# Measured on the chapter network on a 2-core CPU: XLA saves about 1.5 ms a step and
# compiles in about half a second more than the plain graph (bench/training.py).
JIT_AUTO_MIN_STEPS = 1000


class ExecutionSpec(_Strict):
    """Where and how fast: the device and the compilation settings of the training loop."""

    device: Literal["auto", "cpu", "gpu"] = Field(
        "auto", description="`gpu` and `cpu` pick the queue; `auto` takes a GPU worker if one is up"
    )
    jit_compile: bool | Literal["auto"] = Field(
        "auto",
        description="Compile the training step with XLA. `auto` compiles when the run has at "
        f"least {JIT_AUTO_MIN_STEPS} training steps: the compile costs about a second, and "
        "XLA's faster steps pay that back only on runs of that length",
    )
    steps_per_execution: int = Field(
        50,
        ge=1,
        le=1000,
        description="Batches run per call into TensorFlow; progress and cancellation are "
        "looked at between calls",
    )
    mixed_precision: bool = Field(
        False, description="float16 compute with float32 weights; used on a GPU only"
    )

    @model_validator(mode="after")
    def _mixed_precision_needs_a_gpu(self) -> ExecutionSpec:
        if self.mixed_precision and self.device == "cpu":
            raise ValueError("mixed_precision runs on a GPU; received device='cpu'")
        return self


class TrainingSpec(_Strict):
    """What to train: data set, architecture, optimizer, schedule and diagnostics."""

    dataset: str = Field(
        description="A built-in data set (" + ", ".join(BUILTIN_DATASETS) + ") or the name "
        "of an uploaded one (`POST /datasets`)"
    )
    hidden_layers: list[Units | LayerSpec] = Field(
        default_factory=lambda: [300, 100], min_length=1, max_length=20
    )
    activation: Activation = "elu"
    kernel_initializer: Initializer = "he_normal"
    batch_norm: BatchNormSpec = Field(default_factory=BatchNormSpec)
    optimizer: OptimizerSpec = Field(default_factory=OptimizerSpec)
    epochs: int = Field(20, ge=1, le=1000)
    batch_size: int = Field(200, ge=1, le=65536)
    validation_split: float = Field(
        0.1, ge=0.0, le=0.5, description="Fraction of the training split held out."
    )
    early_stopping: EarlyStoppingSpec | None = None
    diagnostics: DiagnosticsSpec = Field(default_factory=DiagnosticsSpec)
    execution: ExecutionSpec = Field(default_factory=ExecutionSpec)
    seed: int = Field(42, ge=0, le=2**31 - 1)
    model_name: str | None = Field(
        None,
        pattern=MODEL_NAME_PATTERN,
        description="Name to publish the trained model under; defaults to the data set's.",
    )

    @field_validator("dataset")
    @classmethod
    def _known_dataset(cls, value: str, info: ValidationInfo) -> str:
        if value in BUILTIN_DATASETS:
            return value
        lookup = _shape_lookup(info)
        if not valid_name(value) or (lookup and lookup(value) is None):
            raise ValueError(
                f"unknown dataset {value!r}; expected one of: {', '.join(BUILTIN_DATASETS)}, "
                "or the name of an uploaded data set (GET /datasets lists them)"
            )
        return value

    @field_validator("batch_norm", mode="before")
    @classmethod
    def _batch_norm_shorthand(cls, value: Any) -> Any:
        # `"batch_norm": false` reads better than `{"enabled": false}`.
        if isinstance(value, bool):
            return {"enabled": value}
        return value

    @model_validator(mode="after")
    def _fits_in_memory(self, info: ValidationInfo) -> TrainingSpec:
        shape = BUILTIN_SHAPES.get(self.dataset)
        if shape is None and (lookup := _shape_lookup(info)):
            shape = lookup(self.dataset)
        parameters = self.estimated_parameters(shape) if shape else 0
        if parameters > MAX_PARAMETERS:
            raise ValueError(
                f"the network would have about {parameters:,} parameters; the limit is "
                f"{MAX_PARAMETERS:,}. Use fewer or narrower hidden_layers"
            )
        units = sum(
            layer if isinstance(layer, int) else layer.units for layer in self.hidden_layers
        )
        # Pre-activations, BN outputs, activations and their gradients, in float32.
        step_bytes = self.batch_size * units * 4 * 6
        if step_bytes > MAX_ACTIVATION_BYTES:
            raise ValueError(
                f"a batch of {self.batch_size} through {units} hidden units needs about "
                f"{step_bytes / 2**30:.1f} GiB per step; the limit is "
                f"{MAX_ACTIVATION_BYTES / 2**30:.0f} GiB. Lower batch_size or the layer widths"
            )
        return self

    def estimated_parameters(self, shape: tuple[int, int] | None = None) -> int:
        """Weights of the network (kernels, biases, BN) on data of ``shape``
        ``(n_features, n_classes)``; by default the built-in data set's."""
        n_features, n_classes = shape or BUILTIN_SHAPES.get(self.dataset, (784, 10))
        widths = [layer if isinstance(layer, int) else layer.units for layer in self.hidden_layers]
        total, previous = 0, n_features
        for width in [*widths, n_classes]:
            total += previous * width + 4 * width  # kernel; bias or BN's four vectors
            previous = width
        return total

    @property
    def published_name(self) -> str:
        """The model name a successful job publishes under."""
        # Data set names may hold dots, model names may not.
        return self.model_name or self.dataset.replace(".", "-")

    def layers(self) -> list[LayerSpec]:
        """Every hidden layer with its own activation and initializer filled in."""
        return [
            LayerSpec(
                units=layer if isinstance(layer, int) else layer.units,
                activation=activation_spec(getattr(layer, "activation", None) or self.activation),
                kernel_initializer=getattr(layer, "kernel_initializer", None)
                or self.kernel_initializer,
            )
            for layer in self.hidden_layers
        ]


def _shape_lookup(info: ValidationInfo) -> ShapeLookup | None:
    return (info.context or {}).get(DATASET_SHAPES)


def activation_spec(activation: Activation) -> ActivationSpec:
    """The full form of an activation given by name or by spec."""
    return ActivationSpec(name=activation) if isinstance(activation, str) else activation
