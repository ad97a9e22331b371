"""Exceptions raised by the SDK.

TrainserveError
 ├── APIError                  the server answered with an error status
 │    ├── AuthenticationError  401: no API key, or an unknown one
 │    ├── PermissionDenied     403: the key's scope does not allow this
 │    ├── ValidationError      422 (also 400, 413): refused; ``message`` says why
 │    ├── NotFoundError        404: unknown job, model or version
 │    ├── ConflictError        409: e.g. cancelling a finished job
 │    └── UnavailableError     503: the service cannot serve right now
 ├── ConnectionFailed       no answer from the server (after the retries)
 ├── JobFailed              ``wait`` saw the job end failed or cancelled
 └── WaitTimeout            ``wait`` gave up before the job finished
"""

from __future__ import annotations

from typing import Any


class TrainserveError(Exception):
    """Base class of every SDK error."""


class APIError(TrainserveError):
    def __init__(self, status_code: int, message: str, detail: Any = None):
        super().__init__(f"{status_code}: {message}")
        self.status_code, self.message, self.detail = status_code, message, detail


class AuthenticationError(APIError):
    pass


class PermissionDenied(APIError):
    pass


class ValidationError(APIError):
    pass


class ConflictError(APIError):
    pass


class NotFoundError(APIError):
    pass


class UnavailableError(APIError):
    pass


class ConnectionFailed(TrainserveError):
    """The server could not be reached, or the connection broke, after every retry."""


class JobFailed(TrainserveError):
    def __init__(self, job: Any):
        super().__init__(f"job {job.id} ended {job.status}: {job.error}")
        self.job = job


class WaitTimeout(TrainserveError):
    pass


def error_for(status_code: int, body: Any) -> APIError:
    if isinstance(body, dict):
        message, detail = body.get("message") or str(body.get("detail")), body.get("detail")
    else:
        message, detail = str(body), None
    kind = {
        400: ValidationError,
        401: AuthenticationError,
        403: PermissionDenied,
        404: NotFoundError,
        409: ConflictError,
        413: ValidationError,
        422: ValidationError,
        503: UnavailableError,
    }.get(status_code, APIError)
    return kind(status_code, message, detail)
