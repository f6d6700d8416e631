"""The ``seams`` command.

::

    seams sample [--out data/sample] [--seed 7] [--scale small|full] [--profile shop|wide] [--contexts 30] [--force]
    seams init PATH [--sql LOG ...] [--traces FILE ...] [--out seams.yml] [--force]
    seams report --config PATH [--out reports] [--no-cache] [--pdf] [--quiet]
    seams mine {git,imports,sql,traces} --config PATH --out DIR [--no-cache] [--quiet]
    seams check --config PATH [--baseline FILE] [--update-baseline [--force]] [--write-contracts DIR]
    seams codemaat (-l LOG [-c git2] | --repo DIR) -a ANALYSIS [code-maat's options]
    seams trend [--out reports | --history DIR] [--csv FILE] [--last N]
    seams --version

Exit codes:

- 0   success;
- 1   a report run failed (``ReportError``): the executed notebook is kept in
      ``<out>/<run-id>.failed/`` and the previous report is untouched; or ``seams check``
      found a boundary violation the baseline does not hold (or refused to let the
      baseline grow);
- 2   the input is wrong (``ConfigError``, ``SourceError``, ``OutputError`` or any other
      Seams error: a bad config file, an ``--out`` that is a file or cannot be written, for
      ``seams mine`` a repository that is not a git repository or a log that cannot be read,
      an unconfigured source), or the command line itself is wrong (argparse's usage message);
- 3   ``seams report`` only: the report was written, but some sources could not be read (a
      missing or damaged file, a folder that is not a git repository): their evidence is
      missing from it, each error is printed as a warning and kept in findings.json
      (``inputs.<kind>.error``) and in the report's inputs;
- 130 interrupted (Ctrl-C);
- 143 terminated (SIGTERM): handled as Ctrl-C is — a report run's folder becomes
      ``<out>/<run-id>.failed/``, ``latest`` is untouched, no ``.partial`` folder is left.

``seams report`` and ``seams mine`` show each step on stderr as it finishes (what it found and
how long it took; on a terminal, the running step with a bar when its size is known) and end
with a summary naming what was written; ``--quiet`` leaves only warnings and errors
(:mod:`analysis.outputs.progress`). stdout carries the results only.

Seams errors are printed as one message on stderr, without a traceback. Every message and
warning is printed through :func:`analysis.core.privacy.safe_message`: a message that quotes
input (a log's first line, a config value) shows it with its literals masked and its control
characters escaped.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from analysis.core.errors import ReportError, SeamsError
from analysis.core.privacy import safe_message
from analysis.core.version import __version__
from analysis.sources.registry import KINDS as SOURCE_KINDS

if TYPE_CHECKING:
    from analysis.outputs.progress import TerminalProgress

EXIT_OK = 0
EXIT_REPORT_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_SOURCES_FAILED = 3
EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="seams",
        description="Measure before you migrate: mine a monolith's history, imports, SQL logs and traces, "
                    "and decide whether and how to break it up.",
        epilog="Exit codes: 0 success, 1 a report run failed (its notebook is kept in <out>/<run-id>.failed/), "
               "2 invalid input or usage, 3 report written but some sources could not be read, 130 interrupted, "
               "143 terminated (SIGTERM).",
    )
    parser.add_argument("--version", action="version", version=f"seams {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    sample = commands.add_parser("sample", help="generate the synthetic 'shopfront' monolith and its seams.yml")
    sample.add_argument("--out", default="data/sample", type=Path, help="folder to write (default: data/sample)")
    sample.add_argument("--seed", default=7, type=int, help="random seed (default: 7); same seed, same bytes")
    sample.add_argument("--scale", default="small", choices=("small", "full"), help="sample size (default: small)")
    sample.add_argument("--force", "--overwrite", dest="force", action="store_true", help="replace an existing sample in --out")
    sample.add_argument("--profile", default="shop", choices=("shop", "wide"),
                        help="shop: the shopfront story (default); wide: a generated monolith of many contexts")
    sample.add_argument("--contexts", default=30, type=int, help="contexts of the wide profile (default: 30)")
    sample.set_defaults(handler=cmd_sample)

    init = commands.add_parser(
        "init", help="propose a seams.yml from the repository's conventions (apps, packages, packs, layers, renames, ORM models, routes)",
        description="Read a repository (never run, never written) and write a commented seams.yml that runs as it is: contexts "
                    "from its conventions, layers folded, old folder names from renames, default ignores with reasons, tables, "
                    "span routes, CODEOWNERS; then print how much of the files at HEAD and of the history it covers.")
    init.add_argument("repository", type=Path, help="the repository (a git working tree)")
    init.add_argument("--sql", type=Path, action="append", default=[], metavar="LOG", help="a SQL log to add (format detected)")
    init.add_argument("--traces", type=Path, action="append", default=[], metavar="FILE", help="a trace file to add (format detected)")
    init.add_argument("--out", type=Path, default=Path("seams.yml"), help="the file to write (default: seams.yml)")
    init.add_argument("--force", action="store_true", help="replace an existing --out file")
    init.set_defaults(handler=cmd_init)

    report = commands.add_parser("report", help="run the report notebook and export report.html and findings.json")
    report.add_argument("--config", required=True, type=Path, help="the monolith's seams.yml")
    report.add_argument("--out", default="reports", type=Path, help="reports folder (default: reports/)")
    report.add_argument("--no-cache", action="store_true", help="mine every source again, ignoring the cache")
    report.add_argument("--history", type=Path, default=None,
                        help="earlier runs for the trend section (default: the runs in --out)")
    report.add_argument("--pdf", action="store_true",
                        help="also print report.pdf beside report.html (needs Chromium; skipped with a message without it)")
    report.add_argument("--quiet", "-q", action="store_true", help="no progress nor summary on stderr (warnings and errors only), for cron")
    report.set_defaults(handler=cmd_report)

    mine = commands.add_parser("mine", help="mine one source into Parquet frames (and rejects.csv)")
    mine.add_argument("kind", choices=SOURCE_KINDS, help="which source to mine")
    mine.add_argument("--config", required=True, type=Path, help="the monolith's seams.yml")
    mine.add_argument("--out", required=True, type=Path, help="folder for <frame>.parquet and rejects.csv")
    mine.add_argument("--no-cache", action="store_true", help="mine again, ignoring the cache")
    mine.add_argument("--quiet", "-q", action="store_true", help="no progress on stderr (warnings and errors only)")
    mine.set_defaults(handler=cmd_mine)

    check = commands.add_parser(
        "check", help="the boundary gate for CI: fail when a violation is not in the baseline (the baseline can only shrink)",
        description="Measure the boundary violations (imports a context may not make, import cycles between contexts, "
                    "tables written by several contexts, joins across contexts) and compare them with the baseline. "
                    "Exit 0 when nothing is new, 1 when something is (each listed with its evidence).")
    check.add_argument("--config", required=True, type=Path, help="the monolith's seams.yml")
    check.add_argument("--baseline", type=Path, default=None,
                       help="the baseline file (default: seams-baseline.json beside the config, when it exists)")
    check.add_argument("--update-baseline", action="store_true",
                       help="write today's violations to the baseline, only when they are within it (the ratchet)")
    check.add_argument("--force", action="store_true", help="with --update-baseline: accept growth (recorded in the file)")
    check.add_argument("--write-contracts", type=Path, default=None, metavar="DIR",
                       help="write importlinter.ini and tach.toml with the same boundaries and baseline into DIR")
    check.add_argument("--no-cache", action="store_true", help="mine again, ignoring the cache")
    check.set_defaults(handler=cmd_check)

    maat = commands.add_parser(
        "codemaat", help="run a code-maat analysis and write code-maat's CSV (its column names and order)",
        description="code-maat's analyses with its options, defaults and output: read a git2 log (-l) or the repository "
                    "itself (--repo) and write the CSV the code-maat jar writes, so tools that read it can use Seams.")
    source = maat.add_mutually_exclusive_group(required=True)
    source.add_argument("-l", "--log", type=Path, help="log file with input data (code-maat's git2 format)")
    source.add_argument("--repo", type=Path, help="read the git2 log from this repository instead of a file")
    maat.add_argument("-c", "--version-control", dest="vcs", default="git2", help="input format: git2 (the only one Seams reads)")
    maat.add_argument("-a", "--analysis", default="authors", help="the analysis to run (default: authors)")
    maat.add_argument("--input-encoding", default="utf-8", help="the log file's encoding (default: UTF-8)")
    maat.add_argument("-r", "--rows", type=int, default=None, help="max rows in output (to stdout only, as code-maat)")
    maat.add_argument("-o", "--outfile", type=Path, default=None, help="write the result to this file")
    maat.add_argument("-g", "--group", type=Path, default=None, help="architectural grouping file (path => Name)")
    maat.add_argument("-p", "--team-map-file", type=Path, default=None, help="CSV author,team mapping individuals to teams")
    maat.add_argument("-n", "--min-revs", type=int, default=5, help="minimum revisions to include an entity (default: 5)")
    maat.add_argument("-m", "--min-shared-revs", type=int, default=5, help="minimum shared revisions (default: 5)")
    maat.add_argument("-i", "--min-coupling", type=int, default=30, help="minimum degree of coupling, percent (default: 30)")
    maat.add_argument("-x", "--max-coupling", type=int, default=100, help="maximum degree of coupling, percent (default: 100)")
    maat.add_argument("-s", "--max-changeset-size", type=int, default=30,
                      help="maximum modules in a change set for coupling (default: 30)")
    maat.add_argument("-e", "--expression-to-match", default=None, help="accepted for code-maat's messages analysis, which Seams lacks")
    maat.add_argument("-t", "--temporal-period", type=int, default=None, help="days of commits taken as one change set (coupling)")
    maat.add_argument("-d", "--age-time-now", default=None, help="the day (YYYY-MM-DD) counted as now by age")
    maat.add_argument("--verbose-results", action="store_true", help="coupling: add the revisions behind each degree")
    maat.set_defaults(handler=cmd_codemaat)

    trend = commands.add_parser("trend", help="the trend across report runs as a table (and a CSV), for dashboards")
    trend.add_argument("--out", default="reports", type=Path, help="the reports folder of seams report (default: reports/)")
    trend.add_argument("--history", type=Path, default=None, help="read the runs from this folder instead of --out")
    trend.add_argument("--csv", type=Path, default=None, help="also write every figure of every run to this CSV file")
    trend.add_argument("--last", type=int, default=5, help="runs shown after the first one (default: 5; the CSV has all)")
    trend.set_defaults(handler=cmd_trend)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``seams`` with ``argv`` (default: the process's arguments); return the exit code."""
    args = build_parser().parse_args(argv)
    from analysis.outputs.report import RunTerminated, sigterm_as_interrupt

    try:
        with sigterm_as_interrupt():
            return args.handler(args)
    except ReportError as exc:
        say(f"seams: {exc}")
        return EXIT_REPORT_FAILED
    except SeamsError as exc:
        say(f"seams: {exc}")
        return EXIT_BAD_INPUT
    except RunTerminated:
        say("seams: terminated (SIGTERM)")
        return EXIT_TERMINATED
    except KeyboardInterrupt:
        say("seams: interrupted")
        return EXIT_INTERRUPTED


