"""Python SDK for trainserve.

>>> from trainserve_client import Client
>>> with Client("http://127.0.0.1:8000") as client:
...     job = client.submit({"dataset": "digits", "epochs": 5})
...     job = client.wait(job.id, on_progress=print)
...     client.predict(job.model.name, np.zeros((1, 64))).probabilities

``AsyncClient`` has the same methods, to be awaited.
"""

from trainserve_client._async import AsyncClient
from trainserve_client._client import Client
from trainserve_client._exceptions import (
    APIError,
    AuthenticationError,
    ConflictError,
    ConnectionFailed,
    JobFailed,
    NotFoundError,
    PermissionDenied,
    TrainserveError,
    UnavailableError,
    ValidationError,
    WaitTimeout,
)
from trainserve_client._retry import Retry
from trainserve_client._types import (
    Dataset,
    Health,
    Job,
    Model,
    ModelRef,
    ModelVersion,
    Prediction,
    PredictResult,
)

__all__ = [
    "APIError",
    "AsyncClient",
    "AuthenticationError",
    "Client",
    "ConflictError",
    "ConnectionFailed",
    "Dataset",
    "Health",
    "Job",
    "JobFailed",
    "Model",
    "ModelRef",
    "ModelVersion",
    "NotFoundError",
    "PermissionDenied",
    "Prediction",
    "PredictResult",
    "Retry",
    "TrainserveError",
    "UnavailableError",
    "ValidationError",
    "WaitTimeout",
]
