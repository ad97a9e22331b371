"""Draw a job's gradient-health report and learning curves as a PNG."""

from __future__ import annotations

import io
from typing import Any

import matplotlib
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

# Figures are made without pyplot: no global state, so the API can draw from threads.


def _gradient_panel(axis, reports: list[dict[str, Any]]) -> None:
    axis.set_title("Kernel-gradient norm per hidden layer")
    if not reports:
        axis.text(0.5, 0.5, "no gradient-health report yet", ha="center", va="center")
        return
    epochs = [r["epoch"] for r in reports]
    n_layers = len(reports[0]["layers"])
    colors = matplotlib.colormaps["viridis"]([i / max(1, n_layers - 1) for i in range(n_layers)])
    for i in range(n_layers):
        norms = [r["layers"][i]["kernel_grad_norm"] for r in reports]
        axis.plot(
            epochs,
            [n if n and n > 0 else float("nan") for n in norms],
            marker="o",
            color=colors[i],
            label=f"layer {i + 1}",
        )
    axis.set_yscale("log")
    axis.set_xlabel("epoch (0: before training)")
    axis.xaxis.set_major_locator(MaxNLocator(integer=True))
    axis.legend(fontsize="x-small", loc="upper left", bbox_to_anchor=(1.0, 1.0))
    last = reports[-1]
    axis.text(
        0.01,
        0.01,
        f"epoch {last['epoch']}: {', '.join(last['verdict'])}",
        transform=axis.transAxes,
        fontsize="small",
    )


def _curves_panel(axis, history: list[dict[str, Any]]) -> None:
    axis.set_title("Learning curves")
    if not history:
        axis.text(0.5, 0.5, "no finished epoch yet", ha="center", va="center")
        return
    epochs = [e["epoch"] for e in history]
    for key, style in (
        ("loss", "-"),
        ("val_loss", "--"),
        ("accuracy", "-"),
        ("val_accuracy", "--"),
    ):
        values = [e.get(key) for e in history]
        if any(v is not None for v in values):
            axis.plot(
                epochs,
                [float("nan") if v is None else v for v in values],
                style,
                marker=".",
                label=key,
            )
    axis.set_xlabel("epoch")
    axis.xaxis.set_major_locator(MaxNLocator(integer=True))
    axis.legend(fontsize="small")


def render_report_png(
    reports: list[dict[str, Any]], history: list[dict[str, Any]], title: str
) -> bytes:
    """A two-panel PNG: kernel-gradient norms per layer across epochs, learning curves."""
    figure = Figure(figsize=(12, 4.5), dpi=100)
    left, right = figure.subplots(1, 2)
    _gradient_panel(left, reports)
    _curves_panel(right, history)
    figure.suptitle(title)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
