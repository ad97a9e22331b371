"""The trainserve command line: jobs, models, predict and datasets, over the SDK.

Run as ``trainserve <command>`` (with the server installed) or ``python -m trainserve_client``.
Exit status: 0 done, 1 the API refused or failed (or a watched job did not succeed),
2 a usage error (bad flags, unreadable input), 130 interrupted.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

from rich.console import Console

from trainserve_client import _render as render
from trainserve_client._client import DEFAULT_URL, Client
from trainserve_client._exceptions import APIError, ConnectionFailed, TrainserveError
from trainserve_client._inputs import (
    InputError,
    find_api_key,
    load_rows,
    load_spec_file,
    spec_from_flags,
)
from trainserve_client._watch import watch

Handler = Callable[[argparse.Namespace, Client, "Output"], int]


class Output:
    """Where results go: rich tables for people, or plain JSON alone with ``--json``."""

    def __init__(self, as_json: bool, console: Console | None = None):
        self.as_json = as_json
        # Written to a file or a pipe, tables get room enough not to truncate ids.
        wide = None if sys.stdout.isatty() or "COLUMNS" in os.environ else 160
        self.console = console or Console(highlight=False, width=wide)

    def show(self, result: Any, view: Callable[[Any], Any]) -> None:
        if self.as_json:
            print(render.to_json(result), flush=True)
            return
        shown = view(result)
        if isinstance(shown, str):
            self.console.print(shown, markup=False, soft_wrap=True)
        else:
            self.console.print(shown)

    def data(self, payload: dict[str, Any], text: str) -> None:
        if self.as_json:
            print(json.dumps(payload), flush=True)
        else:
            self.console.print(text, markup=False, soft_wrap=True)


def _showing(fetch: Callable[[argparse.Namespace, Client], Any], view: Callable) -> Handler:
    """A command that fetches one result and shows it."""

    def handler(args: argparse.Namespace, client: Client, out: Output) -> int:
        out.show(fetch(args, client), view)
        return 0

    return handler


def _global_options(parser: argparse.ArgumentParser, default: Any) -> None:
    # Given before or after the command: the subcommands' copies default to SUPPRESS so they
    # never overwrite a value given before the command.
    parser.add_argument(
        "--url",
        default=default,
        help="the server (default: $TRAINSERVE_URL or " + DEFAULT_URL + ")",
    )
    parser.add_argument(
        "--api-key",
        default=default,
        help="default: $TRAINSERVE_API_KEY, else the key in $TRAINSERVE_HOME/api-key "
        "(~/.trainserve/api-key)",
    )
    parser.add_argument(
        "--json", action="store_true", default=default, help="plain JSON on stdout, for scripts"
    )


def build_parser(prog: str = "trainserve") -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description="Train, watch and use models.")
    _global_options(parser, None)
    common = argparse.ArgumentParser(add_help=False)
    _global_options(common, argparse.SUPPRESS)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _jobs_parser(commands.add_parser("jobs", help="submit, watch, list, show, cancel jobs"), common)
    _models_parser(commands.add_parser("models", help="list and show models, set labels"), common)
    predict = commands.add_parser("predict", parents=[common], help="classify rows of a file")
    predict.add_argument("model", help="a model name (or name:version, name:label)")
    predict.add_argument("input", help="a .npy or .csv file of feature rows")
    which = predict.add_mutually_exclusive_group()
    which.add_argument("--version", type=int, help="this version (default: the latest)")
    which.add_argument("--label", help="the version this label points to")
    predict.add_argument("--top-k", type=int, default=1, help="classes named per row")
    predict.add_argument("--drop-column", help="a CSV column to leave out (e.g. label)")
    predict.set_defaults(handler=cmd_predict)
    _datasets_parser(commands.add_parser("datasets", help="upload, list, delete data sets"), common)
    return parser


def _jobs_parser(jobs: argparse.ArgumentParser, common: argparse.ArgumentParser) -> None:
    sub = jobs.add_subparsers(dest="action", required=True, metavar="ACTION")
    submit = sub.add_parser("submit", parents=[common], help="queue a job from a spec or flags")
    submit.add_argument("spec_file", nargs="?", help="a YAML or JSON spec; flags override it")
    submit.add_argument("--dataset", help="digits, mnist, fashion_mnist or an uploaded one")
    submit.add_argument("--hidden", help="hidden layer sizes, e.g. 300,100")
    submit.add_argument("--activation", help="elu, selu, relu, leaky_relu, tanh, ...")
    submit.add_argument("--initializer", help="he_normal, glorot_uniform, ...")
    submit.add_argument("--no-batch-norm", action="store_true", help="turn batch norm off")
    submit.add_argument("--optimizer", help="sgd, adam, rmsprop, nadam, adagrad")
    submit.add_argument("--learning-rate", type=float)
    submit.add_argument("--epochs", type=int)
    submit.add_argument("--batch-size", type=int)
    submit.add_argument("--validation-split", type=float)
    submit.add_argument("--seed", type=int)
    submit.add_argument("--model-name", help="publish under this name")
    submit.add_argument("--device", choices=("auto", "cpu", "gpu"))
    submit.add_argument("--idempotency-key", help="resubmitting with it returns the same job")
    submit.add_argument("--watch", action="store_true", help="watch it train")
    _watch_options(submit)
    submit.set_defaults(handler=cmd_jobs_submit)
    watch_ = sub.add_parser("watch", parents=[common], help="follow a job's epochs live")
    watch_.add_argument("job_id")
    _watch_options(watch_)
    watch_.set_defaults(handler=cmd_jobs_watch)
    listing = sub.add_parser("list", parents=[common], help="jobs, newest first")
    listing.add_argument("--limit", type=int, default=20)
    listing.add_argument("--offset", type=int, default=0)
    listing.set_defaults(
        handler=_showing(lambda a, c: c.jobs(offset=a.offset, limit=a.limit), render.jobs_table)
    )
    show = sub.add_parser("show", parents=[common], help="a job's record, epochs and health")
    show.add_argument("job_id")
    show.set_defaults(handler=_showing(lambda a, c: c.get(a.job_id), render.job_view))
    cancel = sub.add_parser("cancel", parents=[common], help="cancel a queued or running job")
    cancel.add_argument("job_id")
    cancel.set_defaults(handler=cmd_jobs_cancel)


def _watch_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--poll", type=float, default=0.5, help="seconds between polls")
    parser.add_argument("--timeout", type=float, default=24 * 3600, help="give up after")


def _models_parser(models: argparse.ArgumentParser, common: argparse.ArgumentParser) -> None:
    sub = models.add_subparsers(dest="action", required=True, metavar="ACTION")
    sub.add_parser("list", parents=[common], help="every model").set_defaults(
        handler=_showing(lambda a, c: c.models(), render.models_table)
    )
    show = sub.add_parser("show", parents=[common], help="a model's versions and labels")
    show.add_argument("name")
    show.set_defaults(handler=_showing(lambda a, c: c.model(a.name), render.model_table))
    label = sub.add_parser("label", parents=[common], help="point a label at a version")
    label.add_argument("name")
    label.add_argument("label")
    label.add_argument("version", type=int)
    label.set_defaults(
        handler=_showing(lambda a, c: c.set_label(a.name, a.label, a.version), render.model_table)
    )
    unlabel = sub.add_parser("unlabel", parents=[common], help="remove a label")
    unlabel.add_argument("name")
    unlabel.add_argument("label")
    unlabel.set_defaults(handler=cmd_models_unlabel)


def _datasets_parser(datasets: argparse.ArgumentParser, common: argparse.ArgumentParser) -> None:
    sub = datasets.add_subparsers(dest="action", required=True, metavar="ACTION")
    upload = sub.add_parser("upload", parents=[common], help="upload a .csv or .npz")
    upload.add_argument("file")
    upload.add_argument("--name", help="default: the file name's stem, lower-cased")
    upload.add_argument("--label-column", default="label", help="CSV only (default: label)")
    upload.add_argument("--test-fraction", type=float, help="held out when there is no test split")
    upload.set_defaults(handler=cmd_datasets_upload)
    sub.add_parser("list", parents=[common], help="data sets").set_defaults(
        handler=_showing(lambda a, c: c.datasets(), render.datasets_table)
    )
    show = sub.add_parser("show", parents=[common], help="one data set")
    show.add_argument("name")
    show.set_defaults(
        handler=_showing(lambda a, c: c.dataset(a.name), lambda d: render.datasets_table([d]))
    )
    delete = sub.add_parser("delete", parents=[common], help="delete an uploaded data set")
    delete.add_argument("name")
    delete.set_defaults(handler=cmd_datasets_delete)


SPEC_FLAGS = (
    "dataset hidden activation initializer no_batch_norm optimizer learning_rate epochs "
    "batch_size validation_split seed model_name device"
).split()


def cmd_jobs_submit(args: argparse.Namespace, client: Client, out: Output) -> int:
    base = load_spec_file(args.spec_file) if args.spec_file else None
    spec = spec_from_flags({name: getattr(args, name) for name in SPEC_FLAGS}, base)
    job = client.submit(spec, idempotency_key=args.idempotency_key)
    if args.watch:
        return _follow(job.id, args, client, out, announce=f"Submitted job {job.id}")
    out.show(job, lambda j: f"Submitted job {j.id} ({j.status}); follow it with: jobs watch {j.id}")
    return 0


def cmd_jobs_watch(args: argparse.Namespace, client: Client, out: Output) -> int:
    return _follow(args.job_id, args, client, out)


def _follow(
    job_id: str, args: argparse.Namespace, client: Client, out: Output, announce: str = ""
) -> int:
    if out.as_json:
        job = client.wait(job_id, args.timeout, poll_interval=args.poll, raise_on_failure=False)
        out.show(job, str)
    else:
        if announce:
            out.console.print(announce, markup=False, soft_wrap=True)
        job = watch(client, job_id, out.console, poll_interval=args.poll, timeout=args.timeout)
    return 0 if job.status == "succeeded" else 1


def cmd_jobs_cancel(args: argparse.Namespace, client: Client, out: Output) -> int:
    job = client.cancel(args.job_id)
    asked = " (stops at its next batch)" if job.status == "running" else ""
    out.show(job, lambda j: f"Job {j.id}: {j.status}{asked}")
    return 0


def cmd_models_unlabel(args: argparse.Namespace, client: Client, out: Output) -> int:
    client.delete_label(args.name, args.label)
    payload = {"name": args.name, "label": args.label, "deleted": True}
    out.data(payload, f"Removed label {args.label!r} of model {args.name}")
    return 0


def cmd_predict(args: argparse.Namespace, client: Client, out: Output) -> int:
    rows = load_rows(args.input, args.drop_column)
    model = args.model
    if args.version is not None or args.label is not None:
        model = f"{model.split(':')[0]}:{args.version if args.version is not None else args.label}"
    out.show(client.predict(model, rows, top_k=args.top_k), render.predictions_table)
    return 0


def cmd_datasets_upload(args: argparse.Namespace, client: Client, out: Output) -> int:
    if not os.path.isfile(args.file):
        raise InputError(f"no such file: {args.file!r} (expected a .csv or .npz to upload)")
    dataset = client.upload_dataset(args.file, args.name, args.label_column, args.test_fraction)
    out.show(dataset, lambda d: render.datasets_table([d]))
    return 0


def cmd_datasets_delete(args: argparse.Namespace, client: Client, out: Output) -> int:
    client.delete_dataset(args.name)
    out.data({"name": args.name, "deleted": True}, f"Deleted data set {args.name}")
    return 0


def _fail(prog: str, message: str, code: int) -> int:
    print(f"{prog}: error: {message}", file=sys.stderr, flush=True)
    return code


def main(argv: Sequence[str] | None = None, prog: str = "trainserve") -> int:
    args = build_parser(prog).parse_args(argv)
    url = args.url or os.environ.get("TRAINSERVE_URL") or DEFAULT_URL
    out = Output(bool(args.json))
    try:
        with Client(url, api_key=args.api_key or find_api_key(), timeout=60) as client:
            return args.handler(args, client, out)
    except InputError as error:
        return _fail(prog, str(error), 2)
    except APIError as error:
        return _fail(prog, f"{error.status_code}: {error.message}", 1)
    except ConnectionFailed as error:
        return _fail(prog, f"{error} (is the server up? set --url or TRAINSERVE_URL)", 1)
    except TrainserveError as error:
        return _fail(prog, str(error), 1)
    except BrokenPipeError:  # e.g. `... --json | head`: the reader has all it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except KeyboardInterrupt:
        hint = " (the job goes on; `jobs cancel ID` stops it)" if args.command == "jobs" else ""
        return _fail(prog, f"interrupted{hint}", 130)


if __name__ == "__main__":
    sys.exit(main(prog="python -m trainserve_client"))
