"""The report: run the notebook with papermill, export it to one self-contained HTML file.

``run_report(config_path, out_dir)`` is ``seams report``. Its steps, each a small function:

1. :func:`analysis.core.config.load_config` validates the config first; a
   :class:`~analysis.core.errors.ConfigError` propagates and nothing is created.
2. :func:`claim_run_dir` picks the run id, UTC ``YYYYmmddTHHMMSSZ`` (``-2``, ``-3``… when
   taken), and creates the working folder ``<out>/.<run_id>.partial/``.
3. :func:`execute_notebook` runs the notebook with papermill into ``report.ipynb``, with
   the parameters ``config_path``, ``run_dir`` (both absolute), ``use_cache`` and
   ``history_dir`` (the earlier runs the trend section reads: ``history``, else ``out_dir``); the
   kernel's working directory is the config file's folder. When the notebook takes
   ``analysis_path`` (the report notebook does), the command mines first, then maps, measures
   and decides while the kernel starts (:func:`hand_over_analysis`), each step shown
   (:mod:`analysis.core.progress`), and the kernel reads that analysis instead of computing it.
4. :func:`export_html` writes ``report.html``: code hidden, plotly.js inlined once by the
   notebook, no script or style loaded from anywhere (no MathJax, require.js or mermaid
   CDN); :func:`external_references` then checks that no ``src``/``href`` points at
   ``http(s)://`` and the run fails if one does.
5. :func:`read_findings` checks that the notebook wrote ``findings.json``.
6. :func:`publish` renames the folder to ``<out>/<run_id>/`` and points ``<out>/latest``
   at it atomically (a symlink made under a temporary name, then ``os.replace``).

On any failure the working folder becomes ``<out>/<run_id>.failed/`` (with the executed
notebook, where papermill marks the failing cell), the previous run and ``latest`` are
left untouched, and :class:`~analysis.core.errors.ReportError` names the failing cell and the
kept notebook — or, when the disk filled, says that the notebook kept is incomplete.

Interrupted runs: Ctrl-C (SIGINT) and SIGTERM are handled alike. The notebook runs in a
worker thread, so the main thread receives the signal at once; it stops the kernel, the
working folder becomes ``<run_id>.failed/``, ``latest`` is untouched, nothing ``.partial`` is
left, and ``KeyboardInterrupt`` (:class:`RunTerminated` for SIGTERM) propagates: ``seams``
exits 130 or 143.

The kernel's own output (its log, the ``KeyboardInterrupt caught in kernel`` it prints when
jupyter_client interrupts it to shut it down, a zmq traceback) goes to ``kernel.log`` in the
working folder, never to the command's terminal; it is removed from a published run and kept,
made safe, in a failed one when it holds anything.

Housekeeping, at the start of every run: a ``.<run_id>.partial`` folder whose run marker
(:data:`RUN_MARKER`: the process id and host) names a process of this host that is gone is
removed, as is one without a marker older than :data:`STALE_PARTIAL_HOURS`; of the
``<run_id>.failed`` folders the newest :data:`KEEP_FAILED_RUNS` are kept (also after a run
fails).

The notebook's rendering helpers are in :mod:`analysis.outputs.render`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import functools
import importlib.resources
import json
import logging
import os
import re
import shutil
import signal
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from analysis.core import progress
from analysis.core.config import Config, load_config
from analysis.core.errors import OutputError, ReportError
from analysis.core.privacy import safe_message
from analysis.core.rejects import Rejects

NOTEBOOK_NAME = "00-measure-before-you-migrate.ipynb"
#: The same notebook as package data (in the source tree, a link to notebooks/NOTEBOOK_NAME).
PACKAGED_NOTEBOOK = "report.ipynb"
EXECUTED_NOTEBOOK = "report.ipynb"
HTML_FILE = "report.html"
PDF_FILE = "report.pdf"
#: The analysis ``seams report`` hands to the kernel (a pickle in a private temporary folder).
ANALYSIS_FILE = "analysis.pickle"
#: The report notebook's parameter naming it (None in JupyterLab: the notebook computes it).
ANALYSIS_PARAMETER = "analysis_path"
FINDINGS_FILE = "findings.json"
LATEST = "latest"
RUN_ID_FORMAT = "%Y%m%dT%H%M%SZ"
KERNEL_NAME = "python3"
#: The kernel's own log (start-up notices on stderr) is kept to errors; cell output is unaffected.
KERNEL_ARGUMENTS = ("--IPKernelApp.log_level=ERROR",)
#: Where the kernel's stdout and stderr go, in the working folder (never the terminal).
KERNEL_LOG = "kernel.log"
#: The run marker in a working folder: ``{"pid", "host", "started"}`` of the run writing it.
RUN_MARKER = ".seams-run.json"
#: Failed runs kept in ``<out>`` (the newest); older ``<run_id>.failed`` folders are removed.
KEEP_FAILED_RUNS = 5
#: A ``.partial`` folder without a run marker (left by an older Seams) is stale after this long.
STALE_PARTIAL_HOURS = 24
#: Seconds the worker thread is given to end once the kernel was stopped after a signal.
STOP_SECONDS = 20


class RunTerminated(KeyboardInterrupt):
    """The run received SIGTERM: handled as Ctrl-C is (``seams`` exits 143)."""


#: The lab template without the blocks that load scripts from a CDN (require.js, MathJax,
#: mermaid, the widget manager). The report uses none of them: plotly.js is inlined.
OFFLINE_TEMPLATE = """{%- extends 'index.html.j2' -%}
{%- block html_head_js_requirejs -%}{%- endblock html_head_js_requirejs -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
"""


@dataclass(frozen=True)
class RunResult:
    """A finished report run: where it is and what it found."""

    run_id: str
    run_dir: Path
    notebook: Path
    html: Path
    findings: dict
    verdicts: dict

    @property
    def failed_sources(self) -> dict[str, str]:
        """Source kinds that could not be read (wholly or in part), with their errors: the
        report was written without their evidence."""
        inputs = self.findings.get("inputs") or {}
        return {kind: str(facts["error"]) for kind, facts in inputs.items()
                if isinstance(facts, Mapping) and facts.get("error")}


# --------------------------------------------------------------------------------------
# the run


def default_notebook() -> Path:
    """The report notebook, shipped inside the package (``analysis/outputs/report.ipynb``)."""
    notebook = Path(str(importlib.resources.files("analysis.outputs") / PACKAGED_NOTEBOOK))
    if not notebook.is_file():
        raise ReportError(f"report notebook not found: {notebook} (a broken installation?)")
    return notebook


def run_report(config_path: str | os.PathLike, out_dir: str | os.PathLike = "reports", *,
               notebook: str | os.PathLike | None = None, use_cache: bool = True,
               history: str | os.PathLike | None = None, pdf: bool = False) -> RunResult:
    """Run the report notebook on one config and publish ``<out_dir>/<run_id>/`` (see module
    doc); ``pdf``: also print ``report.pdf`` (:mod:`analysis.outputs.pdf`)."""
    config = load_config(config_path)
    source = Path(notebook) if notebook is not None else default_notebook()
    if not source.is_file():
        raise ReportError(f"report notebook not found: {source}")
    out = output_folder(out_dir)
    clean_stale_runs(out)
    with sigterm_as_interrupt(), tempfile.TemporaryDirectory(prefix="seams-handover-") as handover:
        run_id, work = claim_run_dir(out)
        try:
            parameters: dict[str, Any] = {
                "config_path": str(Path(config_path).resolve()),
                "run_dir": str(work),
                "use_cache": bool(use_cache),
                "history_dir": str(Path(history).resolve() if history is not None else out),
            }
            meanwhile = None
            if takes_analysis(source):
                from analysis import pipeline

                parameters["analysis_path"] = str(Path(handover) / ANALYSIS_FILE)
                # mined before the kernel starts (it would sit idle, holding its memory, through a
                # long cold mining), analysed while it starts
                mined, rejects = pipeline.mine(config, use_cache=use_cache)
                meanwhile = functools.partial(hand_over_analysis, config, mined, rejects, Path(parameters["analysis_path"]))
            executed = execute_notebook(source, work / EXECUTED_NOTEBOOK, parameters, cwd=Path(config_path).resolve().parent,
                                        kernel_log=work / KERNEL_LOG, meanwhile=meanwhile)
            with progress.step("rendering report.html") as rendering:
                page = export_html(executed, work / HTML_FILE, title=f"Seams report: {config.name}")
                rendering.say(f"{page.stat().st_size / 2**20:.1f} MB")
            if pdf:
                from analysis.outputs.pdf import print_pdf

                with progress.step("printing report.pdf") as printing:
                    printed = print_pdf(page, work / PDF_FILE)
                    printing.say(f"{printed.pages} pages" if printed.path else printed.skipped)
            findings = read_findings(work / FINDINGS_FILE)
            for name in (RUN_MARKER, KERNEL_LOG):
                (work / name).unlink(missing_ok=True)
            final = publish(work, out, run_id)
        except BaseException as exc:
            kept = mark_failed(work, out, run_id)
            prune_failed_runs(out)
            if not isinstance(exc, Exception):  # KeyboardInterrupt, RunTerminated, SystemExit: keep the folder, re-raise
                raise
            raise ReportError(failure_message(exc, run_id, kept)) from exc
    return RunResult(
        run_id=run_id,
        run_dir=final,
        notebook=final / executed.name,
        html=final / page.name,
        findings=findings,
        verdicts=findings_verdicts(findings),
    )


def skip_iri_grammars() -> None:
    """Spare this process compiling ``rfc3987_syntax``'s Lark grammars (3 to 4 seconds of every
    ``seams report``): jsonschema, which nbformat, papermill and nbconvert import, compiles them
    when it is imported, for its ``iri`` and ``iri-reference`` format checks, which no notebook
    schema uses. Only before jsonschema is imported, and only for a process Seams owns (the
    ``seams`` command): ``rfc3987_syntax`` cannot be imported in it afterwards."""
    if "jsonschema" not in sys.modules:
        sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]  # None: "import halted"


def takes_analysis(notebook: Path) -> bool:
    """Whether ``notebook``'s parameters cell declares ``analysis_path`` (the report notebook
    does: it then reads the analysis ``seams report`` computed instead of computing it)."""
    import nbformat

    cells = nbformat.read(notebook, as_version=4).cells
    return any(cell.cell_type == "code" and "parameters" in cell.metadata.get("tags", [])
               and ANALYSIS_PARAMETER in cell.source for cell in cells)


#: The mined frames the report notebook reads from the analysis it is handed: the first
#: screen's commits, findings.json's unresolved imports, the context canvas's entry points. The
#: others (file changes, merge files, imports: three quarters of the analysis's size on a long
#: history) stay in the command; a cell reading one of them fails (``KeyError``), never sees
#: an empty frame.
HANDED_FRAMES = ("commits", "unresolved_imports", "entry_points")


def hand_over_analysis(config: Config, mined: dict, rejects: Rejects, path: Path) -> None:
    """Map, measure and decide what was ``mined`` here, with the steps shown
    (:mod:`analysis.core.progress`), while the kernel starts; hand the result to the kernel
    through ``path`` (written whole, then renamed, so the kernel never reads half a file), with
    only the mined frames it reads (:data:`HANDED_FRAMES`); then let go of it, so that the
    command and the kernel do not hold it both."""
    from analysis import pipeline

    igraph_without_drawing()
    try:
        result = pipeline.analyse(config, mined, rejects)
        pipeline.save_analysis(handed(result), path)
    except BaseException as exc:
        pipeline.handover_failed(path, f"{type(exc).__name__}: {safe_message(exc)}")
        raise
    del result
    mined.clear()
    release_memory()
    import nbconvert  # noqa: F401  (the export's import, here while the kernel works: one second less after it)


def handed(result: Any) -> Any:
    """``result`` (an :class:`~analysis.pipeline.Analysis`) with only the mined frames of
    :data:`HANDED_FRAMES`."""
    import dataclasses

    frames = {name: frame for name, frame in result.mined.frames.items() if name in HANDED_FRAMES}
    return dataclasses.replace(result, mined=dataclasses.replace(result.mined, frames=frames))


def igraph_without_drawing() -> None:
    """Import igraph (the partitions are found with it) with matplotlib and plotly hidden from
    it: igraph imports both for its drawing when they are installed, some 30 MiB that the
    command would hold through the whole run for nothing (it draws nothing; the kernel draws
    with plotly). Only for a process Seams owns (the ``seams report`` command): igraph cannot
    draw in it afterwards; matplotlib and plotly themselves import as ever."""
    if "igraph" in sys.modules:
        return
    hidden = [name for name in ("matplotlib", "plotly") if name not in sys.modules]
    for name in hidden:
        sys.modules[name] = None  # type: ignore[assignment]  # None: "import halted"
    try:
        import igraph  # noqa: F401
    except ImportError:
        pass  # not installed: its import where the partitions are found fails as it would have
    finally:
        for name in hidden:
            if name in sys.modules and sys.modules[name] is None:
                del sys.modules[name]


def release_memory() -> None:
    """Return what was freed to the system: Python's cycles collected, Arrow's pool and the C
    heap trimmed (glibc only; elsewhere nothing more happens)."""
    import ctypes
    import gc
    import sys

    gc.collect()
    if "pyarrow" in sys.modules:
        sys.modules["pyarrow"].default_memory_pool().release_unused()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def new_run_id(out: Path, now: dt.datetime | None = None) -> str:
    """UTC ``YYYYmmddTHHMMSSZ``, with ``-2``, ``-3``… when a run of that second exists in ``out``."""
    now = now or dt.datetime.now(dt.UTC)
    base = now.astimezone(dt.UTC).strftime(RUN_ID_FORMAT)
    n = 1
    while True:
        run_id = base if n == 1 else f"{base}-{n}"
        if not any((out / name).exists() for name in (run_id, f"{run_id}.failed", f".{run_id}.partial")):
            return run_id
        n += 1


def output_folder(out_dir: str | os.PathLike) -> Path:
    """``out_dir`` resolved and created; :class:`OutputError` when it is a file or cannot be
    created or written (checked by writing a file there), before anything is run."""
    out = Path(out_dir).resolve()
    if out.exists() and not out.is_dir():
        raise OutputError(str(out), "not a folder (a file is in the way): give --out a folder")
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / f".seams-probe-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise OutputError(str(out), f"cannot be written ({exc.strerror or type(exc).__name__}): give --out a folder you can write") from None
    return out


def claim_run_dir(out: Path, now: dt.datetime | None = None) -> tuple[str, Path]:
    """Create ``<out>/.<run_id>.partial/`` for a new run id, with its run marker; return the
    id and the folder."""
    output_folder(out)
    while True:
        run_id = new_run_id(out, now)
        work = out / f".{run_id}.partial"
        try:
            work.mkdir()
            (work / RUN_MARKER).write_text(json.dumps({
                "pid": os.getpid(), "host": socket.gethostname(),
                "started": dt.datetime.now(dt.UTC).strftime(RUN_ID_FORMAT)}), encoding="utf-8")
        except FileExistsError:  # another run claimed it between the check and here
            continue
        except OSError as exc:
            raise OutputError(str(out), f"cannot be written ({exc.strerror or type(exc).__name__})") from None
        return run_id, work


@contextlib.contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """Meanwhile SIGTERM raises :class:`RunTerminated` in the main thread, as SIGINT raises
    ``KeyboardInterrupt``; the previous handler comes back after. Elsewhere than in the main
    thread, nothing changes."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def terminate(signum, frame):
        raise RunTerminated("terminated (SIGTERM)")

    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _process_gone(pid: int) -> bool:
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:  # someone else's process: alive
        return False
    return False


