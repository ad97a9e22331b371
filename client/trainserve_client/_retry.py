"""When to retry a request, and how long to wait first (pure: no I/O, no clock)."""

from __future__ import annotations

import random
from dataclasses import dataclass

import httpx

# Raised before a byte of the request left this machine: retrying cannot repeat an effect.
NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout)


@dataclass(frozen=True)
class Retry:
    """Retries on 503 and on connection errors, with exponential backoff.

    Only requests that are safe to repeat are retried after they may have reached the
    server: reads, label updates, predictions, and job submissions (the client gives each
    submission an idempotency key, so a retry returns the same job). Other requests
    (cancel, deletes, uploads) are retried only when the connection was never made.

    Args:
        attempts: tries in all, the first included (1 turns retrying off).
        backoff: seconds before the second try; each later wait is ``multiplier`` times
            longer, up to ``max_backoff``.
        jitter: each wait is stretched by a random share up to this, so many clients
            retrying together spread out.
    """

    attempts: int = 5
    backoff: float = 0.2
    multiplier: float = 2.0
    max_backoff: float = 5.0
    jitter: float = 0.1

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError(f"Retry(attempts=...) must be at least 1; received {self.attempts}")
        if self.backoff < 0 or self.max_backoff < 0 or self.multiplier < 1 or self.jitter < 0:
            raise ValueError(
                "Retry: expected backoff >= 0, max_backoff >= 0, multiplier >= 1 and "
                f"jitter >= 0; received {self}"
            )

    def delay(self, attempt: int) -> float:
        """Seconds to wait after failed try number ``attempt`` (1 for the first)."""
        base = min(self.backoff * self.multiplier ** (attempt - 1), self.max_backoff)
        return base * (1 + self.jitter * random.random())

    def retryable(
        self,
        safe: bool,
        response: httpx.Response | None = None,
        error: Exception | None = None,
    ) -> bool:
        """Whether this outcome (a response, or a transport error) may be tried again."""
        if error is not None:
            return isinstance(error, NOT_SENT) or (safe and isinstance(error, httpx.TransportError))
        return safe and response is not None and response.status_code == 503

    def next_delay(
        self,
        attempt: int,
        safe: bool,
        response: httpx.Response | None = None,
        error: Exception | None = None,
    ) -> float | None:
        """Seconds to wait before trying again, or None when this outcome is final."""
        if attempt >= self.attempts or not self.retryable(safe, response, error):
            return None
        return self.delay(attempt)
