"""One Idempotency-Key makes at most one job, even when its first request is slow."""

from __future__ import annotations

import pytest

from trainserve.store import ClaimLost

SPEC = {"dataset": "digits"}


def test_a_slow_first_request_whose_key_was_given_up_creates_nothing(store):
    slow_id, claimed = store.claim_idempotency_key("key-1", "body")
    assert claimed
    # A retry waited too long for the slow request's job and gave its key up...
    store.release_idempotency_key("key-1", slow_id)
    retry_id, claimed = store.claim_idempotency_key("key-1", "body")
    assert claimed and retry_id != slow_id
    store.create(SPEC, 1, retry_id, idempotency_key="key-1")
    # ...so when the slow request finally writes, it must not make a second job.
    with pytest.raises(ClaimLost, match="Idempotency-Key"):
        store.create(SPEC, 1, slow_id, idempotency_key="key-1")
    items, total = store.list(0, 10)
    assert total == 1 and items[0]["id"] == retry_id
    assert store.claim_idempotency_key("key-1", "body") == (retry_id, False)


def test_a_key_is_only_released_for_the_job_it_stands_for(store):
    job_id, _ = store.claim_idempotency_key("key-2", "body")
    store.release_idempotency_key("key-2", "0" * 32)  # a stale release
    assert store.claim_idempotency_key("key-2", "body") == (job_id, False)
    store.release_idempotency_key("key-2", job_id)
    assert store.claim_idempotency_key("key-2", "body")[1] is True
