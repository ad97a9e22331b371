"""docker-compose.yml parses and runs only commands the CLI has (no Docker engine here)."""

from pathlib import Path

import yaml

from trainserve.cli import build_parser

ROOT = Path(__file__).resolve().parents[1]


def _compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def _cli_commands() -> set[str]:
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    return set(sub.choices)


def test_compose_has_redis_api_and_cpu_and_gpu_workers_on_one_artifacts_volume():
    services = _compose()["services"]
    assert {"redis", "api", "worker", "worker-gpu"} <= set(services)
    for name in ("api", "worker", "worker-gpu"):
        assert "artifacts:/var/lib/trainserve" in services[name]["volumes"]
        assert services[name]["environment"]["TRAINSERVE_REDIS_URL"] == "redis://redis:6379/0"
        assert services[name]["depends_on"]["redis"]["condition"] == "service_healthy"
    assert "artifacts" in _compose()["volumes"]


def test_redis_keeps_an_append_only_file_and_has_a_healthcheck():
    redis = _compose()["services"]["redis"]
    assert "--appendonly yes" in redis["command"] and "noeviction" in redis["command"]
    assert "redis-cli" in redis["healthcheck"]["test"]


def test_gpu_worker_reserves_an_nvidia_device_and_takes_the_cuda_build():
    gpu = _compose()["services"]["worker-gpu"]
    device = gpu["deploy"]["resources"]["reservations"]["devices"][0]
    assert device["driver"] == "nvidia" and "gpu" in device["capabilities"]
    assert "and-cuda" in gpu["build"]["args"]["TENSORFLOW"]


def test_every_service_command_is_a_cli_command_that_parses():
    parser = build_parser()
    for name, service in _compose()["services"].items():
        command = service.get("command")
        if name in ("redis", "flower"):  # images of their own
            continue
        assert command[0] == "trainserve" and command[1] in _cli_commands()
        parser.parse_args(command[1:])  # exits (fails the test) on an unknown option
    dockerfile_cmd = (ROOT / "Dockerfile").read_text().split("CMD", 1)[1]
    assert '"trainserve", "api"' in dockerfile_cmd


def test_the_api_service_demands_api_keys_from_the_environment():
    api = _compose()["services"]["api"]
    assert api["environment"]["TRAINSERVE_API_KEYS"].startswith("${TRAINSERVE_API_KEYS:?")


def test_importing_the_api_and_the_worker_app_does_not_start_tensorflow():
    # TensorFlow is not fork-safe: the worker's main process must not import it, and the
    # API imports it lazily. A subprocess gives a clean interpreter.
    import subprocess
    import sys

    code = (
        "import sys, service.app, workers.tasks, workers.reconciler, trainserve.cli; "
        "print('tensorflow' in sys.modules, 'keras' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    ).stdout.strip()
    assert out == "False False"


def test_workers_serve_the_queue_of_their_device():
    services = _compose()["services"]
    assert services["worker"]["command"][2:4] == ["--device", "cpu"]
    assert services["worker-gpu"]["command"][2:4] == ["--device", "gpu"]
    assert services["worker-gpu"]["environment"]["CUDA_VISIBLE_DEVICES"] == "0"


def test_flower_watches_the_celery_broker_on_localhost_5555():
    services = _compose()["services"]
    flower = services["flower"]
    assert flower["image"].startswith("mher/flower:")
    broker = services["api"]["environment"]["TRAINSERVE_REDIS_URL"]
    assert flower["command"][0] == "celery" and f"--broker={broker}" in flower["command"]
    assert flower["command"][flower["command"].index("flower") + 1] == "--port=5555"
    assert flower["ports"] == ["127.0.0.1:5555:5555"]  # it can stop workers: not public
    assert flower["depends_on"]["redis"]["condition"] == "service_healthy"
