"""Request and response schemas of the HTTP API."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from models.spec import DiagnosticsSpec, TrainingSpec

JobStatus = Literal["queued", "running", "succeeded", "failed", "cancelled"]
MODEL_REF_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,63}(:[a-z0-9][a-z0-9_-]{0,63})?$"


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
    stopped_early: bool = False


Verdict = list[Literal["healthy", "vanishing", "exploding", "saturated", "dead"]]


class HealthSummary(BaseModel):
    """The latest gradient-health verdict, the first one, and every problem seen so far."""

    epoch: int
    verdict: Verdict
    gradient_ratio: float | None
    initial_verdict: Verdict
    problems_seen: list[str]


class EpochPublic(BaseModel):
    epoch: int
    loss: float | None
    accuracy: float | None
    val_loss: float | None
    val_accuracy: float | None
    seconds: float
    verdict: Verdict | None = None


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
    health: HealthSummary | None = None
    error: str | None
    queue: Literal["cpu", "gpu"] = Field("cpu", description="The workers it was sent to")
    attempts: int = Field(0, description="Deliveries that started training it")
    worker_losses: int = Field(0, description="Times the process training it died")
    worker: str | None = Field(None, description="host:pid of the process that trained it last")
    cancel_requested: bool = False
    last_failure: str | None = Field(
        None, description="Why the last attempt's process died, if it did (e.g. a signal)"
    )
    created_at: str
    updated_at: str
    started_at: str | None
    finished_at: str | None


class LayerHealth(BaseModel):
    layer: int
    units: int
    activation: str
    kernel_grad_norm: float | None
    pre_activation_mean: float | None
    pre_activation_std: float | None
    activation_mean: float | None
    activation_std: float | None
    saturated_fraction: float | None = Field(
        description="Share of activations with a derivative below the threshold "
        "(sigmoid, tanh, elu, selu; null for the ReLU family)"
    )
    dead_fraction: float | None


class EpochHealth(BaseModel):
    epoch: int = Field(description="0 is the network before training")
    loss: float | None = Field(description="Loss on the probe batch")
    gradient_ratio: float | None = Field(
        description="First hidden layer's kernel-gradient norm over the last one's"
    )
    verdict: Verdict
    layers: list[LayerHealth]


class ReportPublic(BaseModel):
    """A job's gradient-health report: every measured epoch, layer by layer."""

    job_id: str
    status: JobStatus
    enabled: bool
    thresholds: DiagnosticsSpec
    epochs: list[EpochHealth]


class JobsPublic(BaseModel):
    items: list[JobPublic]
    total: int
    offset: int
    limit: int


FiniteFloat = Annotated[float, Field(allow_inf_nan=False)]


class PredictRequest(BaseModel):
    """Feature rows to classify with a published model (documents the body; the route
    parses it with orjson and NumPy, which is much faster for long rows)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"model": "digits", "instances": [[0.0] * 64]}]},
    )

    model: str = Field(
        pattern=MODEL_REF_PATTERN,
        description="`name` (latest version), `name:version` or `name:label`.",
    )
    instances: list[list[FiniteFloat]] = Field(
        min_length=1, description="Rows of raw features, as the data set stores them."
    )
    top_k: int | None = Field(None, ge=1, description="Also list the k likeliest classes.")


class TopClass(BaseModel):
    label: int
    class_name: str
    probability: float


class Prediction(BaseModel):
    label: int
    probabilities: list[float]
    top_k: list[TopClass] | None = None


class PredictResponse(BaseModel):
    model: ModelRef
    predictions: list[Prediction]


class Health(BaseModel):
    status: Literal["ok"] = "ok"


class Readiness(BaseModel):
    ready: bool
    redis: bool
    workers: int
    gpu_workers: int = 0


class ModelVersionPublic(BaseModel):
    version: int
    state: Literal["AVAILABLE"] = "AVAILABLE"
    job_id: str
    created_at: str
    dataset: str
    n_features: int
    n_classes: int
    class_names: list[str]
    metrics: JobMetrics
    labels: list[str]


class ModelPublic(BaseModel):
    name: str
    latest_version: int
    labels: dict[str, int] = Field(description="Label → version; `latest` is always there")
    versions: list[ModelVersionPublic]


class ModelsPublic(BaseModel):
    items: list[ModelPublic]


class LabelUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int = Field(ge=1, description="The version the label should point to")


class DatasetPublic(BaseModel):
    """An uploaded data set; name it in a job spec's `dataset` to train on it."""

    name: str
    format: Literal["csv", "npz"] = Field(description="The uploaded file's format")
    n_train: int = Field(description="Rows in the training split")
    n_test: int = Field(description="Rows in the test split")
    n_features: int
    n_classes: int
    size_bytes: int = Field(description="Size of the uploaded file")
    created_at: str


class DatasetsPublic(BaseModel):
    datasets: list[DatasetPublic]
