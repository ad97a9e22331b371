"""Retries with backoff: the policy alone, then the clients against canned answers."""

import asyncio

import httpx
import pytest

from trainserve_client import (
    AsyncClient,
    Client,
    ConflictError,
    ConnectionFailed,
    Retry,
    UnavailableError,
)
from trainserve_client._retry import Retry as RetryPolicy

NO_WAIT = Retry(attempts=5, backoff=0)


def _job(job_id="j1", status="queued"):
    return {
        "id": job_id,
        "status": status,
        "spec": {"dataset": "digits"},
        "progress": {"epoch": 0, "epochs": 2},
        "history": [],
        "metrics": None,
        "model": None,
        "error": None,
    }


def _flaky(failures, answer, seen):
    """A handler that fails ``failures`` times (503, or an exception to raise), then answers."""
    failures = list(failures)

    def handler(request):
        seen.append(request)
        if failures:
            failure = failures.pop(0)
            if isinstance(failure, Exception):
                raise failure
            return httpx.Response(failure, json={"message": "busy", "detail": None})
        return httpx.Response(200, json=answer)

    return handler


def test_the_backoff_doubles_up_to_its_cap():
    policy = RetryPolicy(attempts=10, backoff=0.5, multiplier=2, max_backoff=3, jitter=0)
    assert [policy.delay(n) for n in range(1, 6)] == [0.5, 1.0, 2.0, 3.0, 3.0]


def test_jitter_only_ever_lengthens_a_wait_by_its_share():
    policy = RetryPolicy(backoff=1.0, jitter=0.1)
    delays = [policy.delay(1) for _ in range(200)]
    assert all(1.0 <= d <= 1.1 for d in delays) and len(set(delays)) > 1


def test_only_safe_calls_are_retried_once_the_server_may_have_acted():
    policy = RetryPolicy(jitter=0)
    busy = httpx.Response(503)
    assert policy.next_delay(1, True, busy) == 0.2
    assert policy.next_delay(1, False, busy) is None
    assert policy.next_delay(1, True, httpx.Response(500)) is None
    assert policy.next_delay(1, True, error=httpx.ReadTimeout("slow")) == 0.2
    assert policy.next_delay(1, False, error=httpx.ReadTimeout("slow")) is None
    # Never connected: nothing was sent, so even an unsafe call may go again.
    assert policy.next_delay(1, False, error=httpx.ConnectError("refused")) == 0.2
    assert policy.next_delay(5, True, busy) is None  # the fifth try was the last


@pytest.mark.parametrize("attempts", [0, -1])
def test_a_policy_needs_at_least_one_try(attempts):
    with pytest.raises(ValueError, match="attempts"):
        RetryPolicy(attempts=attempts)


def test_a_503_is_retried_until_the_answer_comes():
    seen = []
    assert _client([503, 503], _job(), seen).get("j1").id == "j1" and len(seen) == 3


def _client(failures, answer, seen, retry=NO_WAIT) -> Client:
    return Client(
        "http://t", retry=retry, transport=httpx.MockTransport(_flaky(failures, answer, seen))
    )


def test_retries_are_bounded_and_end_with_the_typed_error():
    seen = []
    with pytest.raises(UnavailableError):
        _client([503] * 10, _job(), seen, Retry(attempts=3, backoff=0)).get("j1")
    assert len(seen) == 3
    seen.clear()
    with pytest.raises(ConnectionFailed, match="could not reach"):
        _client([httpx.ConnectError("refused")] * 10, _job(), seen).get("j1")
    assert len(seen) == 5


def test_a_retried_submission_sends_one_idempotency_key():
    seen = []
    client = _client([503, httpx.ReadTimeout("lost answer")], _job(), seen)
    client.submit({"dataset": "digits"})
    keys = {request.headers["idempotency-key"] for request in seen}
    assert len(seen) == 3 and len(keys) == 1
    client.submit({"dataset": "digits"})
    assert seen[-1].headers["idempotency-key"] not in keys  # a new submission, a new key


def test_cancel_is_not_repeated_after_a_503_but_is_after_a_refused_connection():
    seen = []
    with pytest.raises(UnavailableError):
        _client([503], _job(status="cancelled"), seen).cancel("j1")
    assert len(seen) == 1
    seen.clear()
    refused_once = _client([httpx.ConnectError("refused")], _job(status="cancelled"), seen)
    assert refused_once.cancel("j1").status == "cancelled" and len(seen) == 2


def test_other_errors_are_not_retried():
    seen = []
    with pytest.raises(ConflictError):
        _client([409], _job(), seen).get("j1")
    assert len(seen) == 1


def test_the_async_client_retries_the_same_way():
    seen = []
    handler = _flaky([503, httpx.ConnectError("refused")], _job(), seen)

    async def go():
        transport = httpx.MockTransport(handler)
        async with AsyncClient("http://t", retry=NO_WAIT, transport=transport) as client:
            job = await client.submit({"dataset": "digits"})
        return job

    assert asyncio.run(go()).id == "j1"
    assert len(seen) == 3 and len({r.headers["idempotency-key"] for r in seen}) == 1
