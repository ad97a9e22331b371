"""Screenshots of the dashboard for the README: docs/dashboard.png and docs/dashboard-job.png.

    .venv/bin/python scripts/screenshot.py [--out docs]

Starts a throwaway `trainserve up` (its own home, port and embedded Redis), trains two
small `digits` jobs, labels the first version `stable`, makes a prediction in the page and
shoots it in headless Chromium (Debian's) at 1280x800.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from playwright.sync_api import Page, expect, sync_playwright

from trainserve.processes import free_port

KEY = "screenshot-key"
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]
JOBS = [
    {"hidden_layers": [64, 32], "optimizer": {"name": "sgd", "learning_rate": 0.05}},
    {"hidden_layers": [128, 64, 32], "optimizer": {"name": "adam", "learning_rate": 0.002}},
]


def start_stack(home: Path, port: int) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRAINSERVE_")}
    env.update(TRAINSERVE_HOME=str(home), TRAINSERVE_API_KEYS=KEY)
    up = [sys.executable, "-m", "trainserve.cli", "up", "--port", str(port)]
    process = subprocess.Popen(up, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.5)
    process.send_signal(signal.SIGINT)
    raise RuntimeError(f"trainserve up was not ready in 120 s (logs in {home}/logs)")


def train(api: httpx.Client) -> str:
    """Train the jobs one after the other; returns the last one's id."""
    for choices in JOBS:
        spec = {"dataset": "digits", "epochs": 15, "batch_size": 32, "model_name": "digits"}
        job = api.post("/jobs", json={**spec, **choices}).raise_for_status().json()
        while job["status"] in ("queued", "running"):
            time.sleep(0.5)
            job = api.get(f"/jobs/{job['id']}").json()
        if job["status"] != "succeeded":
            raise RuntimeError(f"job {job['id']} {job['status']}: {job['error']}")
    api.put("/models/digits/labels/stable", json={"version": 1}).raise_for_status()
    return job["id"]


def shoot(page: Page, base_url: str, job_id: str, out: Path) -> None:
    page.goto(base_url)
    page.fill("#key-input", KEY)
    page.click("#key-form button")
    expect(page.locator("#models tr")).to_have_count(3)
    page.select_option("#predict-model", "digits:stable")
    page.click("#predict-form button")
    expect(page.locator("#predict-result .class-name")).to_have_count(1)
    page.screenshot(path=out / "dashboard.png")
    page.goto(f"{base_url}/#/jobs/{job_id}")
    page.wait_for_function("document.querySelector('#job-report').naturalWidth > 0")
    page.screenshot(path=out / "dashboard-job.png", full_page=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="trainserve-shot-") as home:
        stack = start_stack(Path(home), port)
        try:
            headers = {"Authorization": f"Bearer {KEY}"}
            with httpx.Client(base_url=base_url, headers=headers, timeout=30) as api:
                job_id = train(api)
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
                )
                page = browser.new_page(viewport={"width": 1280, "height": 800})
                shoot(page, base_url, job_id, args.out)
                browser.close()
        finally:
            stack.send_signal(signal.SIGINT)
            stack.wait(60)
    print(f"wrote {args.out / 'dashboard.png'} and {args.out / 'dashboard-job.png'}")


if __name__ == "__main__":
    main()
