"""The frames of a SQL log read into :class:`~analysis.sources.sql.miner.StatementColumns`.

``statements``, ``queries``, ``table_access`` and ``joins`` (contracts in
:mod:`analysis.core.frames`; what each row means: :mod:`analysis.sources.sql.miner`) and the
reader's notes, built once the whole log is read. This is the only part of the SQL reader
that needs pandas, numpy and pyarrow: reading does not, so a log read in parts
(:mod:`analysis.sources.sql.segments`) starts its workers before these libraries are
loaded, and the reading process loads them while the workers read.
"""

from __future__ import annotations

from array import array
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from analysis.core import frames
from analysis.core.frames import SourceFrames
from analysis.sources import sqltext
from analysis.sources.sql.formats import NO_TIME, ReadTally

if TYPE_CHECKING:
    from analysis.sources.sql.miner import StatementColumns

__all__ = ["mined_frames", "statements_frame", "totals"]

#: The allocator of the tag columns: with pyarrow's default (mimalloc), building a column of
#: 760,000 trace ids took 0.4 to 1.1 s in a process holding a large log's groups, against
#: 0.06 s with the system's.
_POOL = pa.system_memory_pool()


def mined_frames(columns: StatementColumns, dialect: str, search_path: tuple[str, ...], tally: ReadTally, rejected: int,
                 fmt: str = "postgres-stderr", known: dict[str, sqltext.TableAccess] | None = None) -> SourceFrames:
    """The frames of ``columns``; ``known``: table access parsed before in ``dialect`` and
    ``search_path`` (:mod:`analysis.sources.sql.access_cache`), used instead of parsing
    again. Each query's table access is recorded in ``columns.met`` (what the cache keeps)."""
    parsed: dict[str, sqltext.TableAccess] = dict(known) if known else {}
    parsed.update(columns.take_parsed(dialect, search_path))
    statements = statements_frame(columns)
    executions, total_ms = totals(columns)
    query_rows, access_rows, join_rows = [], [], []
    for i, fp in enumerate(columns.fingerprints):
        if not executions[i]:
            continue
        normalized = columns.normalized[i]
        access = parsed.get(normalized) or sqltext.table_access(normalized, dialect, search_path)
        columns.met[normalized] = access
        query_rows.append((fp, normalized, access.operation, access.approximate, int(executions[i]), float(total_ms[i])))
        access_rows += [(fp, t, "read") for t in sorted(access.reads)] + [(fp, t, "write") for t in sorted(access.writes)]
        join_rows += [(fp, a, b) for a, b in sorted(access.joins)]
    queries = _frame(query_rows, "queries")
    return SourceFrames(
        frames={
            "statements": statements,
            "queries": queries,
            "table_access": _frame(access_rows, "table_access"),
            "joins": _frame(join_rows, "joins"),
        },
        records_read=columns.records,
        records_rejected=rejected,
        notes=_notes(columns, tally, queries, rejected, fmt),
        counts={"lines": tally.lines, "statements": columns.records, "executions": columns.executions,
                "failed_statements": tally.errors,
                "nested_statements": tally.nested_statements, "nested_calls": tally.nested_calls},
    )


def statements_frame(columns: StatementColumns) -> pd.DataFrame:
    """The ``statements`` frame (one row per group), in line order, checked against its contract.

    The repeated strings (source, user, database, fingerprint) are categoricals over
    their distinct values (a string dtype for :func:`analysis.core.frames.check`); the
    nullable tags are pyarrow-backed ``string`` arrays built from codes. Numbers are read
    from the accumulated arrays without an intermediate list.
    """
    n = len(columns.line)
    line = np.frombuffer(columns.line, dtype=np.int64) if n else np.zeros(0, np.int64)
    order = None
    if n > 1 and (np.diff(line) < 0).any():
        order = np.argsort(line, kind="stable")

    def arranged(values: np.ndarray) -> np.ndarray:
        return values if order is None else values[order]

    def codes_of(codes: array) -> np.ndarray:
        return arranged(np.frombuffer(codes, dtype=np.int32)) if n else np.zeros(0, np.int32)

    def coded(codes: np.ndarray, labels: list) -> pd.Categorical:
        return pd.Categorical.from_codes(codes, categories=pd.Index(labels, dtype="str"), validate=False)

    tag_codes = codes_of(columns.tags)
    out = {
        "source": coded(np.zeros(n, np.int8), [columns.source]),
        "line": arranged(line),
        "ts": _utc_times(arranged(np.frombuffer(columns.ts, dtype=np.int64)) if n else np.zeros(0, np.int64)),
        "user": coded(codes_of(columns.user), columns.user_labels()),
        "database": coded(codes_of(columns.database), columns.database_labels()),
        "duration_ms": arranged(np.frombuffer(columns.duration, dtype=np.float64)) if n else np.zeros(0),
        "fingerprint": coded(codes_of(columns.fp), columns.fingerprints),
    }
    count = arranged(np.frombuffer(columns.count, dtype=np.int64)) if n else np.zeros(0, np.int64)
    rows = pa.array(tag_codes, memory_pool=_POOL)
    for i, col in enumerate(("trace_id", "parent_span_id", "route", "controller")):
        values = pa.array([row[i] for row in columns.tag_rows], pa.large_string(), memory_pool=_POOL)
        out[col] = pd.array(pc.take(values, rows, memory_pool=_POOL), dtype="string")  # each row's from its tag row
    out["executions"] = count
    return frames.check(pd.DataFrame(out), "statements")


