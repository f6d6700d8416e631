"""``seams sample``: build the SYNTHETIC "shopfront" sample into a folder.

:func:`build_sample` writes::

    <out>/seams.yml            the config an architect would write
    <out>/repo/                git repository "shopfront" (HEAD checked out)
    <out>/logs/postgresql.log  PostgreSQL stderr log
    <out>/traces/otlp.jsonl    OTLP/JSON lines (Collector file exporter)
    <out>/PLANTED.md           the planted characteristics (never read by the analysis)

It builds into a temporary folder next to ``out`` and renames it into place at the end, so a
half-built sample never looks complete. The same seed and scale give byte-identical files and
the same commit hashes.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from analysis.core.config import load_config
from analysis.core.errors import SeamsError
from seams_sample.config_file import config_text
from seams_sample.otlp_traces import write_traces
from seams_sample.planted import planted_text
from seams_sample.postgres_log import write_log
from seams_sample.repository import SCALES, write_repository
from seams_sample.wide import write_wide_sample
from seams_sample.workload import simulate

#: The sample profiles: the shopfront story, and a generated monolith of many contexts.
PROFILES = ("shop", "wide")
#: What a complete sample folder contains.
SAMPLE_PARTS = ("seams.yml", "repo/.git", "logs/postgresql.log", "traces/otlp.jsonl", "PLANTED.md")


def is_complete_sample(path: Path) -> bool:
    path = Path(path)
    return all((path / part).exists() for part in SAMPLE_PARTS)


def build_sample(out: str | os.PathLike, seed: int = 7, scale: str = "small", *, overwrite: bool = False,
                 profile: str = "shop", contexts: int = 30) -> Path:
    """Build the sample into ``out`` and return the path of its ``seams.yml``.

    ``profile`` ``shop`` (the shopfront story) — ``scale`` is ``"small"`` (about 400 commits,
    two days of logs and traces; seconds) or ``"full"`` (about 1,800 commits, seven days);
    ``wide`` — ``contexts`` contexts generated from the seed (:mod:`seams_sample.wide`), to see
    the report at the size of a real monolith. An existing complete sample at ``out`` is
    replaced only with ``overwrite=True``; any other non-empty folder or file is never touched.
    """
    if profile not in PROFILES:
        raise SeamsError(f"unknown sample profile {profile!r}: expected one of {', '.join(PROFILES)}")
    if scale not in SCALES:
        raise SeamsError(f"unknown sample scale {scale!r}: expected one of {', '.join(SCALES)}")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise SeamsError(f"the sample seed must be an integer (got {seed!r})")
    out = Path(out).absolute()
    if out.exists():
        if is_complete_sample(out):
            if not overwrite:
                raise SeamsError(f"{out} already holds a sample; pass overwrite=True (--overwrite) to replace it")
        elif out.is_dir() and not any(out.iterdir()):
            pass
        else:
            raise SeamsError(f"{out} exists and is not a Seams sample; choose another folder or remove it first")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.building-", dir=out.parent))
    try:
        if profile == "wide":
            write_wide_sample(tmp, seed, contexts)
            load_config(tmp / "seams.yml")
        else:
            _build_into(tmp, seed, scale)
        if out.exists():
            old = tmp.with_name(tmp.name.replace(".building-", ".replaced-"))
            out.rename(old)
            tmp.rename(out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            tmp.rename(out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out / "seams.yml"


def _build_into(folder: Path, seed: int, scale: str) -> None:
    git = write_repository(folder / "repo", seed, scale)
    workload = simulate(seed, scale)
    (folder / "logs").mkdir()
    log_lines = write_log(workload.log, folder / "logs" / "postgresql.log")
    (folder / "traces").mkdir()
    trace_lines = write_traces(workload.spans, folder / "traces" / "otlp.jsonl")
    _write_text(folder / "seams.yml", config_text())
    _write_text(folder / "PLANTED.md", planted_text(seed, scale, git, workload.facts, log_lines=log_lines,
                                                    trace_lines=trace_lines))
    load_config(folder / "seams.yml")  # a sample must always come with a valid config


def _write_text(path: Path, text: str) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(text)
