"""The ``seams`` command.

::

    seams sample [--out data/sample] [--seed 7] [--scale small|full] [--profile shop|wide] [--contexts 30] [--force]
    seams report --config PATH [--out reports] [--no-cache]
    seams mine {git,imports,sql,traces} --config PATH --out DIR [--no-cache]
    seams --version

Exit codes:

- 0   success;
- 1   a report run failed (``ReportError``): the executed notebook is kept in
      ``<out>/<run-id>.failed/`` and the previous report is untouched;
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

Seams errors are printed as one message on stderr, without a traceback. Every message and
warning is printed through :func:`analysis.core.privacy.safe_message`: a message that quotes
input (a log's first line, a config value) shows it with its literals masked and its control
characters escaped.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from analysis.core.errors import ReportError, SeamsError
from analysis.core.privacy import safe_message
from analysis.core.version import __version__
from analysis.sources.registry import KINDS as SOURCE_KINDS

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

    report = commands.add_parser("report", help="run the report notebook and export report.html and findings.json")
    report.add_argument("--config", required=True, type=Path, help="the monolith's seams.yml")
    report.add_argument("--out", default="reports", type=Path, help="reports folder (default: reports/)")
    report.add_argument("--no-cache", action="store_true", help="mine every source again, ignoring the cache")
    report.set_defaults(handler=cmd_report)

    mine = commands.add_parser("mine", help="mine one source into Parquet frames (and rejects.csv)")
    mine.add_argument("kind", choices=SOURCE_KINDS, help="which source to mine")
    mine.add_argument("--config", required=True, type=Path, help="the monolith's seams.yml")
    mine.add_argument("--out", required=True, type=Path, help="folder for <frame>.parquet and rejects.csv")
    mine.add_argument("--no-cache", action="store_true", help="mine again, ignoring the cache")
    mine.set_defaults(handler=cmd_mine)
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


def cmd_sample(args: argparse.Namespace) -> int:
    from seams_sample import build_sample

    config = build_sample(args.out, seed=args.seed, scale=args.scale, overwrite=args.force, profile=args.profile,
                          contexts=args.contexts)
    print(f"sample written: {config}")
    print(f"next: seams report --config {config}")
    return EXIT_OK


def cmd_report(args: argparse.Namespace) -> int:
    from analysis.outputs.report import run_report

    result = run_report(args.config, args.out, use_cache=not args.no_cache)
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
    from analysis.sources.cache import save_frames
    from analysis.sources.registry import mine_source

    config = load_config(args.config)
    out = output_folder(args.out)
    rejects = Rejects()
    result = mine_source(config, args.kind, rejects, use_cache=not args.no_cache)
    for warning in result.warnings:
        say(f"seams: warning: {warning}")
    written = save_frames(result, out, rejects)
    for path in written:
        name = path.stem
        rows = f" ({len(result.frames[name])} rows)" if name in result.frames else ""
        print(f"wrote {path}{rows}")
    print(f"{args.kind}: {result.records_read} records read, {result.records_rejected} rejected")
    for note in result.notes:
        print(f"note: {note}")
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