def totals(columns: StatementColumns) -> tuple[np.ndarray, np.ndarray]:
    """Executions and total known duration (ms) per fingerprint index, from the groups."""
    n = len(columns.fingerprints)
    if not len(columns.fp):
        return np.zeros(n, np.int64), np.zeros(n)
    codes = np.frombuffer(columns.fp, dtype=np.int32)
    count = np.frombuffer(columns.count, dtype=np.int64)
    duration = np.frombuffer(columns.duration, dtype=np.float64)
    known = ~np.isnan(duration)
    executions = np.zeros(n, np.int64)
    np.add.at(executions, codes, count)
    return executions, np.bincount(codes[known], weights=duration[known], minlength=n)


def _notes(columns: StatementColumns, tally: ReadTally, queries: pd.DataFrame, rejected: int, fmt: str) -> list[str]:
    source = columns.source
    if tally.lines == 0:
        return [f"{source}: the log is empty"]
    n = len(columns.line)
    if columns.records == columns.executions:
        read = f"{columns.records} executed statements"
    else:  # pg_stat_statements: one row per query
        read = f"{columns.records} statements ({columns.executions} executions)"
    notes = [f"{source}: {read} read from {tally.lines} lines, {len(queries)} distinct queries ({fmt})"]
    if n == 0:
        notes.append(f"{source}: no statements found (is log_min_duration_statement = 0 or log_statement = 'all' set?)")
    if tally.errors:
        notes.append(f"{source}: {tally.errors} failed statements (ERROR + STATEMENT), not counted as executions")
    if tally.nested_statements:
        notes.append(f"{source}: {tally.nested_statements} statements run by the server inside functions and triggers "
                     f"(toplevel = false; {tally.nested_calls} calls) kept apart: not the application's statements")
    if tally.parse_bind:
        notes.append(f"{source}: {tally.parse_bind} parse/bind records of the extended protocol ignored (only execute counts)")
    if columns.empty:
        notes.append(f"{source}: {columns.empty} empty statements skipped")
    if columns.without_duration:
        notes.append(f"{source}: {columns.without_duration} statements logged without a duration")
    for what, count in sorted(tally.other.items()):
        notes.append(f"{source}: {count} {what}")
    approximate = int(queries["approximate"].sum()) if len(queries) else 0
    if approximate:
        notes.append(f"{source}: tables of {approximate} of {len(queries)} queries found by a token scan (sqlglot could not parse them)")
    ddl = int((queries["operation"] == "DDL").sum()) if len(queries) else 0
    if ddl:
        notes.append(f"{source}: {ddl} DDL queries kept apart (no table access)")
    if tally.inferred_prefix is not None:
        notes.append(f"{source}: log_line_prefix inferred from the first lines: '{tally.inferred_prefix}'")
    if tally.unreadable_times:
        notes.append(f"{source}: {tally.unreadable_times} records whose time cannot be read, kept without a time")
    if tally.unknown_timezones:
        notes.append(f"{source}: unknown time zone abbreviations read as UTC: {', '.join(sorted(tally.unknown_timezones))}")
    if rejected:
        notes.append(f"{source}: {rejected} records rejected (see the rejects file)")
    return notes


def _utc_times(micros: np.ndarray) -> pd.Series:
    """``datetime64[ns, UTC]`` of microseconds since the epoch (:data:`NO_TIME`: NaT)."""
    known = micros != NO_TIME
    if known.all() and (len(micros) == 0 or (micros.min() > -_MAX_NS_MICROS and micros.max() < _MAX_NS_MICROS)):
        nanos = micros * 1000
    elif not known.any() or (np.abs(micros[known]) < _MAX_NS_MICROS).all():
        nanos = np.where(known, micros * 1000 * known, np.iinfo(np.int64).min)
    else:  # beyond the nanosecond range (years before 1677 or after 2262): let pandas say so
        return pd.Series(micros.view("datetime64[us]")).dt.tz_localize("UTC").astype("datetime64[ns, UTC]")
    return pd.Series(nanos.view("datetime64[ns]")).dt.tz_localize("UTC")


#: Microseconds beyond which nanoseconds overflow 64 bits.
_MAX_NS_MICROS = (2**63 - 1) // 1000


def _frame(rows: list[tuple], name: str) -> pd.DataFrame:
    columns = list(frames.SCHEMAS[name])
    if not rows:
        return frames.empty(name)
    return frames.conform(pd.DataFrame(rows, columns=columns), name)

