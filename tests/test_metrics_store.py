"""What /metrics reads from a real (embedded) Redis: jobs by state and epoch durations."""

from __future__ import annotations

import pytest

from trainserve.epoch_metrics import BUCKETS, epoch_key, read_epochs, record_epoch
from trainserve.store import STATUS_COUNTS_KEY, JobStore


def _set_status(store: JobStore, job_id: str, status: str) -> None:
    store.update(job_id, lambda job: job.update(status=status))


def test_counts_follow_every_change_of_state(store):
    ids = [store.create({"dataset": "digits"}, 1)["id"] for _ in range(4)]
    assert store.count_by_status()["queued"] == 4
    _set_status(store, ids[0], "running")
    _set_status(store, ids[0], "succeeded")
    _set_status(store, ids[1], "running")
    store.cancel(ids[2])
    store.update(ids[3], lambda job: job.update(note="same state"))
    assert store.count_by_status() == {
        "queued": 1,
        "running": 1,
        "succeeded": 1,
        "failed": 0,
        "cancelled": 1,
    }
    store.delete(ids[3])  # a job whose creation failed is not counted
    assert store.count_by_status()["queued"] == 0


def test_a_store_without_the_counts_is_counted_once_from_its_records(store, redis_client):
    ids = [store.create({"dataset": "digits"}, 1)["id"] for _ in range(3)]
    _set_status(store, ids[0], "failed")
    redis_client.delete(STATUS_COUNTS_KEY)  # as a store written before the counts existed
    _set_status(store, ids[1], "running")  # a change before the first scrape
    counts = store.count_by_status()
    assert (counts["queued"], counts["running"], counts["failed"]) == (1, 1, 1)
    assert redis_client.hget(STATUS_COUNTS_KEY, "complete") == b"1"
    _set_status(store, ids[2], "running")
    assert store.count_by_status()["running"] == 2


def test_epoch_durations_form_a_cumulative_histogram_per_device(store, redis_client):
    for seconds in (0.01, 0.3, 0.3, 4.0, 7200.0):
        record_epoch(redis_client, "cpu", seconds)
    record_epoch(redis_client, "gpu", 0.07)
    found = read_epochs(redis_client, ["cpu", "gpu", "tpu"])
    assert set(found) == {"cpu", "gpu"}
    cpu = dict(found["cpu"].buckets)
    assert len(cpu) == len(BUCKETS) and list(cpu)[-1] == "+Inf"
    assert (cpu["0.05"], cpu["0.25"], cpu["0.5"], cpu["5.0"], cpu["600.0"]) == (1, 1, 3, 4, 4)
    assert found["cpu"].count == cpu["+Inf"] == 5
    assert found["cpu"].sum == pytest.approx(7204.61)
    assert found["gpu"].count == 1 and dict(found["gpu"].buckets)["0.1"] == 1
    assert redis_client.exists(epoch_key("cpu"))
