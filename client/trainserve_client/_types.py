"""Typed results returned by the SDK."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

FINISHED = ("succeeded", "failed", "cancelled")


@dataclass(frozen=True)
class ModelRef:
    name: str
    version: int

    def __str__(self) -> str:
        return f"{self.name}:{self.version}"


@dataclass(frozen=True)
class Health:
    """A job's gradient-health summary: the latest verdict, the first, every problem seen."""

    epoch: int
    verdict: list[str]
    initial_verdict: list[str]
    problems_seen: list[str]
    gradient_ratio: float | None

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> Health:
        return cls(
            epoch=body["epoch"],
            verdict=list(body["verdict"]),
            initial_verdict=list(body["initial_verdict"]),
            problems_seen=list(body["problems_seen"]),
            gradient_ratio=body.get("gradient_ratio"),
        )


@dataclass(frozen=True)
class Job:
    id: str
    status: str
    spec: dict[str, Any]
    epoch: int
    epochs: int
    history: list[dict[str, Any]]
    metrics: dict[str, float] | None
    model: ModelRef | None
    error: str | None
    raw: dict[str, Any] = field(repr=False)
    health: Health | None = None

    @property
    def finished(self) -> bool:
        return self.status in FINISHED

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> Job:
        model, health = body.get("model"), body.get("health")
        return cls(
            id=body["id"],
            status=body["status"],
            spec=body["spec"],
            epoch=body["progress"]["epoch"],
            epochs=body["progress"]["epochs"],
            history=body["history"],
            metrics=body.get("metrics"),
            model=ModelRef(model["name"], model["version"]) if model else None,
            error=body.get("error"),
            raw=body,
            health=Health.from_json(health) if health else None,
        )


@dataclass(frozen=True)
class Prediction:
    label: int
    probabilities: list[float]


@dataclass(frozen=True)
class PredictResult:
    model: ModelRef
    predictions: list[Prediction]
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def labels(self) -> list[int]:
        return [p.label for p in self.predictions]

    @property
    def label_array(self) -> np.ndarray:
        """The predicted classes, shape ``(rows,)``."""
        return np.asarray(self.labels, dtype=np.int64)

    @property
    def probabilities(self) -> np.ndarray:
        """Class probabilities, shape ``(rows, classes)``."""
        return np.asarray([p.probabilities for p in self.predictions], dtype=np.float32)

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> PredictResult:
        return cls(
            ModelRef(body["model"]["name"], body["model"]["version"]),
            [Prediction(p["label"], p["probabilities"]) for p in body["predictions"]],
            body,
        )


@dataclass(frozen=True)
class ModelVersion:
    version: int
    job_id: str
    dataset: str
    n_features: int
    n_classes: int
    class_names: list[str]
    metrics: dict[str, float]
    labels: list[str]
    created_at: str

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> ModelVersion:
        return cls(
            version=body["version"],
            job_id=body["job_id"],
            dataset=body["dataset"],
            n_features=body["n_features"],
            n_classes=body["n_classes"],
            class_names=list(body["class_names"]),
            metrics=dict(body["metrics"]),
            labels=list(body["labels"]),
            created_at=body["created_at"],
        )


@dataclass(frozen=True)
class Model:
    """A published model: its versions and the labels pointing at them."""

    name: str
    latest_version: int
    labels: dict[str, int]
    versions: list[ModelVersion]
    raw: dict[str, Any] = field(repr=False)

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> Model:
        return cls(
            name=body["name"],
            latest_version=body["latest_version"],
            labels=dict(body["labels"]),
            versions=[ModelVersion.from_json(v) for v in body["versions"]],
            raw=body,
        )


@dataclass(frozen=True)
class Dataset:
    """An uploaded (or built-in) data set a job spec can name."""

    name: str
    format: str | None
    n_train: int | None
    n_test: int | None
    n_features: int | None
    n_classes: int | None
    size_bytes: int | None
    created_at: str | None
    builtin: bool
    raw: dict[str, Any] = field(repr=False)

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> Dataset:
        return cls(
            name=body["name"],
            format=body.get("format"),
            n_train=body.get("n_train"),
            n_test=body.get("n_test"),
            n_features=body.get("n_features"),
            n_classes=body.get("n_classes"),
            size_bytes=body.get("size_bytes"),
            created_at=body.get("created_at"),
            builtin=bool(body.get("builtin", False)),
            raw=body,
        )