def say(message: str) -> None:
    """Print a message or warning on stderr, made safe (literals masked, controls escaped)."""
    print(safe_message(message), file=sys.stderr)


@contextlib.contextmanager
def showing_progress(args: argparse.Namespace) -> Iterator[TerminalProgress]:
    """Meanwhile the run's steps are shown on stderr (:mod:`analysis.outputs.progress`), unless ``--quiet``."""
    from analysis.core import progress
    from analysis.outputs.progress import TerminalProgress

    shown = TerminalProgress(sys.stderr, quiet=bool(getattr(args, "quiet", False)))
    with progress.listening(shown):
        yield shown


def cmd_sample(args: argparse.Namespace) -> int:
    from seams_sample import build_sample

    config = build_sample(args.out, seed=args.seed, scale=args.scale, overwrite=args.force, profile=args.profile,
                          contexts=args.contexts)
    print(f"sample written: {config}")
    print(f"next: seams report --config {config}")
    return EXIT_OK


def cmd_init(args: argparse.Namespace) -> int:
    from analysis.discovery.writer import write_proposal

    text = write_proposal(args.repository, args.out, sql=tuple(args.sql), traces=tuple(args.traces), force=args.force)
    print(text)
    print(f"wrote {args.out}")
    print(f"next: seams report --config {args.out}")
    return EXIT_OK


