"""Data evidence: tables per context, shared and write-shared tables, joins across contexts,
candidate domain events and hot tables, from the SQL logs.

``measure_data(config, mined, units) -> DataEvidence``. Statements are weighed by their
``executions``.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from analysis.core.config import Config
from analysis.core.frames import Mined
from analysis.mapping.units import Units
from analysis.measures.coupling import data as data_coupling

#: Tables listed as hot, busiest first.
HOT_TABLES = 20


@dataclass(frozen=True)
class DataEvidence:
    table_contexts: pd.DataFrame
    shared_tables: pd.DataFrame
    write_shared_tables: pd.DataFrame
    cross_context_joins: pd.DataFrame
    pairs: pd.DataFrame  # data_pairs: context_a, context_b, shared tables
    domain_events: pd.DataFrame
    hot_tables: pd.DataFrame
    attribution_methods: dict[str, int]


def measure_data(config: Config, mined: Mined, units: Units) -> DataEvidence:
    statements, cmap, by = mined["statements"], units.context_map, units.statement_context
    table_ctx = data_coupling.table_contexts(statements, by, mined["table_access"], cmap)
    return DataEvidence(
        table_contexts=table_ctx,
        shared_tables=data_coupling.shared_tables(table_ctx),
        write_shared_tables=data_coupling.write_shared_tables(table_ctx),
        cross_context_joins=data_coupling.cross_context_joins(statements, by, mined["joins"], cmap),
        pairs=data_coupling.data_pairs(table_ctx, cmap),
        domain_events=data_coupling.domain_events(statements, by, mined["queries"], mined["table_access"], units.ownership),
        hot_tables=data_coupling.hot_tables(statements, mined["table_access"], top=HOT_TABLES),
        attribution_methods=executions_by_method(units.statements, statements),
    )


def executions_by_method(attributed: pd.DataFrame, statements: pd.DataFrame) -> dict[str, int]:
    """Executions per attribution method, most first."""
    counts = statements["executions"].groupby(attributed["method"].to_numpy(dtype=object)).sum()
    return {str(k): int(v) for k, v in counts.sort_values(ascending=False, kind="stable").items()}
