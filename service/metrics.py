"""Prometheus metrics of the API: its own counters, and Redis's state read at scrape time.

Measured in this process: HTTP requests and their latency (by method, route template
and status) and inference batches (rows and requests per call). Read from Redis on each
scrape: jobs by state, messages waiting in each Celery queue, live workers, and the
epoch durations the training processes record (``trainserve.epoch_metrics``).

The counters are per process: `trainserve api` is one process, so one scrape sees them
all; run several replicas and Prometheus scrapes each (the Redis-backed numbers are then
the same in every replica's answer).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator

import redis
from kombu.transport.redis import PRIORITY_STEPS, Channel
from prometheus_client import CollectorRegistry, Counter, Histogram, disable_created_metrics
from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from trainserve.epoch_metrics import read_epochs
from trainserve.store import JobStore
from workers.celery_app import QUEUES
from workers.reconciler import UNACKED_KEY
from workers.state import live_workers

log = logging.getLogger(__name__)
UNMATCHED = "<unmatched>"  # one label for every path no route knows: bounded cardinality
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
ROW_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096, 10_000)
REQUEST_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256)
disable_created_metrics()  # no `_created` series beside every counter: half the lines


class ServiceMetrics:
    """The registry ``GET /metrics`` answers from, and the instruments that fill it."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        ProcessCollector(registry=self.registry)
        PlatformCollector(registry=self.registry)
        labels = ("method", "route", "status")
        self.requests = Counter(
            "trainserve_http_requests", "HTTP requests answered.", labels, registry=self.registry
        )
        self.latency = Histogram(
            "trainserve_http_request_duration_seconds",
            "Time from a request's arrival to the end of its response.",
            labels,
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.batch_rows = Histogram(
            "trainserve_inference_batch_rows",
            "Rows per inference call (several predict requests batched together).",
            buckets=ROW_BUCKETS,
            registry=self.registry,
        )
        self.batch_requests = Histogram(
            "trainserve_inference_batch_requests",
            "Predict requests served by one inference call.",
            buckets=REQUEST_BUCKETS,
            registry=self.registry,
        )
        self._children: dict[tuple[str, str, int], tuple] = {}

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        key = (method, route, status)
        children = self._children.get(key)
        if children is None:  # labels() takes a lock and builds a tuple: once per series
            values = (method, route, str(status))
            children = (self.requests.labels(*values), self.latency.labels(*values))
            self._children[key] = children
        children[0].inc()
        children[1].observe(seconds)

    def observe_batch(self, rows: int, requests: int) -> None:
        self.batch_rows.observe(rows)
        self.batch_requests.observe(requests)

    def watch_redis(self, store: Callable[[], JobStore | None], heartbeat_seconds: float) -> None:
        """Export Redis's state on every scrape, through the job store ``store()`` returns
        (None while the app is not started: then nothing)."""
        self.registry.register(RedisCollector(store, heartbeat_seconds))


class HttpMetrics:
    """Counts and times every HTTP request (pure ASGI: no per-request task or copy).

    Labels use the matched route's template (``/jobs/{job_id}``), never the raw path.
    """

    def __init__(self, app: ASGIApp, metrics: ServiceMetrics):
        self.app, self.metrics = app, metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = time.perf_counter()
        status = 500  # what the client gets if the app fails before answering

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            self.metrics.observe_request(
                scope["method"], route_template(scope), status, time.perf_counter() - started
            )


def route_template(scope: Scope) -> str:
    """The template of the route that answered; UNMATCHED when none did (an unknown
    path, or a request refused before routing: a body over the limit)."""
    return getattr(scope.get("route"), "path", None) or UNMATCHED


def queue_lists(queue: str) -> list[str]:
    """The Redis lists kombu keeps a Celery queue in: one per priority step."""
    return [
        f"{queue}{Channel.sep}{step}" if step else queue for step in sorted(set(PRIORITY_STEPS))
    ]


class RedisCollector:
    """Reads jobs by state, queue depths, workers and epoch durations at scrape time:
    a handful of Redis calls, none that reads the job records."""

    def __init__(self, store: Callable[[], JobStore | None], heartbeat_seconds: float):
        self.store, self.heartbeat_seconds = store, heartbeat_seconds

    def collect(self) -> Iterator[Metric]:
        store = self.store()
        if store is None:
            return
        up = GaugeMetricFamily("trainserve_redis_up", "Whether Redis answered this scrape.")
        try:
            metrics = list(self._read(store))
        except redis.RedisError as error:
            log.warning("/metrics: Redis did not answer: %s", error)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from metrics

    def _read(self, store: JobStore) -> Iterator[Metric]:
        client = store.redis
        jobs = GaugeMetricFamily("trainserve_jobs", "Jobs in each state.", labels=["status"])
        for state, count in store.count_by_status().items():
            jobs.add_metric([state], count)
        yield jobs

        with client.pipeline(transaction=False) as pipe:
            for queue in QUEUES:
                for name in queue_lists(queue):
                    pipe.llen(name)
            pipe.hlen(UNACKED_KEY)
            lengths = pipe.execute()
        depth = GaugeMetricFamily(
            "trainserve_queue_depth", "Jobs waiting in a Celery queue.", labels=["queue"]
        )
        steps = len(queue_lists(QUEUES[0]))
        for i, queue in enumerate(QUEUES):
            depth.add_metric([queue], sum(lengths[i * steps : (i + 1) * steps]))
        yield depth
        yield GaugeMetricFamily(
            "trainserve_queue_unacked",
            "Jobs delivered to a worker and not yet acknowledged (training, or lost with one).",
            value=lengths[-1],
        )

        workers = GaugeMetricFamily(
            "trainserve_workers", "Workers with a recent heartbeat.", labels=["device"]
        )
        for device in QUEUES:
            workers.add_metric([device], live_workers(client, self.heartbeat_seconds, device))
        yield workers

        epochs = HistogramMetricFamily(
            "trainserve_epoch_duration_seconds",
            "Duration of finished training epochs, as the workers record them.",
            labels=["device"],
        )
        for device, histogram in read_epochs(client, QUEUES).items():
            epochs.add_metric([device], histogram.buckets, histogram.sum)
        yield epochs