def clean_stale_runs(out: Path, keep_failed: int = KEEP_FAILED_RUNS, now: float | None = None) -> list[Path]:
    """Remove the ``.partial`` folders of runs that are gone (see the module docstring) and the
    failed runs beyond the newest ``keep_failed``; return what was removed."""
    removed: list[Path] = []
    now = time.time() if now is None else now
    host = socket.gethostname()
    for work in sorted(out.glob(".*.partial")):
        if not work.is_dir():
            continue
        try:
            marker = json.loads((work / RUN_MARKER).read_text(encoding="utf-8"))
            stale = marker.get("host") == host and _process_gone(int(marker["pid"]))
        except (OSError, ValueError, KeyError, TypeError):
            try:
                stale = now - work.stat().st_mtime > STALE_PARTIAL_HOURS * 3600
            except OSError:
                continue
        if stale:
            shutil.rmtree(work, ignore_errors=True)
            removed.append(work)
    return removed + prune_failed_runs(out, keep_failed)


def prune_failed_runs(out: Path, keep: int = KEEP_FAILED_RUNS) -> list[Path]:
    """Remove the ``<run_id>.failed`` folders beyond the newest ``keep`` (run ids sort by time)."""
    failed = sorted((p for p in out.glob("*.failed") if p.is_dir() and not p.name.startswith(".")),
                    key=lambda p: p.name)
    doomed = failed[:-keep] if keep > 0 else failed
    for folder in doomed:
        shutil.rmtree(folder, ignore_errors=True)
    return doomed


