"""Typed results returned by the SDK."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ModelRef:
    name: str
    version: int


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

    @property
    def finished(self) -> bool:
        return self.status in ("succeeded", "failed", "cancelled")

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> Job:
        model = body.get("model")
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
        )


@dataclass(frozen=True)
class Prediction:
    label: int
    probabilities: list[float]


@dataclass(frozen=True)
class PredictResult:
    model: ModelRef
    predictions: list[Prediction]

    @property
    def labels(self) -> list[int]:
        return [p.label for p in self.predictions]

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> PredictResult:
        return cls(
            ModelRef(body["model"]["name"], body["model"]["version"]),
            [Prediction(p["label"], p["probabilities"]) for p in body["predictions"]],
        )
