"""The exported report, read in headless Chromium with the network off, on the sample and on
a 30-context monolith: it renders without errors and loads nothing; the first screen answers
the question within one 1280×1000 screen; nothing is wider than the viewport; no two text
labels of a figure overlap; every piece of evidence that is not measured says so; no absolute
path of the machine is in the page. Screenshots go to ``tests/output/`` (or
``$SEAMS_TEST_OUTPUT``) for a reviewer.

Needs Debian's ``chromium`` at /usr/bin/chromium. Without it the tests are skipped with a
message, except under CI (``CI`` set), where a missing browser is a failure.
"""

from __future__ import annotations

import html
import os
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
VIEWPORT = {"width": 1280, "height": 1000}
MIN_FIGURES = 6
RENDER_TIMEOUT_MS = 60_000
#: The exported page's size limit for a 30-context monolith.
MAX_HTML_BYTES = 10 * 1024 * 1024
OUTPUT = Path(os.environ.get("SEAMS_TEST_OUTPUT") or Path(__file__).resolve().parents[1] / "output")

#: Every pair of visible, non-empty SVG text elements of one figure whose boxes intersect.
OVERLAPS_JS = r"""() => {
  const out = [];
  document.querySelectorAll('.plotly-graph-div').forEach((div, n) => {
    const title = ((div.querySelector('.gtitle') || {}).textContent || ('figure ' + n)).trim();
    const boxes = [...div.querySelectorAll('svg text')]
      .filter(t => t.textContent.trim() && getComputedStyle(t).opacity !== '0' && getComputedStyle(t).display !== 'none')
      .map(t => { const r = t.getBoundingClientRect(); return {t: t.textContent.trim(), x0: r.left, y0: r.top, x1: r.right, y1: r.bottom}; })
      .filter(b => b.x1 - b.x0 > 0 && b.y1 - b.y0 > 0);
    for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
      const a = boxes[i], b = boxes[j];
      const w = Math.min(a.x1, b.x1) - Math.max(a.x0, b.x0), h = Math.min(a.y1, b.y1) - Math.max(a.y0, b.y0);
      if (w > 1 && h > 1) out.push(title + ': "' + a.t + '" and "' + b.t + '"');
    }
  });
  return out;
}"""

#: Elements reaching past the viewport's right edge, outside any element that scrolls.
TOO_WIDE_JS = r"""(width) => {
  const scrolls = el => { for (let e = el.parentElement; e; e = e.parentElement) {
    const o = getComputedStyle(e).overflowX; if (o === 'auto' || o === 'scroll' || o === 'hidden') return true; } return false; };
  return [...document.querySelectorAll('body *')]
    .filter(e => e.getBoundingClientRect().right > width + 1 && e.getBoundingClientRect().width > 0 && !scrolls(e))
    .slice(0, 10).map(e => e.tagName + '.' + e.className);
}"""


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


def read_in_browser(chromium: Path, page_path: Path, name: str) -> dict:
    """Open ``page_path`` from a file:// URL with the network off (every non-file request is
    aborted and counted), wait for every figure, measure the page and save screenshots."""
    from playwright.sync_api import sync_playwright

    seen: dict = {"external": [], "page_errors": [], "console_errors": []}
    OUTPUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(offline=True, viewport=VIEWPORT)

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
            seen["summary_bottom"] = page.evaluate(
                "() => { const s = document.querySelector('#seams-summary');"
                " return s ? s.getBoundingClientRect().bottom + window.scrollY : null; }")
            seen["summary_before_first_figure"] = page.evaluate(
                "() => { const s = document.querySelector('#seams-summary'); const f = document.querySelector('.plotly-graph-div');"
                " return !!(s && f && (s.compareDocumentPosition(f) & Node.DOCUMENT_POSITION_FOLLOWING)); }")
            seen["page_width"] = page.evaluate("() => document.documentElement.scrollWidth")
            seen["too_wide"] = page.evaluate(TOO_WIDE_JS, VIEWPORT["width"])
            seen["overlaps"] = page.evaluate(OVERLAPS_JS)
            seen["height"] = page.evaluate("() => document.documentElement.scrollHeight")
            seen["text"] = page.evaluate("() => document.body.innerText")
            page.screenshot(path=str(OUTPUT / f"{name}-first-screen.png"))
            page.screenshot(path=str(OUTPUT / f"{name}-full-page.png"), full_page=True)
        finally:
            browser.close()
    return seen


@pytest.fixture(scope="module", params=["sample", "wide"])
def read(request, chromium):
    run = request.getfixturevalue(f"{request.param}_run")
    return request.param, run, read_in_browser(chromium, run.html, request.param)