def execute_notebook(source: Path, executed: Path, parameters: Mapping[str, Any], *, cwd: Path | None = None,
                     kernel_log: Path | None = None, meanwhile: Callable[[], None] | None = None) -> Path:
    """Run ``source`` with papermill into ``executed`` (the kernel in ``cwd``, default the
    current folder, its stdout and stderr into ``kernel_log``, default nowhere); return
    ``executed``.

    papermill writes the executed notebook once, at the end, also when a cell fails (marking
    that cell) before it raises ``PapermillExecutionError``; a kernel that dies leaves none. It runs in a worker thread: the main thread
    runs ``meanwhile`` (the analysis the kernel waits for, while the kernel starts), then
    waits for it and keeps receiving signals; on Ctrl-C, SIGTERM or an error of
    ``meanwhile`` it stops the kernel, waits for the worker to end and lets the error propagate.
    """
    import papermill

    log = open(kernel_log, "ab") if kernel_log is not None else open(os.devnull, "ab")  # noqa: SIM115 (closed below)
    managers: list = []
    outcome: dict[str, BaseException] = {}

    def run() -> None:
        try:
            papermill.execute_notebook(
                str(source), str(executed), parameters=dict(parameters), cwd=str(cwd or Path.cwd()),
                kernel_name=KERNEL_NAME, language="python", progress_bar=False,
                # papermill would write the whole notebook before and after every cell: 70 writes of a
                # notebook growing to megabytes, seconds on a large repository; it is written once at
                # the end, and when a cell fails (that cell marked)
                request_save_on_cell_execute=False,
                # every cell has finished, its outputs received and its files closed: the kernel is
                # stopped at once rather than asked to end and waited for (0.3 s of a saleor report)
                shutdown_kernel="immediate",
                extra_arguments=list(KERNEL_ARGUMENTS),
                kernel_manager_class=_quiet_kernel_manager(log, managers),
            )
        except BaseException as exc:  # handed to the main thread
            outcome["error"] = exc

    worker = threading.Thread(target=run, name="seams-report-notebook", daemon=True)
    with _quiet_loggers():
        try:
            worker.start()
            if meanwhile is not None:
                meanwhile()
            with progress.step("running the report notebook"):
                while worker.is_alive():
                    worker.join(0.2)
        except BaseException:
            _stop_kernels(managers)
            worker.join(STOP_SECONDS)
            raise
        finally:
            log.close()
    if "error" in outcome:
        raise outcome["error"]
    return executed


