"""The API's exceptions and their translation to HTTP, in one place.

    ServiceError (500)
     ├── InvalidInput (422)      a well-formed request the service cannot act on
     ├── NotFound (404)          an unknown job, model or version
     └── Unavailable (503)       Redis or the broker cannot be reached

Store errors (``trainserve.store``) and Redis errors are translated here too, and
validation errors name the field, what was received and what was expected.
"""

from __future__ import annotations

import logging
from typing import Any

import redis
from fastapi import FastAPI, Request, status
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from trainserve import store

log = logging.getLogger(__name__)


class ServiceError(Exception):
    status_code = status.HTTP_500_INTERNAL_SERVER_ERROR


class InvalidInput(ServiceError):
    status_code = status.HTTP_422_UNPROCESSABLE_CONTENT


class NotFound(ServiceError):
    status_code = status.HTTP_404_NOT_FOUND


class Unavailable(ServiceError):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE


def _error(status_code: int, message: str, detail: Any = None) -> JSONResponse:
    return JSONResponse({"detail": detail if detail is not None else message, "message": message},
                        status_code=status_code)


def _short(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def describe_validation_errors(errors: list[dict[str, Any]]) -> str:
    """One line per error: ``field: what was expected (received: value)``."""
    lines = []
    for error in errors:
        where = ".".join(str(part) for part in error.get("loc", ()) if part != "body") or "body"
        line = f"{where}: {error.get('msg', 'invalid')}"
        if error.get("type") != "missing" and "input" in error:
            line += f" (received: {_short(error['input'])})"
        lines.append(line)
    return "; ".join(lines)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def validation(request: Request, error: RequestValidationError) -> JSONResponse:
        errors = jsonable_encoder(error.errors(), exclude={"url"})
        for item in errors:
            item.pop("url", None)
        return _error(422, describe_validation_errors(errors), errors)

    @app.exception_handler(ServiceError)
    async def service(request: Request, error: ServiceError) -> JSONResponse:
        return _error(error.status_code, str(error))

    @app.exception_handler(store.NotFound)
    async def not_found(request: Request, error: store.NotFound) -> JSONResponse:
        return _error(404, str(error))

    @app.exception_handler(redis.RedisError)
    async def redis_down(request: Request, error: redis.RedisError) -> JSONResponse:
        log.warning("Redis error on %s: %s", request.url.path, error)
        return _error(503, f"the job store is unavailable, try again shortly ({error})")
