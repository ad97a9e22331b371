"""What ``wait`` does with each job record it polls, shared by the sync and async clients."""

from __future__ import annotations

import time

from trainserve_client._exceptions import JobFailed, WaitTimeout
from trainserve_client._types import Job


class Waiter:
    """Tells when a polled job has progressed, and when waiting is over."""

    def __init__(self, job_id: str, timeout: float, raise_on_failure: bool):
        self.job_id, self.timeout, self.raise_on_failure = job_id, timeout, raise_on_failure
        self.deadline = time.monotonic() + timeout
        self.seen: tuple[str, int] | None = None

    def progressed(self, job: Job) -> bool:
        """Whether the status or the epoch changed since the last record."""
        changed = (job.status, job.epoch) != self.seen
        self.seen = (job.status, job.epoch)
        return changed

    def done(self, job: Job) -> bool:
        """True once the job finished; raises if it failed or the time is up."""
        if job.finished:
            if self.raise_on_failure and job.status != "succeeded":
                raise JobFailed(job)
            return True
        if time.monotonic() >= self.deadline:
            raise WaitTimeout(f"job {self.job_id} still {job.status} after {self.timeout:.0f} s")
        return False
