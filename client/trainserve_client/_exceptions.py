"""Exceptions raised by the SDK.

TrainserveError
 ├── APIError               the server answered with an error status
 │    ├── ValidationError   422: the request was refused; ``message`` says why
 │    ├── NotFoundError     404: unknown job, model or version
 │    └── UnavailableError  503: the service cannot serve right now
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


class ValidationError(APIError):
    pass


class NotFoundError(APIError):
    pass


class UnavailableError(APIError):
    pass


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
        422: ValidationError,
        400: ValidationError,
        404: NotFoundError,
        503: UnavailableError,
    }.get(status_code, APIError)
    return kind(status_code, message, detail)
