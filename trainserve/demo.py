"""``trainserve demo``: the main job. Start the stack, train the chapter network, predict."""

from __future__ import annotations

import argparse
import sys

from trainserve.settings import get_settings
from trainserve.stack import Stack


def _progress_printer():
    """A ``wait`` callback that prints each newly finished epoch and each change of status."""
    shown = {"epochs": 0, "status": None}

    def show(job) -> None:
        for e in job.history[shown["epochs"] :]:
            val = (
                f"  val_loss {e['val_loss']:.4f}  val_accuracy {e['val_accuracy']:.4f}"
                if e["val_loss"] is not None
                else ""
            )
            print(
                f"  epoch {e['epoch']:>3}/{job.epochs}  loss {e['loss']:.4f}  "
                f"accuracy {e['accuracy']:.4f}{val}  ({e['seconds']:.1f} s)",
                flush=True,
            )
        shown["epochs"] = len(job.history)
        if job.status != shown["status"]:
            print(f"  job {job.id}: {job.status}", flush=True)
            shown["status"] = job.status

    return show


def _train_and_predict(client, dataset_name: str, epochs: int) -> int:
    from models.datasets import load_dataset
    from trainserve_client import JobFailed

    spec = {"dataset": dataset_name, "epochs": epochs}  # everything else: the chapter's defaults
    job = client.submit(spec)
    print(
        f"Submitted job {job.id}: {dataset_name}, 300-100 He-normal + BN(0.9) + ELU, "
        f"SGD 0.01, batch 200, {epochs} epochs",
        flush=True,
    )
    try:
        job = client.wait(job.id, timeout=6 * 3600, on_progress=_progress_printer())
    except JobFailed as failure:
        print(f"The job failed: {failure.job.error}", file=sys.stderr)
        return 1
    print(
        f"Test accuracy {job.metrics['test_accuracy']:.4f} (loss {job.metrics['test_loss']:.4f});"
        f" published as {job.model.name}:{job.model.version}",
        flush=True,
    )
    data = load_dataset(dataset_name, get_settings().data_dir)
    rows, truth = data.x_test[:5], data.y_test[:5]
    result = client.predict(f"{job.model.name}:{job.model.version}", rows)
    print("POST /predict on the first five test images:")
    for prediction, label in zip(result.predictions, truth, strict=True):
        print(
            f"  predicted {data.class_names[prediction.label]!r:>14} "
            f"(p={max(prediction.probabilities):.3f}), true {data.class_names[label]!r}"
        )
    return 0


def run(args: argparse.Namespace) -> int:
    from trainserve.auth import client_key
    from trainserve.cli import announce_key
    from trainserve_client import Client

    settings = get_settings()
    announce_key(settings)
    stack = Stack(settings, args.host, args.port).start()
    try:
        print(f"Starting trainserve at {stack.base_url} (logs in {stack.logs}) ...", flush=True)
        stack.wait_ready()
        with Client(stack.base_url, api_key=client_key(settings)) as client:
            status = _train_and_predict(client, args.dataset, args.epochs)
        if status or args.exit:
            return status
        print(
            f"Serving at {stack.base_url} (API docs: {stack.base_url}/docs). Ctrl-C stops it.",
            flush=True,
        )
        return stack.serve_forever()
    except (TimeoutError, RuntimeError) as error:
        print(f"trainserve: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    finally:
        stack.stop()
