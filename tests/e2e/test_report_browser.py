"""The exported report, opened offline in headless Chromium: it renders, and loads nothing.

Needs Debian's ``chromium`` at /usr/bin/chromium. Without it the test is skipped with a
message, except under CI (``CI`` set), where a missing browser is a failure.
"""

import os
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
MIN_FIGURES = 6
RENDER_TIMEOUT_MS = 60_000


@pytest.fixture(scope="session")
def chromium() -> Path:
    """The browser, or a skip (a failure under CI) saying why there is none."""
    problem = None
    if not CHROMIUM.is_file():
        problem = f"{CHROMIUM} not found (install Debian's chromium package)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            problem = "playwright is not installed (pip install -e '.[test]')"
    if problem:
        if os.environ.get("CI"):
            pytest.fail(f"browser test cannot run under CI: {problem}")
        pytest.skip(f"browser test skipped: {problem}")
    return CHROMIUM


def open_offline(chromium: Path, page_path: Path) -> dict:
    """Open ``page_path`` from a file:// URL with the network off; every non-file request is
    aborted and counted. Returns what the page did once every figure has rendered."""
    from playwright.sync_api import sync_playwright

    seen = {"external": [], "page_errors": [], "console_errors": []}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(offline=True)

            def route(r):
                if r.request.url.startswith("file:"):
                    r.continue_()
                else:
                    seen["external"].append(r.request.url)
                    r.abort()

            context.route("**/*", route)
            page = context.new_page()
            page.on("pageerror", lambda exc: seen["page_errors"].append(str(exc)))
            page.on("console", lambda msg: seen["console_errors"].append(msg.text) if msg.type == "error" else None)
            page.goto(page_path.resolve().as_uri(), wait_until="load")
            page.wait_for_function(
                "() => { const divs = document.querySelectorAll('.plotly-graph-div');"
                " return divs.length > 0 && [...divs].every(d => d.querySelector('svg.main-svg')); }",
                timeout=RENDER_TIMEOUT_MS,
            )
            seen["figures"] = page.locator(".plotly-graph-div").count()
            seen["rendered"] = page.locator(".plotly-graph-div:has(svg.main-svg)").count()
            seen["verdicts_before_first_figure"] = page.evaluate(
                "() => { const v = document.querySelector('.seams-verdict-block');"
                " const f = document.querySelector('.plotly-graph-div');"
                " return !!(v && f && (v.compareDocumentPosition(f) & Node.DOCUMENT_POSITION_FOLLOWING)); }"
            )
        finally:
            browser.close()
    return seen


def test_report_renders_offline_without_errors(chromium, sample_run):
    seen = open_offline(chromium, sample_run.html)
    assert seen["external"] == [], "the report tried to load external resources"
    assert seen["page_errors"] == []
    assert seen["console_errors"] == []
    assert seen["figures"] >= MIN_FIGURES
    assert seen["rendered"] == seen["figures"]
    assert seen["verdicts_before_first_figure"]