def _quiet_kernel_manager(log, managers: list):
    """A kernel manager class whose kernels write their stdout and stderr to ``log``, and
    that records each instance in ``managers`` (to stop the kernel after a signal)."""
    from jupyter_client.manager import AsyncKernelManager

    class QuietKernelManager(AsyncKernelManager):
        async def _async_launch_kernel(self, kernel_cmd, **kw):
            kw["stdout"] = kw["stderr"] = log
            managers.append(self)
            return await super()._async_launch_kernel(kernel_cmd, **kw)

    return QuietKernelManager


def _stop_kernels(managers: list) -> None:
    """Kill the kernels of an interrupted run (their process group: the kernel runs in a
    session of its own, so a signal to Seams never reaches it)."""
    for manager in managers:
        provisioner = getattr(manager, "provisioner", None)
        pid = getattr(provisioner, "pid", None)
        pgid = getattr(provisioner, "pgid", None)
        try:
            if pgid:
                os.killpg(pgid, signal.SIGKILL)
            elif pid:
                os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


@contextlib.contextmanager
def _quiet_loggers() -> Iterator[None]:
    """papermill's and nbclient's log records (a dead kernel, a timeout) stay out of the
    terminal meanwhile: without a handler, Python would print them on stderr."""
    names = ("papermill", "traitlets", "nbclient", "NotebookClient", "asyncio")
    loggers = [logging.getLogger(name) for name in names]
    saved = [(lg.propagate, list(lg.handlers)) for lg in loggers]
    for lg in loggers:
        lg.handlers = [logging.NullHandler()]
        lg.propagate = False
    try:
        yield
    finally:
        for lg, (propagate, handlers) in zip(loggers, saved, strict=True):
            lg.handlers, lg.propagate = handlers, propagate


