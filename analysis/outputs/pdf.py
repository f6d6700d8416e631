"""``report.pdf``: the exported report printed by headless Chromium, for stakeholders who print
and forward.

:func:`print_pdf` runs::

    chromium --headless --no-sandbox --disable-gpu --print-to-pdf=report.pdf file:///…/report.html

with the network off (every host name resolves to nothing, every request goes to a proxy that
is not there, background networking and component updates off) and a throwaway profile, so
printing reads nothing but the page, which is self-contained. The page's print stylesheet
(:mod:`analysis.outputs.sections`) puts the first screen — the recommendation and the three
verdicts — on page one and keeps figures, cards and table rows whole across pages.

Chromium is found as ``SEAMS_CHROMIUM`` (a path), else the first of :data:`CHROMIUM_NAMES`
on ``PATH``. Without it, nothing is printed and :class:`Printed` says why (``seams report
--pdf`` shows it and writes the HTML as always); a Chromium that fails or times out is a
:class:`~analysis.core.errors.ReportError`.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from analysis.core.errors import ReportError
from analysis.core.privacy import safe_message

#: Executables tried in turn on PATH when ``SEAMS_CHROMIUM`` is not set.
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
#: Seconds Chromium is given to print the report.
PRINT_TIMEOUT_S = 180
#: Milliseconds of page time Chromium lets the page's scripts run (plotly draws its figures)
#: before printing.
SCRIPT_BUDGET_MS = 15_000
#: Arguments that keep Chromium off the network and away from the user's profile.
OFFLINE_ARGUMENTS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-default-apps", "--disable-extensions", "--disable-sync", "--no-first-run", "--no-default-browser-check",
    "--host-resolver-rules=MAP * ~NOTFOUND", "--proxy-server=127.0.0.1:9", "--proxy-bypass-list=<-loopback>",
    "--no-pdf-header-footer", "--run-all-compositor-stages-before-draw",
)
_PAGE = re.compile(rb"/Type\s*/Page(?![a-zA-Z])")


@dataclass(frozen=True)
class Printed:
    """A printed PDF (``path``, ``pages``), or why none was printed (``skipped``)."""

    path: Path | None
    pages: int = 0
    skipped: str = ""


def find_chromium() -> str | None:
    """``SEAMS_CHROMIUM`` when set, else the first of :data:`CHROMIUM_NAMES` on ``PATH``; None without one."""
    chosen = os.environ.get("SEAMS_CHROMIUM")
    if chosen:
        return chosen
    return next((found for name in CHROMIUM_NAMES if (found := shutil.which(name))), None)


def chromium_command(chromium: str, page: Path, pdf: Path, profile: Path) -> list[str]:
    """The command that prints ``page`` into ``pdf`` (see the module docstring)."""
    return [chromium, *OFFLINE_ARGUMENTS, f"--user-data-dir={profile}", f"--virtual-time-budget={SCRIPT_BUDGET_MS}",
            f"--print-to-pdf={pdf}", page.resolve().as_uri()]


def print_pdf(page: Path, pdf: Path, *, chromium: str | None = None, timeout: float = PRINT_TIMEOUT_S) -> Printed:
    """Print the HTML ``page`` into ``pdf`` with headless Chromium (module docstring)."""
    chromium = chromium or find_chromium()
    if chromium is None:
        return Printed(None, skipped="skipped: Chromium was not found (install chromium, or set SEAMS_CHROMIUM to its path)")
    written = pdf.with_name(f".{pdf.name}.partial")
    with tempfile.TemporaryDirectory(prefix="seams-chromium-") as profile:
        try:
            done = subprocess.run(chromium_command(chromium, page, written, Path(profile)), stdin=subprocess.DEVNULL,
                                  capture_output=True, timeout=timeout, check=False)
        except FileNotFoundError:
            return Printed(None, skipped=f"skipped: {chromium} could not be run (not found)")
        except subprocess.TimeoutExpired:
            written.unlink(missing_ok=True)
            raise ReportError(f"printing {pdf.name} took longer than {timeout:.0f} s: Chromium was stopped") from None
    pages = count_pages(written.read_bytes()) if written.is_file() else 0
    if done.returncode != 0 or pages == 0:
        written.unlink(missing_ok=True)
        said = done.stderr.decode("utf-8", "replace").strip().splitlines()[-3:]
        raise ReportError(f"Chromium could not print {pdf.name} (exit code {done.returncode}"
                          f"{': ' + safe_message(' / '.join(said)) if said else ''})")
    os.replace(written, pdf)
    return Printed(pdf, pages)


def count_pages(document: bytes) -> int:
    """The pages of a PDF as Chromium writes it (its page objects, ``/Type /Page``)."""
    return len(_PAGE.findall(document))