def test_the_report_renders_offline_without_errors(read):
    _, _, seen = read
    assert seen["external"] == [], "the report tried to load external resources"
    assert seen["page_errors"] == []
    assert seen["console_errors"] == []
    assert seen["figures"] >= MIN_FIGURES
    assert seen["rendered"] == seen["figures"]


def test_the_first_screen_answers_the_question(read):
    name, run, seen = read
    assert seen["summary_before_first_figure"]
    assert seen["summary_bottom"] is not None and seen["summary_bottom"] <= VIEWPORT["height"], (name, seen["summary_bottom"])
    first_screen = seen["text"][:4000]
    rec = run.findings["recommendation"]
    assert rec["verdict"] in first_screen and rec["headline"] in first_screen
    for verdict in run.findings["verdicts"].values():
        assert verdict["question"] in first_screen


def test_nothing_is_wider_than_the_viewport(read):
    name, _, seen = read
    assert seen["page_width"] <= VIEWPORT["width"], name
    assert seen["too_wide"] == [], name


def test_no_two_labels_of_a_figure_overlap(read):
    name, _, seen = read
    assert seen["overlaps"] == [], (name, seen["overlaps"][:10])


def test_evidence_that_is_not_measured_says_so(read):
    name, run, seen = read
    page = seen["text"]
    unknown = {k: v for k, v in run.findings["evidence_states"].items() if isinstance(v, dict) and v.get("state") != "measured"
               and "state" in v}
    assert unknown, "the sample profiles leave some evidence unmeasured (deploys, entry points): the check must bite"
    for key, state in unknown.items():
        assert state["reason"] in page, (name, key)
    for verdict in run.findings["verdicts"].values():
        for check in verdict["checks"]:
            if check["state"] != "measured":
                assert check["reason"] in page, (name, check["name"])
    assert page.count("no evidence") >= sum(1 for v in run.findings["verdicts"].values() for c in v["checks"] if c["state"] != "measured")


def test_no_absolute_path_of_the_machine_is_in_the_page(read):
    name, run, _ = read
    text = run.html.read_text(encoding="utf-8")
    for path in {run.sample_dir, run.sample_dir.parent, run.reports_dir, Path.cwd(), Path.home()}:
        for form in {str(path), html.escape(str(path)), str(path.resolve())}:
            assert form not in text, (name, form)


def test_a_30_context_report_stays_self_contained_and_small(wide_run):
    size = wide_run.html.stat().st_size
    assert size < MAX_HTML_BYTES, size


#: For the first matrix with cells of no evidence: the (row, column) of one such cell and of
#: one measured off-diagonal cell, and the size of the grid.
MATRIX_CELLS_JS = r"""() => {
  const divs = [...document.querySelectorAll('.plotly-graph-div')];
  const n = divs.findIndex(d => d.data.length > 1 && d.data[1].name === 'no evidence' && d.data[1].z.some(r => r.some(v => v !== null)));
  if (n < 0) return null;
  const z = divs[n].data[0].z, gaps = divs[n].data[1].z, size = z.length;
  let measured = null, missing = null;
  for (let i = 0; i < size; i++) for (let j = 0; j < size; j++) {
    if (!measured && i !== j && z[i][j] !== null) measured = [i, j];
    if (!missing && gaps[i][j] !== null) missing = [i, j];
  }
  return {index: n, size, measured, missing};
}"""


def test_a_matrix_cell_shows_its_evidence_on_hover_and_a_grey_one_says_not_measured(sample_run, chromium):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        try:
            page = browser.new_context(offline=True, viewport=VIEWPORT).new_page()
            page.goto(sample_run.html.resolve().as_uri(), wait_until="load")
            page.wait_for_function("() => document.querySelectorAll('.plotly-graph-div svg.main-svg').length > 0",
                                   timeout=RENDER_TIMEOUT_MS)
            cells = page.evaluate(MATRIX_CELLS_JS)
            assert cells is not None, "the sample leaves some runtime pairs unmeasured: the check must bite"
            div = page.locator(".plotly-graph-div").nth(cells["index"])
            div.scroll_into_view_if_needed()
            seen = {}
            for kind in ("measured", "missing"):
                i, j = cells[kind]
                box = div.locator(".nsewdrag").first.bounding_box()
                for nudge in (0, 2):  # plotly hovers on mouse movement: move twice
                    page.mouse.move(box["x"] + (j + 0.5) * box["width"] / cells["size"] + nudge,
                                    box["y"] + (i + 0.5) * box["height"] / cells["size"] + nudge)
                    page.wait_for_timeout(150)
                seen[kind] = " ".join(div.evaluate("d => [...d.querySelectorAll('.hoverlayer text')].map(t => t.textContent)"))
        finally:
            browser.close()
    assert "↔" in seen["measured"] and "not measured" not in seen["measured"], seen
    assert "not measured" in seen["missing"], seen
