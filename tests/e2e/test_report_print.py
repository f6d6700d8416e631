"""Printing and forwarding: ``seams report --pdf`` prints ``report.pdf`` beside the HTML with
headless Chromium (network off), the recommendation and the three verdicts on page one; without
Chromium it is skipped with a message. The print stylesheet, read in Chromium as print media on
an A4 page, keeps the first screen on one page and every figure and table within a page.

Needs Debian's ``chromium`` at /usr/bin/chromium (the layout checks also playwright): without
it the tests that print are skipped with a message, except under CI (``CI`` set). The PDF's
text is read with ``pdftotext`` when installed, else by :mod:`pdf_text` (pure Python).
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
from pathlib import Path

import nbformat
import pytest
from pdf_text import pages_text

from analysis.core import progress
from analysis.outputs import pdf, report
from analysis.outputs.progress import TerminalProgress

CHROMIUM = Path("/usr/bin/chromium")
#: An A4 page at 96 CSS pixels per inch, less the stylesheet's 12 mm margins.
PAGE_WIDTH_PX, PAGE_HEIGHT_PX = round((210 - 24) / 25.4 * 96), round((297 - 24) / 25.4 * 96)
LIGATURES = {"\ufb01": "fi", "\ufb02": "fl", "\ufb00": "ff", "\ufb03": "ffi", "\ufb04": "ffl"}


@pytest.fixture(scope="session")
def chromium() -> Path:
    if not CHROMIUM.is_file():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} not found: printing cannot be tested under CI")
        pytest.skip(f"printing not tested: {CHROMIUM} not found (install Debian's chromium package)")
    return CHROMIUM


def pdf_pages(path: Path) -> list[str]:
    """Each page's text, whitespace collapsed and ligatures spelled out."""
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
        pages = text.split("\f")[:-1] if text.endswith("\f") else text.split("\f")
    else:
        pages = pages_text(path.read_bytes())
    return [re.sub(r"\s+", " ", "".join(LIGATURES.get(c, c) for c in page)).strip() for page in pages]


def words(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


@pytest.mark.e2e
@pytest.mark.browser
def test_the_sample_report_prints_with_the_recommendation_and_the_verdicts_on_page_one(sample_run, chromium, tmp_path):
    printed = pdf.print_pdf(sample_run.html, tmp_path / "report.pdf", chromium=str(chromium))
    assert printed.path == tmp_path / "report.pdf" and printed.path.is_file()
    assert printed.pages > 1 and printed.pages == pdf.count_pages(printed.path.read_bytes())
    pages = pdf_pages(printed.path)
    assert len(pages) == printed.pages
    recommendation = sample_run.findings["recommendation"]
    first = pages[0]
    assert words(recommendation["headline"]) in first, first[:1500]
    for verdict in sample_run.verdicts.values():
        assert words(verdict["question"]) in first and verdict["verdict"] in first
    assert "Next steps" in first
    assert "How to read this report" not in first  # the first screen alone on page one
    assert all(page for page in pages[1:]), "a blank page"


def tiny_notebook(path: Path) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("config_path = run_dir = history_dir = None\nuse_cache = True", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell(
            "import json, pathlib\nfrom IPython.display import HTML, display\n"
            "display(HTML('<h1>Recommendation: extract billing first</h1>'))\n"
            "pathlib.Path(run_dir, 'findings.json').write_text(json.dumps({'verdicts': {}}))"),
    ]
    nbformat.write(nb, path)
    return path


@pytest.mark.e2e
def test_report_pdf_is_written_beside_the_html_and_said(tmp_path, chromium):
    config = tmp_path / "seams.yml"
    config.write_text("name: tiny\ncontexts:\n  a: {paths: ['a/**']}\n")
    shown = io.StringIO()
    with progress.listening(TerminalProgress(shown, tty=False)):
        result = report.run_report(config, tmp_path / "reports", notebook=tiny_notebook(tmp_path / "tiny.ipynb"), pdf=True)
    assert sorted(p.name for p in result.run_dir.iterdir()) == ["findings.json", "report.html", "report.ipynb", "report.pdf"]
    pages = pdf_pages(result.run_dir / "report.pdf")
    assert len(pages) == 1 and "Recommendation: extract billing first" in pages[0]
    assert re.search(r"^seams: printing report\.pdf: 1 pages \(\d+\.\d s\)$", shown.getvalue(), re.M), shown.getvalue()


@pytest.mark.e2e
def test_without_chromium_the_pdf_is_skipped_with_a_message_and_the_report_still_written(tmp_path, monkeypatch):
    config = tmp_path / "seams.yml"
    config.write_text("name: tiny\ncontexts:\n  a: {paths: ['a/**']}\n")
    monkeypatch.delenv("SEAMS_CHROMIUM", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path / "no-browser-here"))
    shown = io.StringIO()
    with progress.listening(TerminalProgress(shown, tty=False)):
        result = report.run_report(config, tmp_path / "reports", notebook=tiny_notebook(tmp_path / "tiny.ipynb"), pdf=True)
    assert sorted(p.name for p in result.run_dir.iterdir()) == ["findings.json", "report.html", "report.ipynb"]
    assert "seams: printing report.pdf: skipped: Chromium was not found (install chromium, or set SEAMS_CHROMIUM" in shown.getvalue()


