"""The dashboard at `/`, driven in headless Chromium (Debian's) through Playwright."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.integration.conftest import ADMIN_KEY, PREDICT_KEY, SCRATCH

pytestmark = pytest.mark.integration

CHROMIUM = "/usr/bin/chromium"  # Debian's package (scripts/setup installs it)
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
]
EPOCHS = 4
SPEC = {**SCRATCH, "epochs": EPOCHS, "model_name": "dashboard"}


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, stack) -> Iterator[Page]:
    """A fresh page (empty localStorage) that records console errors in `page.errors`."""
    context = browser.new_context(base_url=stack.base_url, viewport={"width": 1280, "height": 800})
    context.set_default_timeout(20_000)
    tab = context.new_page()
    tab.errors = []
    tab.on("console", lambda m: tab.errors.append(m.text) if m.type == "error" else None)
    tab.on("pageerror", lambda error: tab.errors.append(str(error)))
    yield tab
    context.close()


def sign_in(page: Page, key: str) -> None:
    page.goto("/")
    expect(page.locator("#key-view")).to_be_visible()
    page.fill("#key-input", key)
    page.click("#key-form button")


def test_page_and_assets_are_served_without_a_key(stack):
    page = httpx.get(f"{stack.base_url}/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert '<script type="module" src="/static/app.js">' in page.text
    script = httpx.get(f"{stack.base_url}/static/app.js")
    assert script.status_code == 200 and "javascript" in script.headers["content-type"]
    assert httpx.get(f"{stack.base_url}/static/nothing.js").status_code == 404
    assert httpx.get(f"{stack.base_url}/static/..%2Fapp.py").status_code == 404
    # The page holds no data: the data stays behind the key, and `/` shadows nothing.
    assert httpx.get(f"{stack.base_url}/jobs").status_code == 401
    assert httpx.get(f"{stack.base_url}/healthz").json() == {"status": "ok"}
    assert httpx.get(f"{stack.base_url}/docs").status_code == 200


def test_train_watch_and_predict_from_the_browser(page, api):
    sign_in(page, ADMIN_KEY)
    expect(page.locator("#home-view")).to_be_visible()

    page.fill("#submit-spec", json.dumps(SPEC))
    page.click("#submit-form button")
    link = page.locator("#submit-result a")
    expect(link).to_be_visible()
    job_id = link.get_attribute("href").removeprefix("#/jobs/")
    row = page.locator(f'#jobs tr[data-job="{job_id}"]')
    expect(row).to_be_visible()
    expect(row).to_have_attribute("data-status", "succeeded", timeout=300_000)
    job = api.get(f"/jobs/{job_id}").json()
    assert job["status"] == "succeeded" and len(job["history"]) == EPOCHS

    row.locator("a").click()
    expect(page.locator("#job-view")).to_be_visible()
    expect(page.locator("#job-status")).to_have_text("succeeded")
    for chart in ("loss", "accuracy"):
        for series in (chart, f"val_{chart}"):
            dots = page.locator(f'svg[data-chart="{chart}"] g[data-series="{series}"] circle')
            expect(dots).to_have_count(EPOCHS)
    report = page.locator("#job-report")
    expect(report).to_have_attribute("src", re.compile(r"^blob:"))
    page.wait_for_function("document.querySelector('#job-report').naturalWidth > 0")
    version = job["model"]["version"]
    expect(page.locator("#job-facts")).to_contain_text(f"dashboard:{version}")

    page.click("text=all jobs")
    model_row = page.locator(f'#models tr[data-model="dashboard"][data-version="{version}"]')
    expect(model_row.locator(".label")).to_have_text(["latest"])

    page.select_option("#predict-model", "dashboard")
    rows = json.loads(page.input_value("#predict-rows"))
    page.click("#predict-form button")
    shown = page.locator("#predict-result .class-name")
    expect(shown).to_have_count(1)
    expected = api.post("/predict", json={"model": "dashboard", "instances": rows, "top_k": 1})
    assert shown.text_content() == expected.json()["predictions"][0]["top_k"][0]["class_name"]

    page.reload()  # the key was kept: no key box the second time
    expect(page.locator("#home-view")).to_be_visible()
    expect(page.locator("#key-view")).to_be_hidden()
    assert page.errors == []


def test_a_wrong_key_brings_back_the_key_box(page):
    sign_in(page, "not-a-key")
    expect(page.locator("#key-error")).to_contain_text("not valid")
    expect(page.locator("#home-view")).to_be_hidden()
    # A key that stops working (revoked, or mistyped in storage) also brings the box back.
    page.evaluate("localStorage.setItem('trainserve.apiKey', 'revoked-key')")
    page.reload()
    expect(page.locator("#key-error")).to_contain_text("refused")
    assert page.evaluate("localStorage.getItem('trainserve.apiKey')") is None


def test_errors_are_shown_as_text(page):
    sign_in(page, ADMIN_KEY)
    page.fill("#submit-spec", json.dumps({"dataset": "<b>bold</b>"}))
    page.click("#submit-form button")
    error = page.locator("#submit-error")
    expect(error).to_contain_text("dataset")
    expect(error).to_contain_text("<b>bold</b>")  # the API echoes it; the page shows it as text
    assert error.locator("b").count() == 0
    page.fill("#submit-spec", "{not json")
    page.click("#submit-form button")
    expect(error).to_contain_text("not valid JSON")

    page.click("#forget-key")
    sign_in(page, PREDICT_KEY)  # may read models and predict, not train
    expect(page.locator("#jobs-error")).to_contain_text("may not train")
    expect(page.locator("#key-view")).to_be_hidden()
    # The browser logs the refused requests themselves; nothing else may be logged.
    assert all("status of 422" in e or "status of 403" in e for e in page.errors), page.errors
