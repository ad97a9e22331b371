"""The command line's parsing and error handling (no server: each call fails before HTTP)."""

import subprocess
import sys

import numpy as np
import pytest

from trainserve_client.cli import build_parser, main

NOWHERE = "http://127.0.0.1:9"  # nothing listens on the discard port


def test_global_options_go_before_or_after_the_command():
    before = build_parser().parse_args(["--url", "http://a", "--json", "jobs", "list"])
    after = build_parser().parse_args(["jobs", "list", "--url", "http://b", "--json"])
    neither = build_parser().parse_args(["jobs", "list"])
    assert (before.url, before.json) == ("http://a", True)
    assert (after.url, after.json) == ("http://b", True)
    assert (neither.url, neither.json) == (None, None)


def test_usage_errors_exit_2(capsys):
    with pytest.raises(SystemExit) as raised:
        main(["jobs", "frobnicate"])
    assert raised.value.code == 2
    with pytest.raises(SystemExit) as raised:
        main(["predict", "digits", "x.npy", "--version", "1", "--label", "stable"])
    assert raised.value.code == 2 and "not allowed with" in capsys.readouterr().err


def test_bad_input_files_exit_2_with_the_reason(tmp_path, capsys):
    np.save(tmp_path / "cube.npy", np.zeros((2, 2, 2)))
    assert main(["predict", "digits", str(tmp_path / "cube.npy"), "--url", NOWHERE]) == 2
    assert "expected rows of features" in capsys.readouterr().err
    assert main(["jobs", "submit", "--epochs", "2", "--url", NOWHERE]) == 2
    assert "give --dataset" in capsys.readouterr().err


def test_an_unreachable_server_exits_1_without_a_traceback():
    done = subprocess.run(
        [sys.executable, "-m", "trainserve_client", "--url", NOWHERE, "models", "list"],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "TRAINSERVE_API_KEY": "k" * 10},
    )
    assert done.returncode == 1 and done.stdout == ""
    assert "could not reach trainserve at http://127.0.0.1:9" in done.stderr
    assert "Traceback" not in done.stderr


def test_the_sdk_and_cli_import_nothing_of_the_server():
    probe = (
        "import sys, trainserve_client.cli; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & "
        "{'tensorflow', 'keras', 'trainserve', 'service', 'models', 'workers', 'fastapi'}))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.strip() == "[]", done.stderr
