"""The ``trainserve`` command: ``up``, ``api``, ``worker`` and ``demo``; ``jobs``, ``models``,
``predict`` and ``datasets`` are the SDK's command line (``trainserve_client.cli``)."""

from __future__ import annotations

import argparse
import logging
import os
import sys

from trainserve.settings import get_settings


def build_parser() -> argparse.ArgumentParser:
    settings = get_settings()
    parser = argparse.ArgumentParser(prog="trainserve", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    up = commands.add_parser("up", help="start Redis (embedded if no URL), the API and a worker")
    _add_server_options(up, settings)
    up.add_argument(
        "--workers",
        type=int,
        default=settings.worker_concurrency,
        help="training processes (default: %(default)s)",
    )

    api = commands.add_parser("api", help="start the HTTP API alone")
    _add_server_options(api, settings)

    worker = commands.add_parser("worker", help="start a Celery training worker alone")
    worker.add_argument(
        "--concurrency",
        type=int,
        default=settings.worker_concurrency,
        help="training processes (default: %(default)s)",
    )
    worker.add_argument(
        "--device",
        choices=("cpu", "gpu"),
        default="cpu",
        help="the queue to serve; a GPU worker serves one GPU "
        "(CUDA_VISIBLE_DEVICES) one job at a time (default: %(default)s)",
    )
    worker.add_argument("--loglevel", default="INFO")

    demo = commands.add_parser(
        "demo", help="start the stack, train the chapter network, predict, keep serving"
    )
    _add_server_options(demo, settings)
    demo.add_argument("--dataset", default="fashion_mnist")
    demo.add_argument("--epochs", type=int, default=20)
    demo.add_argument("--exit", action="store_true", help="stop once the prediction is shown")
    for name, text in CLIENT_COMMANDS.items():  # listed for --help; main() hands them over
        commands.add_parser(name, help=text, add_help=False)
    return parser


def _port(text: str) -> int:
    port = int(text)
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"expected a port from 1 to 65535; received {text}")
    return port


def _add_server_options(parser: argparse.ArgumentParser, settings) -> None:
    parser.add_argument("--host", default=settings.host, help="default: %(default)s")
    parser.add_argument("--port", type=_port, default=settings.port, help="default: %(default)s")


def run_api(args: argparse.Namespace) -> int:
    import uvicorn

    from service.app import create_app
    from trainserve.redis_server import ensure_redis

    url, embedded = ensure_redis(get_settings())
    try:
        uvicorn.run(
            create_app(redis_url=url),
            host=args.host,
            port=args.port,
            log_level="info",
            access_log=False,
        )
    finally:
        if embedded is not None:
            embedded.stop()
    return 0


def run_worker(args: argparse.Namespace) -> int:
    import redis

    from trainserve.redis_server import ensure_redis
    from trainserve.store import JobStore
    from workers.celery_app import TRAIN_TASK, make_celery
    from workers.reconciler import Reconciler
    from workers.state import Heartbeat

    url, embedded = ensure_redis(get_settings())
    os.environ["TRAINSERVE_REDIS_URL"] = url  # the forked training processes read it
    concurrency = args.concurrency
    if args.device == "gpu":
        os.environ.setdefault("TF_FORCE_GPU_ALLOW_GROWTH", "true")  # memory growth on
        concurrency = 1  # one job at a time on its GPU
    get_settings.cache_clear()
    client = redis.Redis.from_url(url, socket_timeout=10)
    heartbeat = Heartbeat(client, get_settings().worker_heartbeat_seconds, args.device)
    heartbeat.start()
    app = make_celery(url)
    reconciler = Reconciler(
        JobStore(client), lambda job_id, queue: app.send_task(TRAIN_TASK, [job_id], queue=queue)
    )
    reconciler.start()
    try:
        app.worker_main(
            [
                "worker",
                f"--concurrency={concurrency}",
                f"--queues={args.device}",
                f"--loglevel={args.loglevel}",
                "--pool=prefork",
                "--without-gossip",
                "--without-mingle",
            ]
        )
    finally:
        reconciler.stop()
        heartbeat.stop()
        if embedded is not None:
            embedded.stop()
    return 0


def run_up(args: argparse.Namespace) -> int:
    from trainserve.redis_server import redact
    from trainserve.stack import Stack

    settings = get_settings()
    announce_key(settings)
    stack = Stack(settings, args.host, args.port, args.workers).start()
    try:
        stack.wait_ready()
    except KeyboardInterrupt:
        stack.stop()
        return 130
    except (TimeoutError, RuntimeError) as error:
        stack.stop()
        print(f"trainserve: {error}", file=sys.stderr)
        return 1
    print(
        f"trainserve is up at {stack.base_url} (API docs: {stack.base_url}/docs); "
        f"Redis {redact(stack.redis_url)}; data in {get_settings().home_dir}. Ctrl-C stops it.",
        flush=True,
    )
    return stack.serve_forever()


def announce_key(settings) -> None:
    """Create the stored API key on first run and say where it is."""
    from trainserve.auth import ensure_key_file, key_file

    if settings.api_keys:
        print("API keys: from TRAINSERVE_API_KEYS", flush=True)
        return
    secret, created = ensure_key_file(settings)
    if created:
        print(
            f"Created an API key (stored in {key_file(settings)}):\n    {secret}\n"
            f"Send it as `Authorization: Bearer <key>`; the SDK and CLI read "
            f"TRAINSERVE_API_KEY.",
            flush=True,
        )
    else:
        print(f"API key: in {key_file(settings)}", flush=True)


def run_demo(args: argparse.Namespace) -> int:
    from trainserve.demo import run

    return run(args)


COMMANDS = {"up": run_up, "api": run_api, "worker": run_worker, "demo": run_demo}


# Served by the SDK's command line (trainserve_client.cli), which talks to a running server.
CLIENT_COMMANDS = {
    "jobs": "submit, watch, list, show and cancel jobs (see `trainserve jobs -h`)",
    "models": "list and show models, set labels",
    "predict": "classify the rows of a .npy or .csv file",
    "datasets": "upload, list and delete data sets",
}


def _client_command(argv: list[str]) -> bool:
    """Whether argv names a client command (after any --url/--api-key/--json)."""
    rest = list(argv)
    while rest and rest[0].startswith("--"):
        option = rest.pop(0)
        if option in ("--url", "--api-key") and rest:
            rest.pop(0)
    return bool(rest) and rest[0] in CLIENT_COMMANDS


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if _client_command(argv):
        from trainserve_client.cli import main as client_main

        return client_main(argv, prog="trainserve")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "1")  # TensorFlow's INFO lines are noise here
    args = build_parser().parse_args(argv)
    return COMMANDS[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
