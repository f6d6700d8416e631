"""Evolutionary coupling: bounded contexts (and files) that change in the same commits.

This is code-maat's ``coupling`` analysis (Adam Tornhill, *Your Code as a Crime Scene*),
at the level of contexts and of files.

Input:
    ``commits`` and ``file_changes`` (contracts in :mod:`analysis.core.frames`) and, for
    contexts, ``file_context``: a string Series aligned row by row with ``file_changes``
    (``<NA>`` = unassigned). Only changes of commits present in ``commits`` count, so a
    caller restricts the analysis to a period by filtering ``commits``.

Change sets:
    A commit's change set is its distinct changed paths. A commit with more than
    ``max_changeset_size`` paths is a bulk edit (formatting, mass rename) and is excluded
    from everything: from revisions as from shared revisions (code-maat's
    ``max-changeset-size``; setting ``coupling_max_changeset_size``).

Degree (code-maat)::

    revs(x)       = change sets touching x
    shared(a, b)  = change sets touching both a and b
    average(a, b) = (revs(a) + revs(b)) / 2
    degree        = int(shared / average * 100)      (truncated, as code-maat's ``int``)

Computed in integers (``200 * shared // (revs_a + revs_b)``) so that no float rounding
moves a pair across a threshold.

Outputs:
    ``context_cochange``  context_a, context_b, shared_commits, revs_a, revs_b, degree
    ``file_cochange``     entity, coupled, degree, average_revs
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pandas as pd

CONTEXT_COLUMNS = ["context_a", "context_b", "shared_commits", "revs_a", "revs_b", "degree"]
FILE_COLUMNS = ["entity", "coupled", "degree", "average_revs"]


def _exact(threshold: float) -> Fraction:
    """A threshold as an exact fraction of its decimal text (30 -> 30, 0.1 -> 1/10)."""
    return Fraction(str(threshold))


def change_sets(
    commits: pd.DataFrame,
    file_changes: pd.DataFrame,
    *,
    max_changeset_size: int = 30,
) -> pd.DataFrame:
    """Distinct (commit, path) rows of the commits in ``commits`` that are not bulk edits
    (more than ``max_changeset_size`` distinct paths). Columns: commit, path, plus the
    row position in ``file_changes`` as ``row``."""
    commit = file_changes["commit"].to_numpy(dtype=object)
    known = pd.Index(commits["commit"].to_numpy(dtype=object)).get_indexer(commit) >= 0
    rows = pd.DataFrame({"commit": commit, "path": file_changes["path"].to_numpy(dtype=object), "row": np.arange(len(file_changes))})
    rows = rows[known].drop_duplicates(["commit", "path"])
    size = rows.groupby("commit")["path"].transform("size")
    return rows[size <= max_changeset_size].reset_index(drop=True)


def _pairs(units: pd.DataFrame, key: str) -> pd.DataFrame:
    """Shared revisions and revisions per unordered pair of distinct units (a < b).

    Columns: ``<key>_a``, ``<key>_b``, shared, revs_a, revs_b.
    """
    units = units[["commit", key]].drop_duplicates()
    codes, names = pd.factorize(units[key].to_numpy(dtype=object), sort=True)  # codes follow name order
    names = np.asarray(names, dtype=object)
    coded = pd.DataFrame({"commit": pd.factorize(units["commit"].to_numpy(dtype=object))[0], "unit": codes})
    revs = np.bincount(codes, minlength=len(names))
    joined = coded.merge(coded, on="commit", suffixes=("_a", "_b"))
    joined = joined[joined["unit_a"] < joined["unit_b"]]
    shared = joined.groupby(["unit_a", "unit_b"], sort=False).size().reset_index(name="shared")
    a, b = shared["unit_a"].to_numpy(), shared["unit_b"].to_numpy()
    return pd.DataFrame(
        {
            f"{key}_a": pd.Series(names[a], dtype="string"),
            f"{key}_b": pd.Series(names[b], dtype="string"),
            "shared": shared["shared"].to_numpy(dtype="int64"),
            "revs_a": revs[a].astype("int64"),
            "revs_b": revs[b].astype("int64"),
        }
    )


def context_cochange(
    commits: pd.DataFrame,
    file_changes: pd.DataFrame,
    file_context: pd.Series,
    *,
    max_changeset_size: int = 30,
    min_shared_commits: int = 5,
) -> pd.DataFrame:
    """Co-change of every pair of assigned contexts, code-maat's degree at context level.

    ``revs_x`` = non-bulk commits touching context x (any of its files);
    ``shared_commits`` = non-bulk commits touching both;
    ``degree = int(shared_commits / ((revs_a + revs_b) / 2) * 100)``.

    Unassigned files count towards a commit's size, never as a context. Pairs with
    ``shared_commits < min_shared_commits`` are dropped (setting
    ``evolutionary_min_shared_commits``; the minimum degree is applied by the caller,
    setting ``evolutionary_min_degree``). Sorted by degree descending, then context_a,
    context_b.
    """
    if len(file_context) != len(file_changes):
        raise ValueError(
            f"file_context has {len(file_context)} rows, file_changes has {len(file_changes)}: "
            "the context Series must be aligned with the frame"
        )
    sets = change_sets(commits, file_changes, max_changeset_size=max_changeset_size)
    context = pd.Series(np.asarray(file_context, dtype=object), dtype="string")
    sets["context"] = context.iloc[sets["row"].to_numpy()].to_numpy()
    sets = sets[sets["context"].notna()]
    pairs = _pairs(sets, "context")
    pairs = pairs[pairs["shared"] >= min_shared_commits]
    out = pd.DataFrame(
        {
            "context_a": pairs["context_a"].astype("string"),
            "context_b": pairs["context_b"].astype("string"),
            "shared_commits": pairs["shared"].astype("int64"),
            "revs_a": pairs["revs_a"].astype("int64"),
            "revs_b": pairs["revs_b"].astype("int64"),
            "degree": (200 * pairs["shared"] // (pairs["revs_a"] + pairs["revs_b"])).astype("int64"),
        }
    )
    out = out.sort_values(["degree", "context_a", "context_b"], ascending=[False, True, True], kind="stable")
    return out.reset_index(drop=True)[CONTEXT_COLUMNS]


def file_cochange(
    commits: pd.DataFrame,
    file_changes: pd.DataFrame,
    *,
    min_revs: float = 5,
    min_shared_revs: float = 5,
    min_coupling: float = 30,
    max_coupling: float = 100,
    max_changeset_size: int = 30,
) -> pd.DataFrame:
    """code-maat's ``coupling`` analysis over file paths.

    For each pair of paths changed together (entity < coupled), with ``average =
    (revs_entity + revs_coupled) / 2`` and ``coupling = shared / average * 100``, a pair
    is kept when ``average >= min_revs``, ``shared >= min_shared_revs``,
    ``coupling >= min_coupling`` and ``floor(coupling) <= max_coupling`` (code-maat's
    ``within-threshold?``; settings ``coupling_min_revs``, ``coupling_min_shared_revs``,
    ``coupling_min_degree``, ``coupling_max_changeset_size``).

    Columns: entity, coupled, degree (``int(coupling)``), average_revs
    (``ceil(average)``, as code-maat prints it). Sorted by degree, then average_revs,
    descending, then entity, coupled.
    """
    sets = change_sets(commits, file_changes, max_changeset_size=max_changeset_size)
    pairs = _pairs(sets, "path")
    shared = pairs["shared"].to_numpy(dtype="int64")
    total = (pairs["revs_a"] + pairs["revs_b"]).to_numpy(dtype="int64")
    least_revs, least_coupling = _exact(min_revs), _exact(min_coupling)
    keep = (
        (total * least_revs.denominator >= 2 * least_revs.numerator)  # average >= min_revs
        & (shared >= min_shared_revs)
        & (200 * shared * least_coupling.denominator >= least_coupling.numerator * total)  # coupling >= min
        & (200 * shared // np.maximum(total, 1) <= math.floor(max_coupling))  # floor(coupling) <= max
    )
    pairs, total = pairs[keep], total[keep]
    out = pd.DataFrame(
        {
            "entity": pairs["path_a"].astype("string"),
            "coupled": pairs["path_b"].astype("string"),
            "degree": (200 * pairs["shared"].to_numpy(dtype="int64") // total).astype("int64"),
            "average_revs": ((total + 1) // 2).astype("int64"),
        }
    )
    out = out.sort_values(
        ["degree", "average_revs", "entity", "coupled"], ascending=[False, False, True, True], kind="stable"
    )
    return out.reset_index(drop=True)[FILE_COLUMNS]
