"""How the CLI shows results: the lines and tables people read, the JSON scripts read."""

import io
import json

from rich.console import Console

from trainserve_client import Job, Model, PredictResult
from trainserve_client._render import (
    epoch_line,
    health_text,
    jobs_table,
    model_table,
    outcome_text,
    predictions_table,
    to_json,
)
from trainserve_client.cli import Output

EPOCH = {
    "epoch": 2,
    "loss": 0.51234,
    "accuracy": 0.875,
    "val_loss": 0.4,
    "val_accuracy": 0.9,
    "seconds": 0.42,
    "verdict": ["healthy"],
}
HEALTH = {
    "epoch": 2,
    "verdict": ["vanishing"],
    "initial_verdict": ["healthy"],
    "problems_seen": ["vanishing", "saturated"],
    "gradient_ratio": 0.000123,
}


def _job(**extra):
    body = {
        "id": "a" * 32,
        "status": "succeeded",
        "spec": {"dataset": "digits"},
        "progress": {"epoch": 2, "epochs": 2},
        "history": [EPOCH],
        "metrics": {"test_accuracy": 0.9444, "test_loss": 0.2},
        "model": {"name": "digits", "version": 3},
        "error": None,
        "health": HEALTH,
        "created_at": "2025-01-02T03:04:05.678Z",
    }
    return Job.from_json({**body, **extra})


def _text(renderable) -> str:
    console = Console(width=160, record=True, file=io.StringIO())
    console.print(renderable)
    return console.export_text()


def test_an_epoch_line_reads_like_keras():
    assert epoch_line(EPOCH, 8) == (
        "epoch   2/8  loss 0.5123  accuracy 0.8750  val_loss 0.4000  val_accuracy 0.9000"
        "  (0.4 s)  healthy"
    )
    no_validation = {**EPOCH, "val_loss": None, "val_accuracy": None, "verdict": None}
    assert "val_" not in epoch_line(no_validation, 8)


def test_the_verdict_names_the_problems_and_the_ratio():
    text = health_text(_job())
    assert text.startswith("Gradient health: vanishing at epoch 2")
    assert "0.000123" in text and "before training: healthy" in text
    assert "problems seen: vanishing, saturated" in text
    assert "no report" in health_text(_job(health=None))


def test_the_outcome_says_how_the_job_ended():
    assert outcome_text(_job()).endswith(
        "succeeded: test accuracy 0.9444 (loss 0.2000); published as digits:3"
    )
    failed = _job(status="failed", error="no data", metrics=None, model=None)
    assert outcome_text(failed) == f"Job {'a' * 32} failed: no data"


def test_tables_show_each_job_and_version():
    text = _text(
        jobs_table([_job(), _job(id="b" * 32, status="running", metrics=None, model=None)])
    )
    assert "a" * 32 in text and "b" * 32 in text and "0.9444" in text and "digits:3" in text
    model = Model.from_json(
        {
            "name": "digits",
            "latest_version": 2,
            "labels": {"latest": 2, "stable": 1},
            "versions": [
                {
                    "version": v,
                    "job_id": f"job{v}",
                    "created_at": "2025-01-01T00:00:00Z",
                    "dataset": "digits",
                    "n_features": 64,
                    "n_classes": 10,
                    "class_names": [str(i) for i in range(10)],
                    "metrics": {"test_accuracy": 0.9 + v / 100, "test_loss": 0.3},
                    "labels": ["stable"] if v == 1 else ["latest"],
                }
                for v in (1, 2)
            ],
        }
    )
    text = _text(model_table(model))
    assert "stable" in text and "0.9100" in text and "0.9200" in text and "job2" in text


def test_predictions_show_the_class_its_name_and_probabilities():
    result = PredictResult.from_json(
        {
            "model": {"name": "digits", "version": 1},
            "predictions": [
                {
                    "label": 1,
                    "probabilities": [0.25, 0.75],
                    "top_k": [{"label": 1, "class_name": "one", "probability": 0.75}],
                }
            ],
        }
    )
    text = _text(predictions_table(result))
    assert "digits:1" in text and "one" in text and "0.250 0.750" in text
    assert result.probabilities.shape == (1, 2) and result.label_array.tolist() == [1]


def test_json_output_is_the_apis_json_and_nothing_else(capsys):
    Output(as_json=True).show([_job()], jobs_table)
    printed = capsys.readouterr().out
    assert json.loads(printed)[0]["id"] == "a" * 32
    assert json.loads(to_json(_job()))["health"]["verdict"] == ["vanishing"]