def export_html(executed: Path, page: Path, *, title: str = "Seams report") -> Path:
    """Export the executed notebook to one self-contained HTML file, code hidden.

    Raises ReportError when the written page references anything over http(s).
    """
    import nbformat

    notebook = nbformat.read(executed, as_version=4)
    exporter = _report_exporter(
        template_name="lab", raw_template=OFFLINE_TEMPLATE,
        exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True,
    )
    body, _ = exporter.from_notebook_node(notebook, resources={"metadata": {"name": title}})
    page.write_text(body, encoding="utf-8")
    found = external_references(body)
    if found:
        listed = ", ".join(f"<{tag} {attr}={value!r}>" for tag, attr, value in found[:5])
        raise ReportError(f"{page}: the report would load {len(found)} external resource(s): {listed}")
    return page


#: The opening tags nbconvert makes focusable (``tabindex="0"``): cell inputs and outputs.
_FOCUSABLE = re.compile(r'<div class="((?:[^"]*\s)?(?:jp-OutputArea-output|jp-Cell-inputWrapper)(?:\s[^"]*)?)"(?![^>]*tabindex)')


def _report_exporter(**options: Any):
    """nbconvert's HTML exporter without its last pass, which parses the whole page again with
    BeautifulSoup to give images without one an alt text and cells a ``tabindex`` (2 s of a
    6 MB report on a loaded machine): the report shows no image and hides its code, and its
    outputs get their ``tabindex`` by a plain substitution. An nbconvert whose internals differ
    from 7.x's gets the stock exporter."""
    from nbconvert import HTMLExporter

    try:
        from nbconvert.exporters.templateexporter import TemplateExporter
        from nbconvert.filters.highlight import Highlight2HTML
        from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter
    except ImportError:  # pragma: no cover - another nbconvert
        return HTMLExporter(**options)

    class ReportExporter(HTMLExporter):
        def from_notebook_node(self, nb, resources=None, **kw):  # HTMLExporter's, less BeautifulSoup
            if not all(hasattr(self, name) for name in ("_init_resources", "_nb_metadata")):  # pragma: no cover
                return super().from_notebook_node(nb, resources, **kw)
            langinfo = nb.metadata.get("language_info", {})
            lexer = langinfo.get("pygments_lexer", langinfo.get("name", None))
            self.register_filter("highlight_code", self.filters.get("highlight_code", Highlight2HTML(pygments_lexer=lexer, parent=self)))
            resources = self._init_resources(resources)
            self.register_filter("filter_data_type",
                                 WidgetsDataTypeFilter(notebook_metadata=self._nb_metadata, parent=self, resources=resources))
            page, resources = TemplateExporter.from_notebook_node(self, nb, resources, **kw)
            return _FOCUSABLE.sub(r'<div class="\1" tabindex="0"', page), resources

    return ReportExporter(**options)


