"""The API's exceptions and their translation to HTTP, in one place.

    ServiceError (500)
     ├── Unauthorized (401)      no API key, or an unknown one
     ├── Forbidden (403)         the key's scope does not cover the route
     ├── InvalidInput (422)      a request the service cannot act on
     ├── NotFound (404)          an unknown job, model, version or label
     ├── Conflict (409)          the change would break something that depends on it
     └── Unavailable (503)       Redis or the broker cannot be reached

Store errors (``trainserve.store``), the uploaded data sets' errors (``models.errors``:
InvalidUpload 422, DatasetNotFound 404, DatasetExists 409) and Redis errors are translated
here too, and validation errors name the field, what was received and what was expected.

Bodies over the size limit are refused (413) by ``service.limits`` before any route runs.
Native routes answer ``{"detail", "message"}``. The TensorFlow Serving (``/v1/``) and
KServe V2 (``/v2/``) routes answer ``{"error": message}`` as those protocols do, with
400 where the native API says 422.
"""

from __future__ import annotations

import logging
import math
from typing import Any

import redis
from fastapi import FastAPI, Request, status
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from models import errors as models_errors
from trainserve import store

log = logging.getLogger(__name__)


class ServiceError(Exception):
    status_code = status.HTTP_500_INTERNAL_SERVER_ERROR
    headers: dict[str, str] | None = None


class Unauthorized(ServiceError):
    status_code = status.HTTP_401_UNAUTHORIZED
    headers = {"WWW-Authenticate": "Bearer"}


class Forbidden(ServiceError):
    status_code = status.HTTP_403_FORBIDDEN


class InvalidInput(ServiceError):
    status_code = status.HTTP_422_UNPROCESSABLE_CONTENT


class NotFound(ServiceError):
    status_code = status.HTTP_404_NOT_FOUND


class Conflict(ServiceError):
    status_code = status.HTTP_409_CONFLICT


class Unavailable(ServiceError):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE


COMPATIBLE_PREFIXES = ("/v1/", "/v2/", "/v2")


def _error(
    request: Request,
    status_code: int,
    message: str,
    detail: Any = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    if request.url.path.startswith(COMPATIBLE_PREFIXES):
        code = status.HTTP_400_BAD_REQUEST if status_code == 422 else status_code
        return JSONResponse({"error": message}, status_code=code, headers=headers)
    return JSONResponse(
        {"detail": detail if detail is not None else message, "message": message},
        status_code=status_code,
        headers=headers,
    )


def short(value: Any, limit: int = 80) -> str:
    """``repr(value)``, cut to ``limit`` characters, for echoing input in messages."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _echo(value: Any) -> Any:
    """What to send back of a received value: scalars as they are, anything else abridged."""
    if isinstance(value, (bool, int, str)) or value is None:
        return value if not isinstance(value, str) or len(value) <= 80 else short(value)
    if isinstance(value, float) and math.isfinite(value):
        return value
    return short(value)  # NaN, containers (a whole body can be megabytes)


def describe_validation_errors(errors: list[dict[str, Any]]) -> str:
    """One line per error: ``field: what was expected (received: value)``."""
    lines = []
    for error in errors:
        where = ".".join(str(part) for part in error.get("loc", ()) if part != "body") or "body"
        line = f"{where}: {error.get('msg', 'invalid').removeprefix('Value error, ')}"
        if error.get("type") != "missing" and "input" in error:
            line += f" (received: {short(error['input'])})"
        lines.append(line)
    return "; ".join(lines)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def validation(request: Request, error: RequestValidationError) -> JSONResponse:
        errors = [
            {
                **{k: v for k, v in item.items() if k not in ("url", "input", "ctx")},
                **({"input": _echo(item["input"])} if "input" in item else {}),
            }
            for item in error.errors()
        ]
        message = describe_validation_errors(error.errors())
        return _error(request, 422, message, jsonable_encoder(errors))

    @app.exception_handler(ServiceError)
    async def service(request: Request, error: ServiceError) -> JSONResponse:
        return _error(request, error.status_code, str(error), headers=error.headers)

    @app.exception_handler(store.NotFound)
    async def not_found(request: Request, error: store.NotFound) -> JSONResponse:
        return _error(request, 404, str(error))

    @app.exception_handler(store.IdempotencyMismatch)
    async def idempotency(request: Request, error: store.IdempotencyMismatch) -> JSONResponse:
        return _error(request, 422, str(error))

    @app.exception_handler(store.Conflict)
    async def conflict(request: Request, error: store.Conflict) -> JSONResponse:
        return _error(request, 409, str(error))

    @app.exception_handler(models_errors.InvalidUpload)
    async def invalid_upload(request: Request, error: models_errors.InvalidUpload):
        detail = [{"loc": ["body", error.field], "msg": str(error), "type": "invalid_upload"}]
        return _error(request, 422, str(error), detail)

    @app.exception_handler(models_errors.DatasetNotFound)
    async def dataset_not_found(request: Request, error: models_errors.DatasetNotFound):
        return _error(request, 404, str(error))

    @app.exception_handler(models_errors.DatasetExists)
    async def dataset_exists(request: Request, error: models_errors.DatasetExists):
        return _error(request, 409, str(error))

    @app.exception_handler(Exception)
    async def unexpected(request: Request, error: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return _error(request, 500, f"internal error: {type(error).__name__}; see the API log")

    @app.exception_handler(redis.RedisError)
    async def redis_down(request: Request, error: redis.RedisError) -> JSONResponse:
        # Outages, and refusals such as MISCONF (disk full) or READONLY: the store cannot
        # serve. Bad names never get this far (they are checked first).
        log.warning("Redis error on %s: %s", request.url.path, error)
        return _error(request, 503, f"the job store is unavailable, try again shortly ({error})")
