"""How the CLI shows results: rich tables for people, plain JSON for scripts (pure)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from rich import box
from rich.console import Group
from rich.table import Column, Table
from rich.text import Text

from trainserve_client._types import Dataset, Job, Model, PredictResult


def to_json(value: Any) -> str:
    """The API's own JSON for a result (or a list of them)."""
    if isinstance(value, list):
        return json.dumps([_raw(item) for item in value], indent=2)
    return json.dumps(_raw(value), indent=2)


def _raw(value: Any) -> Any:
    return getattr(value, "raw", value)


def _num(value: float | None, digits: int = 4) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def epoch_line(entry: dict[str, Any], epochs: int) -> str:
    """One finished epoch, as Keras prints it: losses, accuracies, time, verdict."""
    parts = [f"epoch {entry['epoch']:>3}/{epochs}"]
    for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
        if entry.get(key) is not None:
            parts.append(f"{key} {entry[key]:.4f}")
    parts.append(f"({entry.get('seconds', 0.0):.1f} s)")
    if entry.get("verdict"):
        parts.append(", ".join(entry["verdict"]))
    return "  ".join(parts)


def metrics_text(entry: dict[str, Any] | None) -> str:
    """The latest epoch's numbers, short, for the live progress line."""
    if not entry:
        return ""
    names = {"loss": "loss", "accuracy": "acc", "val_loss": "val_loss", "val_accuracy": "val_acc"}
    return "  ".join(
        f"{short} {entry[k]:.4f}" for k, short in names.items() if entry.get(k) is not None
    )


def health_text(job: Job) -> str:
    """The gradient-health verdict of the job's last measured epoch."""
    health = job.health
    if health is None:
        return "Gradient health: no report (diagnostics off, or nothing measured yet)"
    text = f"Gradient health: {', '.join(health.verdict)} at epoch {health.epoch}"
    if health.gradient_ratio is not None:
        text += f" (layer 1 / last layer gradient norm {health.gradient_ratio:.3g})"
    text += f"; before training: {', '.join(health.initial_verdict)}"
    seen = [p for p in health.problems_seen if p != "healthy"]
    return text + (f"; problems seen: {', '.join(seen)}" if seen else "")


def outcome_text(job: Job) -> str:
    """How the job ended, in a line."""
    if job.status == "succeeded":
        metrics = job.metrics or {}
        return (
            f"Job {job.id} succeeded: test accuracy {_num(metrics.get('test_accuracy'))}"
            f" (loss {_num(metrics.get('test_loss'))}); published as {job.model}"
        )
    reason = f": {job.error}" if job.error else ""
    return f"Job {job.id} {job.status}{reason}"


def _table(*columns: str | Column, **options: Any) -> Table:
    return Table(*columns, box=box.SIMPLE_HEAD, **options)


_ID = Column("id", no_wrap=True, min_width=32)  # whole: people paste it into other commands


def jobs_table(jobs: Sequence[Job]) -> Table:
    table = _table(_ID, "status", "dataset", "epoch", "test acc", "model", "created")
    for job in jobs:
        table.add_row(
            job.id,
            job.status,
            str(job.spec.get("dataset")),
            f"{job.epoch}/{job.epochs}",
            _num((job.metrics or {}).get("test_accuracy")),
            str(job.model) if job.model else "-",
            _when(job.raw.get("created_at"), short=True),
        )
    return table


def history_table(job: Job) -> Table:
    table = _table("epoch", "loss", "accuracy", "val_loss", "val_accuracy", "seconds", "verdict")
    for e in job.history:
        table.add_row(
            str(e["epoch"]),
            *(_num(e.get(k)) for k in ("loss", "accuracy", "val_loss", "val_accuracy")),
            f"{e.get('seconds', 0):.1f}",
            ", ".join(e.get("verdict") or []),
        )
    return table


def job_view(job: Job) -> Group:
    facts = Table.grid(padding=(0, 2))
    facts.add_row("id", job.id)
    facts.add_row("status", job.status)
    facts.add_row("progress", f"epoch {job.epoch}/{job.epochs}")
    facts.add_row("spec", Text(json.dumps(job.spec, separators=(",", ":"))[:300]))
    if job.metrics:
        facts.add_row(
            "test",
            f"accuracy {_num(job.metrics.get('test_accuracy'))}, "
            f"loss {_num(job.metrics.get('test_loss'))}",
        )
    if job.model:
        facts.add_row("model", str(job.model))
    if job.error:
        facts.add_row("error", Text(job.error))
    parts: list[Any] = [facts]
    if job.history:
        parts.append(history_table(job))
    parts.append(Text(health_text(job)))
    return Group(*parts)


def models_table(models: Sequence[Model]) -> Table:
    table = _table("name", "latest", "versions", "labels", "dataset", "test acc (latest)")
    for model in models:
        latest = next((v for v in model.versions if v.version == model.latest_version), None)
        table.add_row(
            model.name,
            str(model.latest_version),
            str(len(model.versions)),
            ", ".join(f"{k}→{v}" for k, v in sorted(model.labels.items())),
            latest.dataset if latest else "-",
            _num(latest.metrics.get("test_accuracy")) if latest else "-",
        )
    return table


def model_table(model: Model) -> Table:
    table = _table(
        "version",
        "labels",
        "dataset",
        "test acc",
        "test loss",
        Column("job", no_wrap=True, min_width=32),
        "created",
        title=f"model {model.name}",
    )
    for v in model.versions:
        table.add_row(
            str(v.version),
            ", ".join(v.labels),
            v.dataset,
            _num(v.metrics.get("test_accuracy")),
            _num(v.metrics.get("test_loss")),
            v.job_id,
            _when(v.created_at),
        )
    return table


def predictions_table(result: PredictResult, shown: int = 10) -> Table:
    """Each row's class and its class probabilities (the first ``shown`` of them)."""
    table = _table("row", "class", "name", "p", "probabilities", title=f"model {result.model}")
    for index, (prediction, raw) in enumerate(
        zip(result.predictions, result.raw.get("predictions", []), strict=False)
    ):
        names = {top["label"]: top["class_name"] for top in raw.get("top_k") or []}
        probabilities = " ".join(f"{p:.3f}" for p in prediction.probabilities[:shown])
        if len(prediction.probabilities) > shown:
            probabilities += " …"
        table.add_row(
            str(index),
            str(prediction.label),
            Text(names.get(prediction.label, "")),
            f"{prediction.probabilities[prediction.label]:.3f}",
            probabilities,
        )
    return table


def datasets_table(datasets: Sequence[Dataset]) -> Table:
    table = _table("name", "format", "train", "test", "features", "classes", "size", "created")
    for d in datasets:
        table.add_row(
            d.name + (" (built-in)" if d.builtin else ""),
            d.format or "-",
            *("-" if n is None else str(n) for n in (d.n_train, d.n_test)),
            *("-" if n is None else str(n) for n in (d.n_features, d.n_classes)),
            _size(d.size_bytes),
            _when(d.created_at),
        )
    return table


def _when(timestamp: str | None, short: bool = False) -> str:
    """An ISO-8601 time to the second (``short``: month, day, hours, minutes), as people read it."""
    text = (timestamp or "-")[:19].replace("T", " ")
    return text[5:16] if short and len(text) == 19 else text


def _size(size: int | None) -> str:
    if size is None:
        return "-"
    for unit in ("B", "KiB", "MiB"):
        if size < 1024:
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GiB"