def test_chromium_is_found_as_configured_and_runs_offline(tmp_path, monkeypatch):
    monkeypatch.setenv("SEAMS_CHROMIUM", "/opt/browser/chrome")
    assert pdf.find_chromium() == "/opt/browser/chrome"
    monkeypatch.delenv("SEAMS_CHROMIUM")
    monkeypatch.setenv("PATH", str(tmp_path))
    assert pdf.find_chromium() is None
    fake = tmp_path / "chromium"
    fake.write_text("#!/bin/sh\nexit 0\n")
    fake.chmod(0o755)
    assert pdf.find_chromium() == str(fake)
    command = pdf.chromium_command("chromium", tmp_path / "r.html", tmp_path / "r.pdf", tmp_path / "profile")
    assert command[:4] == ["chromium", "--headless", "--no-sandbox", "--disable-gpu"]
    assert "--host-resolver-rules=MAP * ~NOTFOUND" in command and f"--print-to-pdf={tmp_path / 'r.pdf'}" in command
    assert command[-1] == (tmp_path / "r.html").as_uri()
    # a Chromium that prints nothing is an error that says so, and leaves no file
    (tmp_path / "r.html").write_text("<p>x</p>")
    with pytest.raises(report.ReportError, match="Chromium could not print r.pdf"):
        pdf.print_pdf(tmp_path / "r.html", tmp_path / "r.pdf", chromium=str(fake))
    assert list(tmp_path.glob("*.pdf")) == [] and list(tmp_path.glob(".*.partial")) == []


def test_pages_are_counted_from_the_page_objects():
    document = b"%PDF-1.4\n1 0 obj <</Type /Pages /Kids [2 0 R 3 0 R] /Count 2>> endobj\n" \
               b"2 0 obj <</Type /Page /Parent 1 0 R>> endobj\n3 0 obj <</Type/Page/Parent 1 0 R>> endobj\n"
    assert pdf.count_pages(document) == 2


PRINT_LAYOUT_JS = r"""() => {
  const box = e => e.getBoundingClientRect();
  const first = document.querySelector('#seams-summary');
  return {
    first_screen: first ? box(first).height : null,
    figures: [...document.querySelectorAll('.js-plotly-plot')].map(e => [box(e).right, box(e).height]),
    tables: [...document.querySelectorAll('table')].map(e => box(e).right),
  };
}"""


@pytest.mark.e2e
@pytest.mark.browser
@pytest.mark.parametrize("which", ["sample_run", "wide_run"])
def test_as_print_media_on_a4_the_first_screen_fits_a_page_and_no_figure_or_table_is_cut(which, request, chromium):
    from playwright.sync_api import sync_playwright

    run = request.getfixturevalue(which)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(chromium), args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page(viewport={"width": PAGE_WIDTH_PX, "height": PAGE_HEIGHT_PX})
            page.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file:") else route.abort())
            page.emulate_media(media="print")
            page.goto(run.html.as_uri())
            page.wait_for_function("document.querySelectorAll('.js-plotly-plot .main-svg').length > 0", timeout=60_000)
            layout = page.evaluate(PRINT_LAYOUT_JS)
        finally:
            browser.close()
    assert layout["first_screen"] is not None and layout["first_screen"] <= PAGE_HEIGHT_PX, layout["first_screen"]
    assert layout["figures"], "no figure"
    for right, height in layout["figures"]:
        assert right <= PAGE_WIDTH_PX + 1 and height <= PAGE_HEIGHT_PX, (right, height)
    assert max(layout["tables"]) <= PAGE_WIDTH_PX + 1