class _ReferenceCollector(HTMLParser):
    """Collects ``src``/``href`` attributes of the document's elements.

    Script and style contents are raw text to the parser, so URLs inside plotly.js's
    code are not mistaken for references.
    """

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("src", "href") and value and _is_remote(value):
                self.found.append((tag, name, value))

    handle_startendtag = handle_starttag


def _is_remote(url: str) -> bool:
    url = url.strip().lower()
    return url.startswith(("http://", "https://", "//"))


def external_references(page: str) -> list[tuple[str, str, str]]:
    """Every ``(tag, attribute, url)`` in ``page`` whose src/href points at http(s)://."""
    collector = _ReferenceCollector()
    collector.feed(page)
    collector.close()
    return collector.found


def read_findings(path: Path) -> dict:
    """The findings the notebook wrote; ReportError when it wrote none."""
    if not path.is_file():
        raise ReportError(f"the notebook finished without writing {path.name}")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ReportError(f"{path}: not valid JSON ({exc})") from None


def findings_verdicts(findings: Mapping) -> dict:
    """The verdicts in ``findings`` keyed by verdict key (a list of verdicts is keyed by ``key``)."""
    verdicts = findings.get("verdicts", {})
    if isinstance(verdicts, list):
        return {str(v.get("key", n)): v for n, v in enumerate(verdicts)}
    return dict(verdicts) if isinstance(verdicts, Mapping) else {}


