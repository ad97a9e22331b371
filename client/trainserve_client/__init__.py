"""Python SDK for trainserve.

>>> from trainserve_client import Client
>>> with Client("http://127.0.0.1:8000") as client:
...     job = client.submit({"dataset": "digits", "epochs": 5})
...     job = client.wait(job.id, on_progress=print)
...     client.predict(job.model.name, [[0.0] * 64]).labels
"""

from trainserve_client._client import Client
from trainserve_client._exceptions import (
    APIError,
    AuthenticationError,
    ConflictError,
    JobFailed,
    NotFoundError,
    PermissionDenied,
    TrainserveError,
    UnavailableError,
    ValidationError,
    WaitTimeout,
)
from trainserve_client._types import Job, ModelRef, Prediction, PredictResult

__all__ = [
    "APIError",
    "AuthenticationError",
    "ConflictError",
    "PermissionDenied",
    "Client",
    "Job",
    "JobFailed",
    "ModelRef",
    "NotFoundError",
    "Prediction",
    "PredictResult",
    "TrainserveError",
    "UnavailableError",
    "ValidationError",
    "WaitTimeout",
]
