"""Request and response schemas of the HTTP API."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from models.spec import TrainingSpec

JobStatus = Literal["queued", "running", "succeeded", "failed", "cancelled"]
MODEL_REF_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,63}(:[1-9][0-9]{0,8})?$"


class JobCreate(TrainingSpec):
    """A training job: the data set and every choice about the network and its training."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"dataset": "fashion_mnist"},
                {"dataset": "digits", "hidden_layers": [64, 32], "epochs": 5, "batch_size": 32},
            ]
        }
    )


class Progress(BaseModel):
    epoch: int
    epochs: int


class EpochPublic(BaseModel):
    epoch: int
    loss: float | None
    accuracy: float | None
    val_loss: float | None
    val_accuracy: float | None
    seconds: float


class ModelRef(BaseModel):
    name: str
    version: int


class JobMetrics(BaseModel):
    test_accuracy: float
    test_loss: float


class JobPublic(BaseModel):
    id: str
    status: JobStatus
    spec: TrainingSpec
    progress: Progress
    history: list[EpochPublic]
    metrics: JobMetrics | None
    model: ModelRef | None
    error: str | None
    attempts: int = 0
    created_at: str
    updated_at: str
    started_at: str | None
    finished_at: str | None


class JobsPublic(BaseModel):
    items: list[JobPublic]
    total: int
    offset: int
    limit: int


FiniteFloat = Annotated[float, Field(allow_inf_nan=False)]


class PredictRequest(BaseModel):
    """Feature rows to classify with a published model."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"model": "digits", "instances": [[0.0] * 64]}]},
    )

    model: str = Field(
        pattern=MODEL_REF_PATTERN,
        description="`name` for the latest version, or `name:version`.",
    )
    instances: list[list[FiniteFloat]] = Field(
        min_length=1, description="Rows of raw features, as the data set stores them."
    )


class Prediction(BaseModel):
    label: int
    probabilities: list[float]


class PredictResponse(BaseModel):
    model: ModelRef
    predictions: list[Prediction]


class Health(BaseModel):
    status: Literal["ok"] = "ok"


class Readiness(BaseModel):
    ready: bool
    redis: bool
    workers: int
