"""The FastAPI application factory."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import redis
import redis.asyncio
from fastapi import FastAPI

from service.errors import install_error_handlers
from service.inference import InferenceEngine
from service.limits import BodySizeLimit
from service.metrics import HttpMetrics, ServiceMetrics
from service.resolver import ModelResolver
from service.routes import dashboard, datasets, health, jobs, kserve, models, predict, tfserving
from service.routes.metrics import router as metrics_router
from trainserve import __version__
from trainserve.auth import configured_keys
from trainserve.registry import ModelRegistry
from trainserve.settings import Settings, get_settings
from trainserve.store import JobStore
from workers.celery_app import make_celery

DESCRIPTION = """Train batch-normalized deep feed-forward networks from a JSON spec
(He initialization, batch normalization before each ELU, as the chapter teaches),
follow their training epoch by epoch, and serve them."""


def create_app(settings: Settings | None = None, redis_url: str | None = None) -> FastAPI:
    """Build the app; ``redis_url`` overrides the settings' (the CLI passes the embedded one)."""
    settings = settings or get_settings()
    url = redis_url or settings.redis_url
    if not url:
        raise ValueError("create_app needs a Redis URL: set TRAINSERVE_REDIS_URL or pass one")

    api_keys = configured_keys(settings)  # bad TRAINSERVE_API_KEYS fail here, before serving
    metrics = ServiceMetrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        client = redis.Redis.from_url(url, health_check_interval=30, socket_timeout=10)
        # A bounded pool that makes callers wait for a connection instead of failing.
        pool = redis.asyncio.BlockingConnectionPool.from_url(
            url, max_connections=64, timeout=10, health_check_interval=30, socket_timeout=10
        )
        aclient = redis.asyncio.Redis(connection_pool=pool)
        app.state.settings = settings
        app.state.api_keys = api_keys
        app.state.redis, app.state.aredis = client, aclient
        app.state.store = JobStore(client)
        app.state.registry = ModelRegistry(client)
        app.state.resolver = ModelResolver(aclient)
        app.state.celery = make_celery(url)
        app.state.engine = InferenceEngine(
            settings.artifacts_root,
            cache_size=settings.model_cache_size,
            tf_threads=settings.api_tf_threads,
            batching=settings.predict_batching,
            max_batch_size=settings.predict_max_batch_size,
            batch_wait=settings.predict_batch_wait_ms / 1000,
            on_batch=metrics.observe_batch,
        )
        threading.Thread(target=app.state.engine.warm_up, name="tf-warm-up", daemon=True).start()
        yield
        app.state.engine.close()
        await aclient.aclose()
        client.close()

    app = FastAPI(
        title="trainserve", version=__version__, description=DESCRIPTION, lifespan=lifespan
    )
    install_error_handlers(app)
    app.state.metrics = metrics
    metrics.watch_redis(
        lambda: getattr(app.state, "store", None), settings.worker_heartbeat_seconds
    )
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(HttpMetrics, metrics=metrics)  # the outermost: it counts 413s too
    for module in (predict, jobs, datasets, models, tfserving, kserve, health, dashboard):
        app.include_router(module.router)
    app.include_router(metrics_router)
    return app