def cmd_report(args: argparse.Namespace) -> int:
    from analysis.outputs.report import run_report, skip_iri_grammars

    skip_iri_grammars()

    options = {**({"history": args.history} if args.history is not None else {}), **({"pdf": True} if args.pdf else {})}
    with showing_progress(args) as shown:
        result = run_report(args.config, args.out, use_cache=not args.no_cache, **options)
        pdf = result.run_dir / "report.pdf"
        shown.summary(f"report written: {result.html}{f' and {pdf.name}' if pdf.is_file() else ''}")
    for warning in result.findings.get("warnings") or []:
        say(f"seams: warning: {warning}")
    for verdict in result.verdicts.values():
        print(f"{verdict.get('question', '')}\n  {verdict.get('verdict', '')}: {verdict.get('summary', '')}")
        if verdict.get("close_call"):
            print(f"  {verdict['close_call']}")
    recommendation = result.findings.get("recommendation") or {}
    if recommendation.get("headline"):
        print(f"Recommendation: {recommendation.get('verdict', '')} — {recommendation['headline']}")
    print(f"report: {result.html}")
    for kind, error in result.failed_sources.items():
        say(f"seams: warning: {kind} could not be read: {error}")
    return EXIT_SOURCES_FAILED if result.failed_sources else EXIT_OK


