import json

import pytest

from trainserve.registry import ModelSnapshot
from trainserve.store import ModelNotFound


def _snapshot(labels=None):
    versions = {str(v).encode(): json.dumps({"version": v}).encode() for v in (1, 2, 5)}
    return ModelSnapshot.from_redis(
        "m", versions, {k.encode(): str(v).encode() for k, v in (labels or {}).items()}
    )


def test_latest_is_the_highest_version():
    snapshot = _snapshot()
    assert snapshot.latest == 5 and snapshot.resolve()["version"] == 5
    assert snapshot.resolve(label="latest")["version"] == 5


def test_versions_and_labels_resolve():
    snapshot = _snapshot({"stable": 2})
    assert snapshot.resolve(1)["version"] == 1
    assert snapshot.resolve(label="stable")["version"] == 2
    assert snapshot.all_labels() == {"latest": 5, "stable": 2}


def test_unknown_versions_labels_and_models_say_what_exists():
    snapshot = _snapshot({"stable": 2})
    with pytest.raises(ModelNotFound, match="no version 3; it has: 1, 2, 5"):
        snapshot.resolve(3)
    with pytest.raises(ModelNotFound, match="no label 'beta'; it has: latest, stable"):
        snapshot.resolve(label="beta")
    with pytest.raises(ModelNotFound, match="no model named 'x'"):
        ModelSnapshot.from_redis("x", {}, {})