def publish(work: Path, out: Path, run_id: str) -> Path:
    """Rename the working folder to ``<out>/<run_id>`` and point ``<out>/latest`` at it."""
    final = out / run_id
    work.rename(final)
    try:
        point_latest(out, run_id)
    except OSError:
        final.rename(work)  # so that mark_failed finds it where it expects
        raise
    return final


def point_latest(out: Path, run_id: str) -> Path:
    """Make ``<out>/latest`` a relative symlink to ``run_id``, replacing the old one atomically."""
    link = out / LATEST
    temporary = out / f".{LATEST}.{run_id}.tmp"
    if temporary.is_symlink() or temporary.exists():
        temporary.unlink()
    os.symlink(run_id, temporary, target_is_directory=True)
    os.replace(temporary, link)
    return link


def mark_failed(work: Path, out: Path, run_id: str) -> Path:
    """Rename a failed run's folder to ``<out>/<run_id>.failed`` (without its run marker; its
    kernel log kept, made safe, when it holds anything); return it."""
    failed = out / f"{run_id}.failed"
    if work.exists():
        (work / RUN_MARKER).unlink(missing_ok=True)
        _tidy_kernel_log(work / KERNEL_LOG)
        work.rename(failed)
    return failed


def _tidy_kernel_log(path: Path) -> None:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
        if text.strip():
            path.write_text("\n".join(safe_message(line, 1_000) for line in text.splitlines()[-200:]) + "\n",
                            encoding="utf-8")
        else:
            path.unlink()
    except OSError:
        pass


def _errno_of(exc: BaseException) -> int | None:
    """The errno of ``exc`` or of an error it was raised from (or a papermill cell error's)."""
    seen = 0
    current: BaseException | None = exc
    while current is not None and seen < 10:
        if isinstance(current, OSError) and current.errno:
            return current.errno
        if "No space left on device" in str(getattr(current, "evalue", "")):
            return errno.ENOSPC
        current = current.__cause__ or current.__context__
        seen += 1
    return None


def notebook_is_complete(path: Path) -> bool:
    """Whether ``path`` is a readable notebook (a full disk leaves one cut short)."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(document, dict) and isinstance(document.get("cells"), list)


def failure_message(exc: BaseException, run_id: str, kept: Path) -> str:
    """What failed, in which cell, and where the executed notebook is kept — or, when the
    disk filled or the notebook could not be written whole, that what is kept is incomplete.
    The error's text may quote input (a log line, a value): it is made safe
    (:func:`analysis.core.privacy.safe_message`)."""
    notebook = kept / EXECUTED_NOTEBOOK
    full_disk = _errno_of(exc) == errno.ENOSPC
    if notebook.is_file() and notebook_is_complete(notebook):
        where = f"the executed notebook is kept at {notebook}"
    elif notebook.is_file():
        where = (f"the notebook at {notebook} is incomplete (cut short: it is not a readable notebook); "
                 f"the run's other files are in {kept}")
    else:
        where = f"the run's files are kept in {kept}"
    if full_disk:
        where = f"no space left on the device: free some and run again; {where}"
    cell_index = getattr(exc, "cell_index", None)
    if cell_index is not None:  # papermill.PapermillExecutionError
        first_line = next((ln for ln in str(getattr(exc, "source", "")).splitlines() if ln.strip()), "")
        return (f"report run {run_id} failed in notebook cell {cell_index} (In [{getattr(exc, 'exec_count', '?')}]"
                f"{': ' + safe_message(first_line.strip()) if first_line else ''}): {safe_message(getattr(exc, 'ename', 'Error'))}: "
                f"{safe_message(getattr(exc, 'evalue', ''))}\n{where}")
    return f"report run {run_id} failed: {type(exc).__name__}: {safe_message(exc)}\n{where}"