def cmd_mine(args: argparse.Namespace) -> int:
    from analysis.core.config import load_config
    from analysis.core.rejects import Rejects
    from analysis.outputs.report import output_folder
    from analysis.pipeline import mine_reported
    from analysis.sources.cache import save_frames

    config = load_config(args.config)
    out = output_folder(args.out)
    rejects = Rejects()
    with showing_progress(args) as shown:
        result = mine_reported(config, args.kind, rejects, use_cache=not args.no_cache, strict=True)
        for warning in result.warnings:
            say(f"seams: warning: {warning}")
        written = save_frames(result, out, rejects)
        shown.summary(f"{args.kind} mined: {len(written)} files written into {out}")
    for path in written:
        name = path.stem
        rows = f" ({len(result.frames[name])} rows)" if name in result.frames else ""
        print(f"wrote {path}{rows}")
    print(f"{args.kind}: {result.records_read} records read, {result.records_rejected} rejected")
    for note in result.notes:
        print(f"note: {note}")
    return EXIT_OK



def cmd_check(args: argparse.Namespace) -> int:
    from analysis.outputs.check import run_check

    outcome = run_check(args.config, baseline=args.baseline, update=args.update_baseline, force=args.force,
                        contracts_dir=args.write_contracts, use_cache=not args.no_cache)
    print(outcome.text)
    return EXIT_REPORT_FAILED if outcome.failed else EXIT_OK


def cmd_codemaat(args: argparse.Namespace) -> int:
    import datetime as dt

    from analysis.core.rejects import Rejects
    from analysis.measures import codemaat
    from analysis.measures.codemaat.log import SOURCE as LOG_SOURCE
    from analysis.outputs.codemaat_csv import codemaat_csv
    from analysis.sources.git.codemaat_log import git2_log

    analysis = codemaat.analysis(args.analysis)  # an unknown name lists the valid ones
    if args.vcs != "git2":
        raise SeamsError(f"invalid --version-control {args.vcs!r}: Seams reads code-maat's git2 format only; make the log with "
                         "git log --all --numstat --date=short --pretty=format:'--%h--%ad--%aN' --no-renames (or pass --repo)")
    try:
        now = dt.date.fromisoformat(args.age_time_now) if args.age_time_now else None
    except ValueError:
        raise SeamsError(f"--age-time-now: expected a date as YYYY-MM-DD (found {args.age_time_now!r})") from None
    options = codemaat.Options(min_revs=args.min_revs, min_shared_revs=args.min_shared_revs, min_coupling=args.min_coupling,
                               max_coupling=args.max_coupling, max_changeset_size=args.max_changeset_size,
                               age_time_now=now, verbose_results=args.verbose_results)
    rejects = Rejects()
    if args.repo is not None:
        modifications = codemaat.parse_git2_log(git2_log(args.repo), rejects)
    else:
        try:
            with open(args.log, encoding=args.input_encoding, errors="replace", newline="") as log:
                modifications = codemaat.parse_git2_log(log, rejects)
        except (OSError, LookupError) as exc:
            raise SeamsError(f"{args.log}: cannot read the log ({exc})") from None
    groups = codemaat.parse_grouping(_read_text(args.group)) if args.group else None
    teams = codemaat.parse_team_map(_read_text(args.team_map_file)) if args.team_map_file else None
    modifications = codemaat.prepare(modifications, groups=groups, temporal_period=args.temporal_period, teams=teams)
    if rejects.count(LOG_SOURCE):
        print(f"seams: warning: {rejects.count(LOG_SOURCE)} log entries could not be read and were left out "
              "(code-maat would stop at the first)", file=sys.stderr)
    text = codemaat_csv(analysis(modifications, options), rows=None if args.outfile else args.rows)
    if args.outfile is not None:
        args.outfile.write_text(text, encoding="utf-8", newline="")
    else:
        sys.stdout.write(text)
    return EXIT_OK


def cmd_trend(args: argparse.Namespace) -> int:
    from analysis.outputs import trend
    from analysis.outputs.runs import read_runs

    folder = args.history or args.out
    runs, notes = read_runs(folder)
    for note in notes:
        print(f"seams: warning: {note}", file=sys.stderr)
    if not runs:
        raise SeamsError(f"{folder}: no run with a findings.json (seams report writes <out>/<run-id>/findings.json)")
    frame = trend.trend_frame(runs)
    changes = trend.config_changes(runs)
    print(f"{len(runs)} runs in {folder}, {runs[0].run_id} to {runs[-1].run_id}")
    for run in runs:
        for note in run.notes:
            print(f"note: {run.run_id}: {note}")
    print(trend.render_table(trend.trend_table(frame, runs), changes, last=max(args.last, 1)))
    if args.csv is not None:
        args.csv.write_text(trend.trend_csv(frame, changes), encoding="utf-8")
        print(f"csv: {args.csv}")
    return EXIT_OK


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SeamsError(f"{path}: cannot read it ({exc.strerror or exc})") from None


if __name__ == "__main__":
    sys.exit(main())
