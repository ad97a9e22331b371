import os

import pytest

# Keep TensorFlow's start-up chatter out of test output.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


@pytest.fixture(scope="module")
def redis_client(tmp_path_factory):
    """A real Redis (the embedded one) of the test module's own, on a free port."""
    import redis

    from trainserve.processes import free_port
    from trainserve.redis_server import EmbeddedRedis

    server = EmbeddedRedis(tmp_path_factory.mktemp("redis"), free_port()).start()
    client = redis.Redis.from_url(server.url)
    yield client
    client.close()
    server.stop()


@pytest.fixture
def store(redis_client):
    """A job store on an emptied ``redis_client``."""
    from trainserve.store import JobStore

    redis_client.flushdb()
    return JobStore(redis_client)
