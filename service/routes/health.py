"""Liveness and readiness probes."""

from __future__ import annotations

import redis
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from service.schemas import Health, Readiness
from workers.state import live_workers

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health)
def healthz() -> dict:
    """The process is alive."""
    return {"status": "ok"}


@router.get("/readyz", response_model=Readiness, responses={503: {"model": Readiness}})
def readyz(request: Request) -> JSONResponse:
    """Redis answers and at least one worker has sent a heartbeat recently."""
    state = request.app.state
    try:
        state.redis.ping()
        interval = state.settings.worker_heartbeat_seconds
        workers = live_workers(state.redis, interval)
        gpu_workers = live_workers(state.redis, interval, "gpu")
        redis_ok = True
    except redis.RedisError:
        redis_ok, workers, gpu_workers = False, 0, 0
    ready = redis_ok and workers > 0
    body = {"ready": ready, "redis": redis_ok, "workers": workers, "gpu_workers": gpu_workers}
    return JSONResponse(body, status_code=200 if ready else 503)
