"""The training spec: everything a user chooses about a network and its training.

The defaults are the chapter's network: two hidden layers of 300 and 100 units,
He-normal initialization, batch normalization (momentum 0.9) before each ELU
activation, plain SGD with learning rate 0.01, batches of 200, 20 epochs.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from models.datasets import BUILTIN_DATASETS

MODEL_NAME_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,63}$"

Activation = Literal["elu", "selu", "relu", "leaky_relu", "tanh", "sigmoid"]
KernelInitializer = Literal[
    "he_normal", "he_uniform", "glorot_normal", "glorot_uniform", "lecun_normal"
]
Units = Annotated[int, Field(ge=1, le=4096)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class BatchNormSpec(_Strict):
    """Batch normalization placed between each hidden Dense layer and its activation."""

    enabled: bool = True
    momentum: float = Field(0.9, gt=0.0, lt=1.0)
    epsilon: float = Field(0.001, gt=0.0, le=1.0)


class OptimizerSpec(_Strict):
    """The optimizer and its learning rate (``momentum``/``nesterov`` apply to SGD)."""

    name: Literal["sgd", "adam", "rmsprop", "nadam", "adagrad"] = "sgd"
    learning_rate: float = Field(0.01, gt=0.0, le=10.0)
    momentum: float = Field(0.0, ge=0.0, lt=1.0)
    nesterov: bool = False

    @model_validator(mode="after")
    def _sgd_only_options(self) -> OptimizerSpec:
        if self.name != "sgd" and (self.momentum or self.nesterov):
            raise ValueError(
                "`momentum` and `nesterov` apply to the sgd optimizer only. "
                f"Received: name={self.name!r}, momentum={self.momentum}, "
                f"nesterov={self.nesterov}"
            )
        return self


class TrainingSpec(_Strict):
    """What to train: data set, architecture, optimizer and schedule."""

    dataset: str = Field(description="A data set name: " + ", ".join(BUILTIN_DATASETS))
    hidden_layers: list[Units] = Field(
        default_factory=lambda: [300, 100], min_length=1, max_length=20
    )
    activation: Activation = "elu"
    kernel_initializer: KernelInitializer = "he_normal"
    batch_norm: BatchNormSpec = Field(default_factory=BatchNormSpec)
    optimizer: OptimizerSpec = Field(default_factory=OptimizerSpec)
    epochs: int = Field(20, ge=1, le=1000)
    batch_size: int = Field(200, ge=1, le=65536)
    validation_split: float = Field(
        0.1, ge=0.0, le=0.5, description="Fraction of the training split held out."
    )
    seed: int = Field(42, ge=0, le=2**31 - 1)
    model_name: str | None = Field(
        None,
        pattern=MODEL_NAME_PATTERN,
        description="Name to publish the trained model under; defaults to the data set's.",
    )

    @field_validator("dataset")
    @classmethod
    def _known_dataset(cls, value: str) -> str:
        if value not in BUILTIN_DATASETS:
            raise ValueError(
                f"unknown dataset {value!r}; expected one of: {', '.join(BUILTIN_DATASETS)}"
            )
        return value

    @field_validator("batch_norm", mode="before")
    @classmethod
    def _batch_norm_shorthand(cls, value: Any) -> Any:
        # `"batch_norm": false` reads better than `{"enabled": false}`.
        if isinstance(value, bool):
            return {"enabled": value}
        return value

    @property
    def published_name(self) -> str:
        """The model name a successful job publishes under."""
        return self.model_name or self.dataset
