"""``jobs watch``: a live progress bar over the epochs, a line per finished epoch, the verdict."""

from __future__ import annotations

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from trainserve_client._client import Client
from trainserve_client._render import epoch_line, health_text, metrics_text, outcome_text
from trainserve_client._types import Job


def progress_bar(console: Console) -> Progress:
    return Progress(
        TextColumn("{task.description:<9}"),
        BarColumn(bar_width=30),
        MofNCompleteColumn(),
        TextColumn("epochs  {task.fields[metrics]}"),
        TimeElapsedColumn(),
        console=console,
    )


class EpochPrinter:
    """A ``wait`` callback: prints each newly finished epoch above the bar, moves the bar."""

    def __init__(self, progress: Progress):
        self.progress, self.printed = progress, 0
        self.task = progress.add_task("waiting", total=None, metrics="")

    def __call__(self, job: Job) -> None:
        for entry in job.history[self.printed :]:
            self.progress.console.print(epoch_line(entry, job.epochs), markup=False, soft_wrap=True)
        self.printed = len(job.history)
        latest = job.history[-1] if job.history else None
        self.progress.update(
            self.task,
            description=job.status,
            total=job.epochs,
            completed=job.epoch,
            metrics=metrics_text(latest),
        )


def watch(
    client: Client, job_id: str, console: Console, *, poll_interval: float, timeout: float
) -> Job:
    """Follow the job until it finishes; returns its last record (whatever its status)."""
    with progress_bar(console) as progress:
        job = client.wait(
            job_id,
            timeout,
            poll_interval=poll_interval,
            on_progress=EpochPrinter(progress),
            raise_on_failure=False,
        )
    console.print(outcome_text(job), markup=False, soft_wrap=True)
    if job.status != "cancelled":
        console.print(health_text(job), markup=False, soft_wrap=True)
    return job
